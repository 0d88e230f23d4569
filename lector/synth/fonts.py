"""The font collection: discovered from the system's font packages, validated, frequency weighted.

A face is excluded (with the reason kept for the report) when it lacks glyphs for the charset's
letters and digits, or when upper- and lower-case letters render identically (small caps).
Common faces (Helvetica/Times/Courier clones, monospace faces seen on receipts) are sampled
more often; the long tail is kept.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path(__file__).resolve().parents[2].parent / "shared" / "kit" / "fonts")
REQUIRED = "".join(chr(c) for c in range(33, 127))
CASE_PAIRS = "aAbBeEgGhHnNrRtT"

# Regex on the file name -> sampling weight; first match wins. The tail gets weight 1.
FONT_WEIGHTS = (
    (r"mono|courier|cour|nimbusmono|freemono", 8.0),
    (r"liberationsans|nimbussans|arial|helvet|freesans", 8.0),
    (r"liberationserif|nimbusroman|times|freeserif", 5.0),
    (r"dejavusans|notosans-|carlito|caladea", 3.0),
    (r"condensed|narrow", 2.0),
)


@dataclass(frozen=True, slots=True)
class FontFace:
    path: str
    weight: float
    monospace: bool


@dataclass(frozen=True, slots=True)
class Exclusion:
    path: str
    reason: str


def discover_font_files(dirs=FONT_DIRS) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files += [p for p in d.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
    return sorted(files)


def _render_glyph(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    img = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(img).text((4, 4), ch, font=font, fill=255)
    return np.asarray(img)


SYMBOL_FACES = r"symbol|d050000l|dingbat|math"


def validate_font(path: Path, charset_required: str = REQUIRED) -> str | None:
    """None when the face is usable, else the reason it is excluded."""
    if re.search(SYMBOL_FACES, path.name.lower()):
        return "symbol face: ASCII code points carry non-Latin glyphs"
    try:
        from fontTools.ttLib import TTFont
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tt = TTFont(str(path), fontNumber=0, lazy=True)
            cmap = tt.getBestCmap() or {}
            tt.close()
    except Exception as exc:  # a corrupt file is skipped and counted, never fatal
        return f"unreadable ({type(exc).__name__})"
    missing = [ch for ch in charset_required if ord(ch) not in cmap]
    if missing:
        return f"missing {len(missing)} glyphs (e.g. {''.join(missing[:8])!r})"
    try:
        font = ImageFont.truetype(str(path), 32)
    except Exception as exc:
        return f"cannot render ({type(exc).__name__})"
    for lower, upper in zip(CASE_PAIRS[::2], CASE_PAIRS[1::2]):
        a, b = _render_glyph(font, lower), _render_glyph(font, upper)
        if a.max() == 0 or b.max() == 0:
            return f"renders nothing for {lower!r}/{upper!r}"
        if np.abs(a.astype(int) - b.astype(int)).mean() < 2.0:
            return f"upper and lower case look identical ({lower!r}/{upper!r})"
    return None


def _weight(name: str) -> float:
    for pattern, weight in FONT_WEIGHTS:
        if re.search(pattern, name.lower()):
            return weight
    return 1.0


def load_collection(dirs=FONT_DIRS) -> tuple[list[FontFace], list[Exclusion]]:
    faces, excluded = [], []
    for path in discover_font_files(dirs):
        reason = validate_font(path)
        if reason:
            excluded.append(Exclusion(str(path), reason))
            continue
        mono = bool(re.search(r"mono|courier|cour", path.name.lower()))
        faces.append(FontFace(str(path), _weight(path.name), mono))
    return faces, excluded
