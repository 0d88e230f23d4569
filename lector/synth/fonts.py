"""The font collection: discovered from the system's font packages, validated, frequency weighted.

A face is excluded (with the reason kept for the report) when it is a symbol face, cannot be read,
lacks glyphs for the charset's ASCII part, draws tofu (.notdef boxes) for some of them, renders a
glyph as nothing, draws upper and lower case alike (small caps), or is a second copy of a face
already taken (the same family and style from two packages). A corrupt file is skipped with a
warning, never fatal: one broken package must not stop data generation.

Common faces (Helvetica/Times/Courier clones, the monospace faces seen on receipts) are sampled
much more often than the long tail, and regular weights more often than bold, italic or light.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lector.recognize.charset import DEFAULT_CHARSET

FONT_DIRS = (Path("/usr/share/fonts"), Path(__file__).resolve().parents[2].parent / "shared" / "kit" / "fonts")
REQUIRED = "".join(chr(c) for c in range(33, 127))
CASE_PAIRS = "aAbBeEgGhHnNrRtT"
NOTDEF_PROBE = chr(0x10FFFD)   # a private-use code point no font maps: PIL draws .notdef for it

# Family class (regex on the face's name, spaces removed, lower case) -> sampling weight; first
# match wins, the long tail gets 1. The metric clones of Helvetica, Courier and Times print most
# receipts and invoices; DejaVu/Noto/Roboto/Open Sans/Lato/Carlito are the office and web defaults.
FONT_WEIGHTS = (
    (r"narrow|condensed|compressed", 2.0),
    (r"liberationsans|nimbussans|arimo|freesans|helvet|arial|texgyreheros", 8.0),
    (r"courierprime", 4.0),
    (r"liberationmono|nimbusmono|cousine|freemono|courier|texgyrecursor", 8.0),
    (r"glasstty|ocrb|3270|inconsolata|dejavusansmono|notosansmono|notomono|anonymous|gomono|"
     r"mononoki|hack|jetbrainsmono|firacode|monofur|ptmono|b612mono|mono", 4.0),
    (r"liberationserif|nimbusroman|tinos|freeserif|times|texgyretermes", 5.0),
    (r"dejavusans|notosans|carlito|caladea|roboto|opensans|lato|ptsans|ptserif|dejavuserif|notoserif", 3.0),
)
# Style (regex on the subfamily) -> factor: regular text is the norm, emphasis is rarer.
STYLE_FACTORS = (
    (r"bold.*italic|bold.*oblique|italic.*bold", 0.25),
    (r"italic|oblique|slanted", 0.35),
    (r"thin|hairline|extralight|ultralight|light|black|heavy|extrabold|ultrabold|semibold|demibold|medium"
     r"|book|retina|display", 0.4),
    (r"bold", 0.6),
)
SYMBOL_FACES = r"symbol|d050000l|dingbat|math|emoji|icons|awesome"
MONOSPACE = r"mono|courier|cour|cousine|glasstty|vt220|ocrb|3270|inconsolata|hack|firacode|anonymous|monofur"


class FontWarning(UserWarning):
    """A font file that cannot be read; it is skipped and counted in the exclusion report."""


@dataclass(frozen=True, slots=True)
class FontFace:
    """One usable face. `missing` lists charset symbols beyond ASCII (e.g. '€') it cannot draw."""

    path: str
    weight: float
    monospace: bool
    name: str = ""
    missing: str = ""


@dataclass(frozen=True, slots=True)
class Exclusion:
    path: str
    reason: str

    @property
    def kind(self) -> str:
        """The reason without its details, for the summary: 'missing glyphs', 'tofu', ..."""
        return reason_kind(self.reason)


REASON_KINDS = ("symbol face", "unreadable", "missing", "tofu", "cannot render", "renders nothing",
                "decorative", "upper and lower case", "duplicate")


def reason_kind(reason: str) -> str:
    for kind in REASON_KINDS:
        if reason.startswith(kind):
            return "missing glyphs" if kind == "missing" else kind
    return reason


def discover_font_files(dirs=FONT_DIRS) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files += [p for p in d.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
    return sorted(files)


def _render_glyph(font: ImageFont.FreeTypeFont, ch: str, size: int = 48) -> np.ndarray:
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).text((size // 12, size // 12), ch, font=font, fill=255)
    return np.asarray(img)


def _shape(glyph: np.ndarray) -> np.ndarray | None:
    """The glyph's ink box scaled to 24x24, softened: compares shapes whatever their size (small caps)."""
    ys, xs = np.nonzero(glyph > 64)
    if len(ys) == 0:
        return None
    box = glyph[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1].astype(np.float32) / 255.0
    shape = cv2.GaussianBlur(cv2.resize(box, (24, 24), interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    return shape / max(float(shape.max()), 1e-6)


def _shape_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - weighted Jaccard overlap: near 0 for one shape at two sizes, whatever the stroke weight."""
    return float(np.abs(a - b).sum() / max(float(np.maximum(a, b).sum()), 1e-6))


def _decoration(font: ImageFont.FreeTypeFont) -> str | None:
    """Why the face draws letters we should not learn from: in boxes (keycaps, inverted) or hollow."""
    boxed = 0
    for ch in "aoH":
        glyph = _render_glyph(font, ch) > 64
        ys, xs = np.nonzero(glyph)
        box = glyph[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
        rim = np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]])
        boxed += rim.mean() > 0.6
    if boxed == 3:
        return "decorative: letters drawn inside boxes"
    hollow = 0
    for ch in "lI|":
        glyph = _render_glyph(font, ch, 64) > 64
        ys = np.nonzero(glyph.any(axis=1))[0]
        row = glyph[(ys.min() + ys.max()) // 2].astype(np.int8)
        hollow += int((np.diff(row) == 1).sum() + row[0]) >= 2
    if hollow == 3:
        return "decorative: outline (hollow) strokes"
    return None


def _face_name(tt) -> str:
    names = tt["name"]
    full = names.getDebugName(4)
    if not full:
        family = names.getDebugName(16) or names.getDebugName(1) or ""
        style = names.getDebugName(17) or names.getDebugName(2) or ""
        full = f"{family} {style}"
    return " ".join(full.split())


@dataclass(frozen=True)
class _Inspection:
    reason: str | None
    name: str
    lacking: str = ""           # charset symbols beyond ASCII the face cannot draw
    fixed_pitch: bool = False
    variable: bool = False      # a variable font: its default instance repeats a static face
    specimen: bytes = b""       # a rendered sample line, to recognise a second copy of a face

    def copies(self, other: "_Inspection") -> bool:
        """The same face from another package (Liberation 1 and 2, Karla static and variable)."""
        if self.specimen == other.specimen:
            return True
        if self.name.lower() != other.name.lower() or len(self.specimen) != len(other.specimen):
            return False
        a, b = (np.frombuffer(x.specimen, np.uint8).astype(np.int16) for x in (self, other))
        return self.variable or other.variable or float(np.abs(a - b).mean()) < 6.0


SPECIMEN_PROBE = "Hamburgefonstiv 0123456789 @#&"


def _read_font(path: Path) -> tuple[dict[int, str], str, bool, bool]:
    """(cmap, face name, fixed pitch, variable) through fontTools; raises on a corrupt file."""
    from fontTools.ttLib import TTFont
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tt = TTFont(str(path), fontNumber=0, lazy=True)
        try:
            cmap = tt.getBestCmap() or {}
            name = _face_name(tt) if "name" in tt else path.stem
            fixed = bool(tt["post"].isFixedPitch) if "post" in tt else False
            variable = "fvar" in tt
        finally:
            tt.close()
    return cmap, name, fixed, variable


def validate_font(path: Path, charset_required: str = REQUIRED) -> str | None:
    """None when the face is usable, else the reason it is excluded."""
    return _inspect(path, charset_required).reason


def _inspect(path: Path, charset_required: str = REQUIRED) -> _Inspection:
    if re.search(SYMBOL_FACES, path.name.lower()):
        return _Inspection("symbol face: ASCII code points carry non-Latin glyphs", path.stem)
    try:
        cmap, name, fixed, variable = _read_font(path)
    except Exception as exc:  # a corrupt file is skipped and counted, never fatal
        warnings.warn(f"skipping unreadable font {path}: {type(exc).__name__}: {exc}", FontWarning, stacklevel=3)
        return _Inspection(f"unreadable ({type(exc).__name__})", path.stem)
    missing = [ch for ch in charset_required if ord(ch) not in cmap]
    if missing:
        return _Inspection(f"missing {len(missing)} glyphs (e.g. {''.join(missing[:8])!r})", name)
    notdef_mapped = [ch for ch in charset_required if cmap[ord(ch)] == ".notdef"]
    if notdef_mapped:
        return _Inspection(f"tofu: {len(notdef_mapped)} glyphs map to .notdef "
                           f"(e.g. {''.join(notdef_mapped[:8])!r})", name)
    try:
        font = ImageFont.truetype(str(path), 24)
        notdef = _render_glyph(font, NOTDEF_PROBE, 32)
    except Exception as exc:
        warnings.warn(f"skipping font FreeType cannot open {path}: {type(exc).__name__}", FontWarning, stacklevel=3)
        return _Inspection(f"cannot render ({type(exc).__name__})", name)
    rendered: dict[str, bytes] = {}
    for ch in charset_required:
        glyph = _render_glyph(font, ch, 32)
        if glyph.max() == 0:
            return _Inspection(f"renders nothing for {ch!r}", name)
        if notdef.max() > 0 and np.array_equal(glyph, notdef):
            return _Inspection(f"tofu: {ch!r} draws the .notdef box", name)
        rendered[ch] = glyph.tobytes()
    repeats = len(rendered) - len(set(rendered.values()))
    if repeats > 4:   # a few look-alikes (I l |) are normal; dozens mean placeholder boxes
        return _Inspection(f"tofu: {repeats} glyphs render identically", name)
    font = ImageFont.truetype(str(path), 40)
    decoration = _decoration(font)
    if decoration:
        return _Inspection(decoration, name)
    distances = []
    for lower, upper in zip(CASE_PAIRS[::2], CASE_PAIRS[1::2]):
        a, b = _shape(_render_glyph(font, lower, 64)), _shape(_render_glyph(font, upper, 64))
        if a is None or b is None:
            return _Inspection(f"renders nothing for {lower!r}/{upper!r}", name)
        distances.append(_shape_distance(a, b))
    if float(np.median(distances)) < 0.2:   # small caps: regular faces measure 0.29 and up
        return _Inspection(f"upper and lower case look identical (shape distance {np.median(distances):.2f})", name)
    notdef = _render_glyph(font, NOTDEF_PROBE)
    extras = [ch for ch in DEFAULT_CHARSET if ch not in REQUIRED and ch != " "]
    lacking = "".join(ch for ch in extras if ord(ch) not in cmap or cmap[ord(ch)] == ".notdef"
                      or np.array_equal(_render_glyph(font, ch), notdef))
    small = ImageFont.truetype(str(path), 20)
    specimen = Image.new("L", (int(small.getlength(SPECIMEN_PROBE)) + 8, 32), 0)
    ImageDraw.Draw(specimen).text((4, 4), SPECIMEN_PROBE, font=small, fill=255)
    return _Inspection(None, name, lacking, fixed, variable, specimen.tobytes())


def _name_key(name: str) -> str:
    """A face name as the weight and boost patterns match it: lower case, no spaces, '_' or '-'."""
    return re.sub(r"[\s_-]", "", name.lower())


def boost_faces(faces: list[FontFace], boosts: dict[str, float]) -> list[FontFace]:
    """The faces with the weight of those whose name matches a pattern (regex on the name, spaces,
    '_' and '-' removed, lower case; first match wins) multiplied by its factor.

    For a shard set that leans on styles the default mix rarely draws, e.g. the rounded and
    geometric sans faces (Quicksand, URW Gothic) of web-made invoices, which the net misread.
    """
    boosted = []
    for face in faces:
        key = _name_key(face.name)
        factor = next((f for pattern, f in boosts.items() if re.search(pattern, key)), 1.0)
        boosted.append(replace(face, weight=round(face.weight * factor, 3)) if factor != 1.0 else face)
    return boosted


def face_weight(name: str) -> float:
    """Sampling weight of a face from its full name: family class times style factor."""
    key = _name_key(name)
    base = next((w for pattern, w in FONT_WEIGHTS if re.search(pattern, key)), 1.0)
    style = key
    for pattern in (r"liberationsans|liberationserif|liberationmono",):   # family names that contain no style
        style = re.sub(pattern, "", style)
    factor = next((f for pattern, f in STYLE_FACTORS if re.search(pattern, style)), 1.0)
    return round(base * factor, 3)


@lru_cache(maxsize=4)
def _load_collection(dirs: tuple[Path, ...]) -> tuple[tuple[FontFace, ...], tuple[Exclusion, ...]]:
    faces: list[FontFace] = []
    excluded: list[Exclusion] = []
    taken: list[tuple[_Inspection, str]] = []
    for path in discover_font_files(dirs):
        found = _inspect(path)
        reason, name = found.reason, found.name
        if reason is None:
            original = next((p for other, p in taken if found.copies(other)), None)
            reason = f"duplicate of {original}" if original else None
        if reason:
            excluded.append(Exclusion(str(path), reason))
            continue
        taken.append((found, str(path)))
    names = Counter(found.name.lower() for found, _ in taken)
    for found, path in taken:
        # A name table that calls every style of a family "Regular": the file name says more.
        name = found.name if names[found.name.lower()] == 1 else Path(path).stem.replace("_", " ")
        mono = found.fixed_pitch or bool(re.search(MONOSPACE, (Path(path).name + name).lower().replace(" ", "")))
        faces.append(FontFace(path, face_weight(name), mono, name, found.lacking))
    return tuple(faces), tuple(excluded)


def load_collection(dirs=FONT_DIRS) -> tuple[list[FontFace], list[Exclusion]]:
    """(valid faces, exclusions), both in path order. Validation runs once per process and dirs."""
    faces, excluded = _load_collection(tuple(Path(d) for d in dirs))
    return list(faces), list(excluded)


def exclusion_summary(excluded: list[Exclusion]) -> dict[str, int]:
    """Number of excluded files per reason kind, most frequent first."""
    return dict(Counter(e.kind for e in excluded).most_common())


def collection_report(faces: list[FontFace], excluded: list[Exclusion]) -> dict:
    """Everything `lector synth fonts --report` writes: counts, reasons, every face and exclusion."""
    total = sum(f.weight for f in faces) or 1.0
    return {
        "valid": len(faces), "excluded": len(excluded), "exclusion_summary": exclusion_summary(excluded),
        "monospace": sum(f.monospace for f in faces),
        "faces": [{"name": f.name, "path": f.path, "weight": f.weight, "share": round(f.weight / total, 5),
                   "monospace": f.monospace, "missing": f.missing} for f in faces],
        "exclusions": [{"path": e.path, "kind": e.kind, "reason": e.reason} for e in excluded],
    }
