"""Boxes and coordinate transforms, in one place.

Convention: image pixels, x to the right, y down, (x0, y0) top-left, (x1, y1) bottom-right,
floats. PDF user space has y up and is in points (1/72 inch); `PixelToPdf` converts.
Nowhere else in Lector does arithmetic on coordinates by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def as_list(self) -> list[float]:
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]

    @classmethod
    def from_list(cls, values: Sequence[float]) -> "Box":
        x0, y0, x1, y1 = (float(v) for v in values)
        return cls(x0, y0, x1, y1)

    def intersection(self, other: "Box") -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def iou(self, other: "Box") -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def union(self, other: "Box") -> "Box":
        return Box(min(self.x0, other.x0), min(self.y0, other.y0),
                   max(self.x1, other.x1), max(self.y1, other.y1))

    def pad(self, dx: float, dy: float) -> "Box":
        return Box(self.x0 - dx, self.y0 - dy, self.x1 + dx, self.y1 + dy)

    def clip(self, width: float, height: float) -> "Box":
        return Box(max(0.0, self.x0), max(0.0, self.y0), min(width, self.x1), min(height, self.y1))

    def translate(self, dx: float, dy: float) -> "Box":
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def scale(self, sx: float, sy: float | None = None) -> "Box":
        sy = sx if sy is None else sy
        return Box(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy)


def union_all(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    if not boxes:
        raise ValueError("union of no boxes")
    return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes),
               max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def crop_span_to_page(line_box: Box, crop_width: float, x_start: float, x_end: float) -> Box:
    """A horizontal span [x_start, x_end) of a line crop, resized to `crop_width`, as a page box.

    The recognizer sees the line resized to a fixed height; character positions come back in
    that resized crop's pixels and are mapped to the page here.
    """
    sx = line_box.width / crop_width if crop_width > 0 else 1.0
    return Box(line_box.x0 + x_start * sx, line_box.y0, line_box.x0 + x_end * sx, line_box.y1)


@dataclass(frozen=True, slots=True)
class PixelToPdf:
    """Maps page-image pixels (y down) to PDF points (y up) for a page of `height_px` at `dpi`."""

    height_px: float
    dpi: float

    @property
    def points_per_pixel(self) -> float:
        return 72.0 / self.dpi

    def x(self, x_px: float) -> float:
        return x_px * self.points_per_pixel

    def y(self, y_px: float) -> float:
        return (self.height_px - y_px) * self.points_per_pixel

    def length(self, px: float) -> float:
        return px * self.points_per_pixel

    def page_size(self, width_px: float) -> tuple[float, float]:
        """The PDF page (width, height) in points for an image `width_px` wide."""
        return (self.length(width_px), self.length(self.height_px))
