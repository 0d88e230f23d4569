"""The engine interface: one page image in, one `Page` out."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from lector.core.document import Page


@runtime_checkable
class Engine(Protocol):
    """An OCR engine. `image` is uint8, HxW (grey) or HxWx3 (RGB); boxes come back in its pixels."""

    name: str

    def read_page(self, image: np.ndarray, index: int = 0, dpi: float = 300.0) -> Page: ...
