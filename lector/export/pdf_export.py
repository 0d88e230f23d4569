"""Searchable PDF: each page image, with the recognised words as an invisible text layer on top.

The text layer is written so that text extractors (pdftotext, pdf.js, Acrobat) get the words
back in reading order with single spaces, and a search highlight falls on the word in the
picture: every word is one positioned run in render mode 3 (invisible) whose advance is
stretched (Tz) to the word box's width, followed by a space stretched to end where the next
word starts. Within a line the baseline is flat, so extractors keep the line together.

Built with pikepdf rather than reportlab: reportlab wraps every stream, images included, in
ASCII85 (a quarter bigger) unless a process-wide setting is changed, and re-encodes images as
Flate; here each stream is written once, JPEG or Flate, and the widths the layout relies on are
written into the font dictionary so every viewer measures the words the way we did.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image
from reportlab.pdfbase.pdfmetrics import getFont

from lector.core.document import Document, Line, Page
from lector.core.geometry import PixelToPdf
from lector.export._atomic import write_atomically
from lector.io.load import PageImage

JPEG_QUALITY = 90
FONT_NAME = "Helvetica"
# WinAnsiEncoding is Windows-1252 (bar a few unused codes); it holds ASCII plus € £ ° and friends.
TEXT_ENCODING = "cp1252"
FIRST_CODE, LAST_CODE = 32, 255
# Helvetica's ascender and descender (AFM, thousandths of the font size): viewers draw a text
# selection, and pdftotext reports a word box, from the baseline up by one and down by the other.
ASCENT, DESCENT = 0.718, 0.207
# Runs narrower than this (points) are not worth a stretched glyph; a space is still written.
MIN_ADVANCE_PT = 0.01


@dataclass(frozen=True)
class TextRun:
    """One piece of the text layer: `text` from (x, baseline) in points, stretched to `advance`."""

    text: str
    x: float
    baseline: float
    font_size: float
    advance: float


def write_searchable_pdf(doc: Document, page_images: list[PageImage], path: str | Path) -> None:
    """Write `doc` as a searchable PDF, one page per page image (the images the words were read on)."""
    if len(doc.pages) != len(page_images):
        raise ValueError(f"{len(doc.pages)} document pages but {len(page_images)} page images")
    pdf = pikepdf.Pdf.new()
    font = pdf.make_indirect(_font_dictionary())
    for page, page_image in zip(doc.pages, page_images):
        _add_page(pdf, font, page, page_image)
    buffer = io.BytesIO()
    # A deterministic /ID: the same document and images give the same bytes.
    pdf.save(buffer, compress_streams=True, deterministic_id=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    write_atomically(path, buffer.getvalue())


def text_runs(page: Page) -> list[TextRun]:
    """The text layer of one page, in reading order: each word, then a space if a word follows."""
    to_pdf = PixelToPdf(height_px=page.height, dpi=page.dpi)
    runs: list[TextRun] = []
    for line in page.lines:
        runs.extend(_line_runs(line, to_pdf))
    return runs


def _line_runs(line: Line, to_pdf: PixelToPdf) -> list[TextRun]:
    """Words of one line on one baseline; each word's size comes from its height above that baseline.

    The line box spans descender to ascender, so the baseline sits a descent's share above its
    bottom. Sizing each word by its top (not the line's) keeps a highlight on a short word short.
    """
    baseline_px = line.box.y1 - line.box.height * DESCENT / (ASCENT + DESCENT)
    baseline = to_pdf.y(baseline_px)
    line_size = to_pdf.length(line.box.height) / (ASCENT + DESCENT)
    words = [word for word in line.words if word.text.strip()]
    runs: list[TextRun] = []
    for index, word in enumerate(words):
        text = _pdf_text(word.text)
        height_above_baseline = to_pdf.y(word.box.y0) - baseline
        font_size = height_above_baseline / ASCENT if height_above_baseline > 0 else line_size
        x0, x1 = to_pdf.x(word.box.x0), to_pdf.x(word.box.x1)
        runs.append(TextRun(text, x0, baseline, font_size, max(x1 - x0, MIN_ADVANCE_PT)))
        if index + 1 < len(words):
            next_x0 = to_pdf.x(words[index + 1].box.x0)
            runs.append(TextRun(" ", x1, baseline, font_size, max(next_x0 - x1, MIN_ADVANCE_PT)))
    return runs


def _pdf_text(text: str) -> str:
    """`text` as the font can show it: characters outside WinAnsiEncoding become '?'."""
    return text.encode(TEXT_ENCODING, errors="replace").decode(TEXT_ENCODING)


# --- PDF objects --------------------------------------------------------------------------

def _add_page(pdf: pikepdf.Pdf, font: pikepdf.Object, page: Page, page_image: PageImage) -> None:
    if (page_image.width, page_image.height) != (page.width, page.height):
        raise ValueError(f"page {page.index}: image is {page_image.width} x {page_image.height} px "
                         f"but the page was read at {page.width} x {page.height} px")
    to_pdf = PixelToPdf(height_px=page.height, dpi=page.dpi)
    width_pt, height_pt = to_pdf.page_size(page.width)
    image = _image_xobject(pdf, page_image.image)
    content = _image_operators(width_pt, height_pt) + _text_operators(text_runs(page))
    pdf_page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    pdf_page.obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Im0=image),
        Font=pikepdf.Dictionary(F0=font),
        ProcSet=pikepdf.Array([pikepdf.Name.PDF, pikepdf.Name.Text, pikepdf.Name.ImageB,
                               pikepdf.Name.ImageC]),
    )
    pdf_page.obj.Contents = pdf.make_stream(zlib.compress(content), Filter=pikepdf.Name.FlateDecode)


def _image_xobject(pdf: pikepdf.Pdf, pixels: np.ndarray) -> pikepdf.Stream:
    """The page picture: 1-bit Flate for black-and-white scans, JPEG for grey and colour."""
    is_grey = bool(np.array_equal(pixels[:, :, 0], pixels[:, :, 1])
                   and np.array_equal(pixels[:, :, 0], pixels[:, :, 2]))
    grey = pixels[:, :, 0]
    height, width = grey.shape
    if is_grey and np.isin(grey, (0, 255)).all():
        bits = np.packbits(grey == 255, axis=1)  # rows padded to whole bytes, as PDF wants
        return pdf.make_stream(zlib.compress(bits.tobytes(), 6), Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Image, Width=width, Height=height,
                               ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=1,
                               Filter=pikepdf.Name.FlateDecode)
    picture = Image.fromarray(grey if is_grey else pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return pdf.make_stream(buffer.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=width, Height=height, BitsPerComponent=8,
                           ColorSpace=pikepdf.Name.DeviceGray if is_grey else pikepdf.Name.DeviceRGB,
                           Filter=pikepdf.Name.DCTDecode)


def _image_operators(width_pt: float, height_pt: float) -> bytes:
    return f"q {_num(width_pt)} 0 0 {_num(height_pt)} 0 0 cm /Im0 Do Q\n".encode("ascii")


def _text_operators(runs: list[TextRun]) -> bytes:
    """BT ... ET with one absolutely positioned, stretched run per word or space."""
    if not runs:
        return b""
    ops = ["BT", "3 Tr"]
    font_size = None
    for run in runs:
        if run.font_size != font_size:
            ops.append(f"/F0 {_num(run.font_size)} Tf")
            font_size = run.font_size
        natural = _text_width(run.text, run.font_size)
        scale = 100.0 * run.advance / natural if natural > 0 else 100.0
        encoded = run.text.encode(TEXT_ENCODING, errors="replace")
        ops.append(f"{_num(scale)} Tz 1 0 0 1 {_num(run.x)} {_num(run.baseline)} Tm <{encoded.hex()}> Tj")
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")


def _text_width(text: str, font_size: float) -> float:
    """The unstretched advance of `text` in points, from the same widths the font dictionary lists."""
    widths = _widths()
    codes = text.encode(TEXT_ENCODING, errors="replace")
    return sum(widths[code - FIRST_CODE] if code >= FIRST_CODE else 0 for code in codes) * font_size / 1000.0


@cache
def _widths() -> tuple[int, ...]:
    """Helvetica's advance for each code 32..255 under WinAnsiEncoding, from reportlab's AFM data."""
    helvetica = getFont(FONT_NAME)
    widths = []
    for code in range(FIRST_CODE, LAST_CODE + 1):
        char = bytes([code]).decode(TEXT_ENCODING, errors="ignore")
        widths.append(round(helvetica.stringWidth(char, 1000)) if char else 0)
    return tuple(widths)


def _font_dictionary() -> pikepdf.Dictionary:
    """Standard Helvetica, not embedded, with explicit widths so every viewer lays out the same."""
    return pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                              BaseFont=pikepdf.Name(f"/{FONT_NAME}"),
                              Encoding=pikepdf.Name.WinAnsiEncoding,
                              FirstChar=FIRST_CODE, LastChar=LAST_CODE,
                              Widths=pikepdf.Array(list(_widths())))


def _num(value: float) -> str:
    """A PDF number: fixed point, no exponent, no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
