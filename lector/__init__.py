"""Lector: OCR for documents. Public surface: `read()`, `Document`, the `lector` CLI."""
from __future__ import annotations

from lector.core.document import Document, Line, Page, Word

__all__ = ["read", "Document", "Page", "Line", "Word"]
__version__ = "0.1.0"


def read(source, engine=None) -> Document:
    """OCR an image file, a PDF, or a NumPy image array; see `lector.pipeline.read`."""
    from lector.pipeline import read as _read
    return _read(source, engine)
