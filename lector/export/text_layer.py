"""The invisible text layer of one page: what makes a scan searchable, selectable and copyable.

One module for both products: a new PDF made from page images and an existing PDF that gets a
layer on top of its pages. Both hand it a `Page` (word boxes in page-image pixels) and a map
from those pixels to the PDF page (`PixelToPdf` for display points; an `Affine` `cm` takes them
on to the page's user space when the page is cropped, turned or scaled).

How the layer is laid out, and why:
- Every word is one run in text render mode 3 (invisible) of a glyphless font (see
  `glyphless_font`): all characters share one advance, and the run's horizontal scaling (Tz) is
  set so the word's advance is exactly its box width: no overshoot into the gap.
- Between two words of a line comes an explicit space, itself scaled so that its advance ends
  where the next word starts. Extractors that read the spaces (pdfminer, PDFium, MuPDF) get
  single spaces; readers that find words from glyph positions alone (Apple Preview, and
  `pdftotext -raw`, which wants a gap over 0.15 of the font size) see glyphs that abut inside a
  word and a gap between words. Where the boxes leave almost no gap, the two words are
  shortened, half each, to leave `min_word_gap` of one: a little less highlight, but never two
  words glued into one.
- All words of a line share one baseline and one font size, the line box's height: extractors
  group characters into lines by their tops and baselines (pdfplumber by tops within 3 pt), so
  a word sized to its own ink (an x-height word beside a capital) would be torn out of its line
  at heading sizes. The highlight is the line's band, as for born-digital text.
- Lines are written in reading order (the document's order), so content-order extractors
  (`pdftotext -raw`, PDFium) read them in that order.
- A ToUnicode CMap maps each character code back to its text, so every extractor gets exactly
  the recognised characters, any script, any plane.

Why a glyphless font and not standard Helvetica (measured on tests/test_pdf_matrix.py's pages,
13 readers): Helvetica (not embedded, WinAnsi) cannot carry Ω, → or 𝔘, and each reader sizes
its boxes with its own Helvetica metrics (MuPDF substitutes Nimbus Sans): with this same layout,
mean word-box IoU was 0.72 in MuPDF, 0.84 in PDFium, 0.90 in poppler; with the glyphless font,
0.97 to 0.98 in all of them. It costs under 1 kB per file (the font is 724 bytes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import pikepdf
from reportlab.pdfbase.pdfmetrics import getFont

from lector.core.document import Line, Page
from lector.core.geometry import Affine, Box, PixelToPdf
from lector.export.glyphless_font import ADVANCE, ASCENT, DESCENT, FONT_NAME, UNITS_PER_EM, glyphless_font

# The glyph box a viewer highlights spans DESCENT..ASCENT of the font size around the baseline.
ASCENT_EM, DESCENT_EM = ASCENT / UNITS_PER_EM, DESCENT / UNITS_PER_EM
ADVANCE_EM = ADVANCE / UNITS_PER_EM
# Runs narrower than this (points) are not worth a stretched glyph.
MIN_ADVANCE_PT = 0.01
MIN_FONT_SIZE_PT = 0.5
# A word is never shortened below this share of its box to make room for a gap.
MIN_WORD_SHARE = 0.5
# PDF limits a CMap's bfchar block to 100 entries.
_BFCHAR_BLOCK = 100
# The debug layer's visible text: a standard font, with WinAnsi widths from reportlab's metrics.
DEBUG_FONT = "Helvetica"
DEBUG_ENCODING = "cp1252"


@dataclass(frozen=True)
class LayerConfig:
    """How the text layer is laid out; the defaults are what the viewer-matrix tests check."""

    # The least gap left between two words, as a share of the line's font size (its box height).
    # Readers that find words by glyph gaps split at about a tenth (Preview-like readers) to
    # 0.15 (pdftotext -raw) of the font size; 0.2 clears them all.
    min_word_gap: float = 0.2


@dataclass(frozen=True)
class TextRun:
    """One piece of the layer, in display points (y up): `text` from (x, baseline) at
    `font_size`, stretched to end exactly `advance` points later."""

    text: str
    x: float
    baseline: float
    font_size: float
    advance: float

    @property
    def box(self) -> Box:
        """The glyph box viewers highlight (x0, y0 = lower left, in points)."""
        return Box(self.x, self.baseline + DESCENT_EM * self.font_size,
                   self.x + self.advance, self.baseline + ASCENT_EM * self.font_size)

    @property
    def is_space(self) -> bool:
        return self.text == " "


def page_runs(page: Page, to_display: PixelToPdf, config: LayerConfig = LayerConfig()) -> list[TextRun]:
    """The layer of one page, in reading order: each word, then a space if another word follows."""
    runs: list[TextRun] = []
    for line in page.lines:
        runs.extend(line_runs(line, to_display, config))
    return runs


def line_runs(line: Line, to_display: PixelToPdf, config: LayerConfig = LayerConfig()) -> list[TextRun]:
    """One line's runs on one baseline, all one font size: the line box's height."""
    words = [(text, word.box) for word in line.words if (text := clean_text(word.text))]
    if not words:
        return []
    top, bottom = to_display.y(line.box.y0), to_display.y(line.box.y1)
    font_size = max(top - bottom, MIN_FONT_SIZE_PT)
    baseline = bottom - DESCENT_EM * font_size
    starts = [to_display.x(box.x0) for _, box in words]
    ends = [max(to_display.x(box.x1), start + MIN_ADVANCE_PT) for (_, box), start in zip(words, starts)]
    starts, ends = _open_gaps(starts, ends, config.min_word_gap * font_size)
    runs: list[TextRun] = []
    for index, (text, _) in enumerate(words):
        runs.append(TextRun(text, starts[index], baseline, font_size, ends[index] - starts[index]))
        if index + 1 < len(words):
            runs.append(TextRun(" ", ends[index], baseline, font_size,
                                max(starts[index + 1] - ends[index], MIN_ADVANCE_PT)))
    return runs


def _open_gaps(starts: list[float], ends: list[float], min_gap: float) -> tuple[list[float], list[float]]:
    """Word spans with at least `min_gap` between neighbours where the boxes leave less.

    The shortfall is taken half from each side of the gap, and never more than leaves a word
    `MIN_WORD_SHARE` of its width, so the highlight stays on the word.
    """
    starts, ends = list(starts), list(ends)
    widths = [end - start for start, end in zip(starts, ends)]
    for left in range(len(starts) - 1):
        right = left + 1
        shortfall = min_gap - (starts[right] - ends[left])
        if shortfall <= 0:
            continue
        left_room = ends[left] - (starts[left] + MIN_WORD_SHARE * widths[left])
        right_room = (ends[right] - MIN_WORD_SHARE * widths[right]) - starts[right]
        take_left = max(0.0, min(shortfall / 2, left_room))
        take_right = max(0.0, min(shortfall - take_left, right_room))
        take_left = max(0.0, min(shortfall - take_right, left_room))
        ends[left] -= take_left
        starts[right] += take_right
    return starts, ends


def clean_text(text: str) -> str:
    """A word as the layer writes it: inner whitespace as single spaces, no control characters."""
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())


class LayerFont:
    """The glyphless font of one PDF file, shared by all its pages.

    Character codes are handed out as characters are first met (two bytes each, Identity-H);
    `finish()` writes the ToUnicode CMap and the CID-to-glyph map once every page is done, so a
    long document is laid out page by page without holding its text.
    """

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self._codes: dict[str, int] = {}
        self._to_unicode = pdf.make_stream(b"")
        self._cid_to_gid = pdf.make_stream(b"")
        descriptor = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name(f"/{FONT_NAME}"),
            Flags=5,  # fixed pitch, symbolic
            FontBBox=pikepdf.Array([0, DESCENT, ADVANCE, ASCENT]), ItalicAngle=0,
            Ascent=ASCENT, Descent=DESCENT, CapHeight=ASCENT, StemV=80,
            FontFile2=pdf.make_stream(glyphless_font()),
        ))
        cid_font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
            BaseFont=pikepdf.Name(f"/{FONT_NAME}"),
            CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                             Ordering=pikepdf.String("Identity"), Supplement=0),
            FontDescriptor=descriptor, DW=ADVANCE, CIDToGIDMap=self._cid_to_gid,
        ))
        self.font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name(f"/{FONT_NAME}"),
            Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([cid_font]),
            ToUnicode=self._to_unicode,
        ))

    def encode(self, text: str) -> bytes:
        """`text` as character codes, one per code point; new characters get the next code."""
        codes = []
        for char in text:
            code = self._codes.get(char)
            if code is None:
                code = len(self._codes) + 1  # code 0 stays unused
                if code > 0xFFFF:
                    raise ValueError("more than 65535 distinct characters in one PDF text layer")
                self._codes[char] = code
            codes.append(code)
        return b"".join(code.to_bytes(2, "big") for code in codes)

    def finish(self) -> None:
        """Write the maps for every code handed out; call once, after the last page."""
        self._to_unicode.write(to_unicode_cmap(self._codes))
        # Every code (and .notdef's 0) is drawn with glyph 1, the empty one.
        self._cid_to_gid.write(b"\x00\x00" + b"\x00\x01" * len(self._codes))


def to_unicode_cmap(codes: dict[str, int]) -> bytes:
    """A ToUnicode CMap (PDF 32000 9.10.3) mapping each two-byte code to its character."""
    entries = sorted((code, char) for char, code in codes.items())
    blocks = []
    for start in range(0, len(entries), _BFCHAR_BLOCK):
        block = entries[start:start + _BFCHAR_BLOCK]
        lines = "\n".join(f"<{code:04X}> <{char.encode('utf-16-be').hex().upper()}>" for code, char in block)
        blocks.append(f"{len(block)} beginbfchar\n{lines}\nendbfchar")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks)
            + "\nendcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n").encode("ascii")


def layer_operators(runs: list[TextRun], font: LayerFont, font_name: str,
                    to_user: Affine | None = None) -> bytes:
    """The invisible layer as content-stream operators, in a q/Q of its own.

    Text state that an earlier stream may have left set (spacing, rise) is set explicitly.
    `to_user` maps display points to the page's user space (none: they are the same).
    """
    if not runs:
        return b""
    ops = ["q"]
    if to_user is not None and to_user != Affine():
        ops.append(f"{_matrix(to_user)} cm")
    ops.append("BT 3 Tr 0 Tc 0 Tw 0 Ts")
    font_size = None
    for run in runs:
        if run.font_size != font_size:
            ops.append(f"/{font_name} {_num(run.font_size)} Tf")
            font_size = run.font_size
        encoded = font.encode(run.text)
        natural = len(encoded) // 2 * ADVANCE_EM * run.font_size
        scale = 100.0 * run.advance / natural if natural > 0 else 100.0
        ops.append(f"{_num(scale)} Tz 1 0 0 1 {_num(run.x)} {_num(run.baseline)} Tm <{encoded.hex()}> Tj")
    ops.append("ET Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def debug_operators(runs: list[TextRun], font_name: str, to_user: Affine | None = None) -> bytes:
    """The layer made visible, to check alignment by eye: each word's glyph box (what a viewer
    highlights) outlined in red, the word in red text stretched over it, each space's box in blue."""
    if not runs:
        return b""
    ops = ["q"]
    if to_user is not None and to_user != Affine():
        ops.append(f"{_matrix(to_user)} cm")
    for run in runs:
        box = run.box
        colour = "0 0 1" if run.is_space else "1 0 0"
        line_width = max(run.font_size / 40.0, 0.1)
        ops.append(f"{colour} RG {_num(line_width)} w {_num(box.x0)} {_num(box.y0)} "
                   f"{_num(box.width)} {_num(box.height)} re S")
    ops.append("BT 0 Tr 0 Tc 0 Tw 0 Ts 1 0 0 rg")
    for run in runs:
        if run.is_space:
            continue
        encoded = run.text.encode(DEBUG_ENCODING, errors="replace")
        size = 0.6 * run.font_size
        natural = _debug_text_width(encoded) * size
        scale = 100.0 * run.advance / natural if natural > 0 else 100.0
        ops.append(f"/{font_name} {_num(size)} Tf {_num(scale)} Tz 1 0 0 1 {_num(run.x)} "
                   f"{_num(run.baseline)} Tm <{encoded.hex()}> Tj")
    ops.append("ET Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def debug_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """Standard Helvetica, with the widths `debug_operators` measured with."""
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name(f"/{DEBUG_FONT}"),
        Encoding=pikepdf.Name.WinAnsiEncoding, FirstChar=0, LastChar=255,
        Widths=pikepdf.Array(list(_debug_widths()))))


def _debug_text_width(encoded: bytes) -> float:
    """Advance of WinAnsi `encoded` text at font size 1."""
    widths = _debug_widths()
    return sum(widths[code] for code in encoded) / 1000.0


@cache
def _debug_widths() -> tuple[int, ...]:
    helvetica = getFont(DEBUG_FONT)
    widths = []
    for code in range(256):
        char = bytes([code]).decode(DEBUG_ENCODING, errors="ignore")
        widths.append(round(helvetica.stringWidth(char, 1000)) if char and code >= 32 else 0)
    return tuple(widths)


def _matrix(matrix: Affine) -> str:
    """A `cm` operand list; six decimals, since a /UserUnit scale like 1/3 is applied to whole pages."""
    return " ".join(_num(value, places=6) for value in matrix.as_tuple())


def _num(value: float, places: int = 4) -> str:
    """A PDF number: fixed point, no exponent, no trailing zeros."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
