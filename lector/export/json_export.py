"""JSON export: the document model as written by `Document.export()`, a lossless copy.

Read it back with `Document.from_json(json.loads(...))`.
"""
from __future__ import annotations

import json
from pathlib import Path

from lector.core.document import Document
from lector.export._atomic import write_atomically


def document_json(doc: Document) -> str:
    """The document as JSON text; non-ASCII stays readable (UTF-8), not \\u-escaped."""
    return json.dumps(doc.export(), ensure_ascii=False, indent=1) + "\n"


def write_json(doc: Document, path: str | Path) -> None:
    """Write the document as UTF-8 JSON to `path`."""
    write_atomically(path, document_json(doc).encode("utf-8"))
