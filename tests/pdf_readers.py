"""How PDF readers see a text layer: the words and glyph boxes each independent tool extracts.

Every reader returns, per page, the words it finds in its reading order; the box readers also
return each word's glyph box in display points measured from the page's top-left corner (the
page as a viewer shows it, cropped and turned), the same frame for every tool, so one truth box
serves them all. `position_only_words` is the odd one: it throws the space characters away and
finds words from glyph positions alone, as Apple Preview does.
"""
from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from lector.core.geometry import Box

# A gap between two glyph boxes wider than this share of the glyph height starts a new word, for
# the position-only reader. Typeset text puts about a quarter em (a space) between words and
# nothing inside them; a tenth of the glyph height splits the first and never the second.
POSITION_GAP_SHARE = 0.1


@dataclass(frozen=True)
class Glyph:
    """One extracted character: its text and box (display points, y down from the top)."""

    text: str
    box: Box


@dataclass(frozen=True)
class Extracted:
    text: str
    box: Box


@dataclass(frozen=True)
class PageItems:
    """What a reader found on one page, with the page size in the reader's own points (readers
    differ on /UserUnit: MuPDF applies it, poppler, pdfminer and PDFium do not)."""

    width: float
    height: float
    items: list

    def relative(self, box: Box) -> Box:
        """`box` as fractions of the page, comparable across readers."""
        return Box(box.x0 / self.width, box.y0 / self.height, box.x1 / self.width, box.y1 / self.height)


# --- text only -------------------------------------------------------------------------------

