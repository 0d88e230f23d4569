"""Pictures to see what the net learns from.

`lector synth grid`: 64 samples as the net sees them (normalised to its input height), each with
its label. `lector synth fonts --sheet`: one row per valid face, its name and a specimen line, on
pages of `rows_per_page` rows so each page stays readable at screen size.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from lector.synth.fonts import FontFace

LABEL_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
SPECIMEN = "Total 12.50 Hamburgefonstiv @#%&"


def _label_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans Mono (draws € £ ° and shows spaces evenly), else Pillow's own font."""
    if LABEL_FONT.exists():
        return ImageFont.truetype(str(LABEL_FONT), size)
    return ImageFont.load_default(size)


def write_grid(path: Path, seed: int = 0, count: int = 64, width: int = 420, generator=None) -> None:
    """`count` samples in two columns: the crop as the net sees it, then its label (repr: '' = negative)."""
    from lector.synth.stream import input_crop
    if generator is None:
        from lector.synth.corpus import Corpus
        from lector.synth.fonts import load_collection
        from lector.synth.render import CropGenerator
        faces, _ = load_collection()
        generator = CropGenerator(Corpus.load(), faces, seed=seed)
    rows, label_width = 36, 330
    per_column = (count + 1) // 2
    sheet = Image.new("L", (2 * (width + label_width), rows * per_column + 4), 255)
    draw = ImageDraw.Draw(sheet)
    font = _label_font(14)
    for i in range(count):
        grey, text = generator.sample(i)
        crop = Image.fromarray(input_crop(grey))
        if crop.width > width:   # shrink a long line to fit rather than hide its end
            crop = crop.resize((width, max(8, round(crop.height * width / crop.width))), Image.BILINEAR)
        col, row = divmod(i, per_column)
        x, y = col * (width + label_width), row * rows + 2
        sheet.paste(crop, (x, y))
        draw.text((x + width + 6, y + 8), f"{i:2d} {text!r}", font=font, fill=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def write_font_sheet(path: Path, faces: list[FontFace], rows_per_page: int = 60,
                     sample: str = SPECIMEN) -> list[Path]:
    """Specimen pages, `path` then `stem-2.png`, `stem-3.png`...; returns the paths written."""
    row_h, name_w, width = 34, 420, 1100
    label = _label_font(13)
    pages = []
    for start in range(0, max(1, len(faces)), rows_per_page):
        chunk = faces[start: start + rows_per_page]
        page = Image.new("L", (width, row_h * len(chunk) + 8), 255)
        draw = ImageDraw.Draw(page)
        for r, face in enumerate(chunk):
            y = 4 + r * row_h
            if r % 2:
                draw.rectangle((0, y, width, y + row_h - 1), fill=238)
            mono = " mono" if face.monospace else ""
            draw.text((6, y + 9), f"{start + r + 1:3d} {face.name[:36]} w{face.weight:g}{mono}", font=label, fill=0)
            text = sample + ("" if "€" in face.missing else " €")
            draw.text((name_w, y + 2), text, font=ImageFont.truetype(face.path, 22), fill=0)
        target = path if start == 0 else path.with_name(f"{path.stem}-{start // rows_per_page + 1}{path.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        page.save(target)
        pages.append(target)
    return pages
