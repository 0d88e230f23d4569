"""Plain-text export: what a reader would type out, line by line, page by page.

Lines come in the order the document holds them, which is the reading order the pipeline
decided; the exporter does not re-sort. Pages are separated by a form feed, as pdftotext and
Tesseract do, so tools that split on \\f get one chunk per page.
"""
from __future__ import annotations

from pathlib import Path

from lector.core.document import Document, Page
from lector.export._atomic import write_atomically

PAGE_SEPARATOR = "\f"


def page_text(page: Page) -> str:
    """One page: each line's words joined by single spaces, each line ended by a newline."""
    return "".join(line.text + "\n" for line in page.lines)


def document_text(doc: Document) -> str:
    """All pages, in order, separated by form feeds (an empty page stays an empty chunk)."""
    return PAGE_SEPARATOR.join(page_text(page) for page in doc.pages)


def write_text(doc: Document, path: str | Path) -> None:
    """Write `document_text(doc)` as UTF-8 to `path`."""
    write_atomically(path, document_text(doc).encode("utf-8"))