def pdftotext_pages(pdf: Path, *options: str) -> list[list[str]]:
    """poppler's pdftotext (options: -raw, -layout, or none), as the words of each page."""
    text = subprocess.run(["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [page.split() for page in text.split("\f")[:-1]]


def pdfminer_pages(pdf: Path) -> list[list[str]]:
    from pdfminer.high_level import extract_text
    text = extract_text(str(pdf))
    return [page.split() for page in text.split("\f")[:-1]]


def pdfium_pages(pdf: Path) -> list[list[str]]:
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().split())
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def mutool_pages(pdf: Path) -> list[list[str]]:
    """MuPDF's `mutool draw -F txt`: pages end with a form feed."""
    text = subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    return [page.split() for page in text.split("\f")[:-1]]


# --- words with boxes ------------------------------------------------------------------------

def pdftotext_words(pdf: Path) -> list[PageItems]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pattern = r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>'
    pages = []
    for page in html.split("<page ")[1:]:
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        words = [Extracted(_unescape(m.group(5)), Box(*(float(v) for v in m.group(1, 2, 3, 4))))
                 for m in re.finditer(pattern, page)]
        pages.append(PageItems(float(size.group(1)), float(size.group(2)), words))
    return pages


def pdfplumber_words(pdf: Path) -> list[PageItems]:
    """pdfplumber's `extract_words()` with its defaults (3 pt tolerances, lines clustered by top)."""
    import pdfplumber
    with pdfplumber.open(str(pdf)) as document:
        return [PageItems(float(page.width), float(page.height),
                          [Extracted(w["text"], Box(w["x0"], w["top"], w["x1"], w["bottom"]))
                           for w in page.extract_words()]) for page in document.pages]


def pdfplumber_glyphs(pdf: Path) -> list[PageItems]:
    """pdfminer's characters (through pdfplumber), spaces included, in content order."""
    import pdfplumber
    with pdfplumber.open(str(pdf)) as document:
        return [PageItems(float(page.width), float(page.height),
                          [Glyph(c["text"], Box(c["x0"], c["top"], c["x1"], c["bottom"])) for c in page.chars])
                for page in document.pages]


def pdfium_glyphs(pdf: Path) -> list[PageItems]:
    """PDFium's characters with their loose boxes (font ascent to descent: what a selection
    covers), turned into display points from the top. Characters PDFium made up (line breaks
    it inserts) are left out."""
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    try:
        for page in document:
            left, bottom, right, top = page.get_bbox()
            rotation = page.get_rotation()
            textpage = page.get_textpage()
            # PDFium counts UTF-16 units: a character beyond the BMP is two "chars", two boxes.
            units = textpage.get_text_range().encode("utf-16-le")
            units = [units[i:i + 2] for i in range(0, len(units), 2)]
            glyphs = []
            index = 0
            while index < len(units):
                size = 2 if 0xD800 <= int.from_bytes(units[index], "little") < 0xDC00 else 1
                text = b"".join(units[index:index + size]).decode("utf-16-le", errors="replace")
                boxes = [Box(*textpage.get_charbox(i, loose=True)) for i in range(index, index + size)]
                index += size
                if text in ("\r", "\n", "\x02", ""):
                    continue
                box = boxes[0] if size == 1 else boxes[0].union(boxes[1])
                glyphs.append(Glyph(text, _user_to_display_top_left(box, left, bottom, right, top, rotation)))
            textpage.close()
            turned = rotation in (90, 270)
            width, height = (top - bottom, right - left) if turned else (right - left, top - bottom)
            page.close()
            pages.append(PageItems(width, height, glyphs))
        return pages
    finally:
        document.close()


def mutool_glyphs(pdf: Path) -> list[PageItems]:
    """MuPDF's structured text: each character's quad, in display points from the top."""
    xml = subprocess.run(["mutool", "draw", "-q", "-F", "stext", "-o", "-", str(pdf)], capture_output=True,
                         text=True, check=True).stdout
    root = ElementTree.fromstring(xml)
    pages = []
    for page in root.iter("page"):
        glyphs = []
        for char in page.iter("char"):
            quad = [float(v) for v in char.get("quad", "").split()]
            xs, ys = quad[0::2], quad[1::2]
            glyphs.append(Glyph(char.get("c", ""), Box(min(xs), min(ys), max(xs), max(ys))))
        pages.append(PageItems(float(page.get("width")), float(page.get("height")), glyphs))
    return pages


def words_from_glyphs(glyphs: list[Glyph]) -> list[Extracted]:
    """Words as the space characters and line ends divide them (a reader that trusts spaces)."""
    words, current = [], []
    for glyph in glyphs:
        if glyph.text.isspace():
            if current:
                words.append(_word(current))
            current = []
            continue
        if current and _starts_line(current[-1], glyph):
            words.append(_word(current))
            current = []
        current.append(glyph)
    if current:
        words.append(_word(current))
    return words


def _starts_line(previous: Glyph, glyph: Glyph) -> bool:
    """A glyph whose middle is outside the previous glyph's band, or that goes back left."""
    centre = (glyph.box.y0 + glyph.box.y1) / 2
    return not (previous.box.y0 <= centre <= previous.box.y1) or glyph.box.x0 < previous.box.x0


def position_only_words(glyphs: list[Glyph], gap_share: float = POSITION_GAP_SHARE) -> list[Extracted]:
    """Words found from glyph positions alone, space characters ignored (how Preview reads).

    Glyphs are taken in content order; a glyph starts a new word where it leaves the current
    line's band, or where the gap after the previous glyph is wider than `gap_share` of the
    glyph height, or where it starts left of the previous glyph.
    """
    words, current = [], []
    for glyph in glyphs:
        if glyph.text.isspace():
            continue
        if current:
            previous = current[-1]
            height = max(previous.box.height, glyph.box.height)
            gap = glyph.box.x0 - previous.box.x1
            if _starts_line(previous, glyph) or gap > gap_share * height:
                words.append(_word(current))
                current = []
        current.append(glyph)
    if current:
        words.append(_word(current))
    return words


def _word(glyphs: list[Glyph]) -> Extracted:
    box = glyphs[0].box
    for glyph in glyphs[1:]:
        box = box.union(glyph.box)
    return Extracted("".join(g.text for g in glyphs), box)


def _user_to_display_top_left(box: Box, left: float, bottom: float, right: float, top: float,
                              rotation: int) -> Box:
    """A box in PDF user space (y up) as display points from the top-left of the shown page.

    Written out here, independently of lector.core.geometry, so the test does not check the
    code with itself.
    """
    corners = [(x, y) for x in (box.x0, box.x1) for y in (box.y0, box.y1)]
    shown = []
    for x, y in corners:
        if rotation == 0:
            shown.append((x - left, top - y))
        elif rotation == 90:
            shown.append((y - bottom, x - left))
        elif rotation == 180:
            shown.append((right - x, y - bottom))
        else:
            shown.append((top - y, right - x))
    xs, ys = [p[0] for p in shown], [p[1] for p in shown]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _unescape(text: str) -> str:
    table = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
    return re.sub(r"&\w+;", lambda m: table.get(m.group(0), m.group(0)), text)


def _words_of(glyph_reader, make_words):
    def read(pdf: Path) -> list[PageItems]:
        return [PageItems(page.width, page.height, make_words(page.items)) for page in glyph_reader(pdf)]
    return read


# Every reader that gives words with boxes, by name: the spaces-trusting ones and the
# position-only ones (spaces thrown away, words from glyph gaps: Preview's way).
WORD_READERS = {
    "pdftotext-bbox": pdftotext_words,
    "pdfplumber": pdfplumber_words,
    "pdfium": _words_of(pdfium_glyphs, words_from_glyphs),
    "mupdf": _words_of(mutool_glyphs, words_from_glyphs),
    "position-only/pdfminer": _words_of(pdfplumber_glyphs, position_only_words),
    "position-only/pdfium": _words_of(pdfium_glyphs, position_only_words),
    "position-only/mupdf": _words_of(mutool_glyphs, position_only_words),
}

# Readers that give text only, by name: pages of words, split on whitespace.
TEXT_READERS = {
    "pdftotext": lambda pdf: pdftotext_pages(pdf),
    "pdftotext-raw": lambda pdf: pdftotext_pages(pdf, "-raw"),
    "pdftotext-layout": lambda pdf: pdftotext_pages(pdf, "-layout"),
    "pdfminer": pdfminer_pages,
    "pdfium-text": pdfium_pages,
    "mutool-txt": mutool_pages,
}
