"""hOCR export: the document as one XHTML file, a `div.ocr_page` per page (hOCR 1.2).

Each page holds its lines (`span.ocr_line`) in reading order and each line its words
(`span.ocrx_word`), with `bbox` in page-image pixels and `x_wconf` the word's confidence in
percent, as Tesseract writes it; pages carry `ppageno`, `scan_res` and the source image, so
tools such as hocr-tools and OCRmyPDF's hOCR renderer can place the words again. Lector's
document model has no blocks or paragraphs, so none are invented: lines sit in the page.
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lector.core.document import Document, Page
from lector.core.geometry import Box
from lector.export._atomic import write_atomically
from lector.export._xml import lector_version, xml_safe

CAPABILITIES = "ocr_page ocr_line ocrx_word"


def document_hocr(doc: Document) -> str:
    """The whole document as hOCR text (UTF-8 XHTML)."""
    title = escape(xml_safe(doc.source) or "Lector OCR")
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        '    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        ' <head>\n'
        f'  <title>{title}</title>\n'
        '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
        f'  <meta name="ocr-system" content="lector {lector_version()}"/>\n'
        f'  <meta name="ocr-capabilities" content="{CAPABILITIES}"/>\n'
        f'  <meta name="ocr-number-of-pages" content="{len(doc.pages)}"/>\n'
        ' </head>\n'
        ' <body>\n'
    )
    return head + "".join(_page(page, number, doc.source) for number, page in enumerate(doc.pages, 1)) \
        + " </body>\n</html>\n"


def write_hocr(doc: Document, path: str | Path) -> None:
    write_atomically(path, document_hocr(doc).encode("utf-8"))


def _page(page: Page, number: int, source: str) -> str:
    properties = []
    if source:
        properties.append(f'image "{xml_safe(source)}"')
    properties.append(f"bbox 0 0 {page.width} {page.height}")
    properties.append(f"ppageno {page.index}")
    dpi = round(page.dpi)
    properties.append(f"scan_res {dpi} {dpi}")
    parts = [f'  <div class="ocr_page" id="page_{number}" title={quoteattr("; ".join(properties))}>\n']
    for line_number, line in enumerate(page.lines, 1):
        words = [word for word in line.words if xml_safe(word.text)]
        if not words:
            continue
        line_id = f"line_{number}_{line_number}"
        parts.append(f'   <span class="ocr_line" id="{line_id}" title="{_bbox(line.box)}">')
        for word_number, word in enumerate(words, 1):
            confidence = round(max(0.0, min(1.0, word.confidence)) * 100)
            title = f"{_bbox(word.box)}; x_wconf {confidence}"
            separator = " " if word_number > 1 else ""
            parts.append(f'{separator}<span class="ocrx_word" id="word_{number}_{line_number}_{word_number}" '
                         f'title="{title}">{escape(xml_safe(word.text))}</span>')
        parts.append("</span>\n")
    parts.append("  </div>\n")
    return "".join(parts)


def _bbox(box: Box) -> str:
    """hOCR's integer bbox: the smallest whole-pixel box around `box`."""
    return (f"bbox {max(0, math.floor(box.x0))} {max(0, math.floor(box.y0))} "
            f"{math.ceil(box.x1)} {math.ceil(box.y1)}")
