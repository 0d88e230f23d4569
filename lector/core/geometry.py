"""Boxes and coordinate transforms, in one place.

Convention: image pixels, x to the right, y down, (x0, y0) top-left, (x1, y1) bottom-right,
floats. PDF user space has y up and is in points (1/72 inch); `PixelToPdf` converts, and
`PdfPageFrame` carries a PDF page's crop box, /Rotate and /UserUnit into that mapping.
Nowhere else in Lector does arithmetic on coordinates by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


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


# --- box arrays -------------------------------------------------------------------------------
# The detector and its evaluation handle thousands of boxes at once: (N, 4) float arrays of
# x0, y0, x1, y1 rows, the same convention as `Box`.

def boxes_to_array(boxes: Iterable[Box]) -> np.ndarray:
    rows = [(b.x0, b.y0, b.x1, b.y1) for b in boxes]
    return np.asarray(rows, np.float64).reshape(-1, 4)


def array_to_boxes(array: np.ndarray) -> list[Box]:
    return [Box(float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1 in array]


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of `a` (A, 4) with every box of `b` (B, 4): an (A, B) array."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def rotate_points(points: np.ndarray, angle_deg: float, centre: tuple[float, float]) -> np.ndarray:
    """Points (N, 2) turned by `angle_deg` about `centre`, in image axes (y down): a positive
    angle turns a line that rises to the right (counter-clockwise as seen) back to level."""
    theta = np.deg2rad(angle_deg)
    c, s = np.cos(theta), np.sin(theta)
    p = np.asarray(points, np.float64).reshape(-1, 2) - centre
    return np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]], axis=1) + centre


@dataclass(frozen=True, slots=True)
class Affine:
    """A 2-D affine map in PDF's order [a b c d e f]: (x, y) -> (a x + c y + e, b x + d y + f).

    The same six numbers a content stream's `cm` operator takes, so a map built here is written
    into a PDF as is.
    """

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    e: float = 0.0
    f: float = 0.0

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return (self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f)

    def then(self, other: "Affine") -> "Affine":
        """This map followed by `other`."""
        return Affine(a=self.a * other.a + self.b * other.c, b=self.a * other.b + self.b * other.d,
                      c=self.c * other.a + self.d * other.c, d=self.c * other.b + self.d * other.d,
                      e=self.e * other.a + self.f * other.c + other.e,
                      f=self.e * other.b + self.f * other.d + other.f)

    def inverse(self) -> "Affine":
        det = self.a * self.d - self.b * self.c
        if det == 0:
            raise ValueError("a singular affine map has no inverse")
        a, b, c, d = self.d / det, -self.b / det, -self.c / det, self.a / det
        return Affine(a, b, c, d, -(self.e * a + self.f * c), -(self.e * b + self.f * d))

    def apply_box(self, box: Box) -> Box:
        """The axis-aligned box around the image of `box` (exact for maps that turn by 90 degrees)."""
        corners = [self.apply(x, y) for x in (box.x0, box.x1) for y in (box.y0, box.y1)]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        return Box(min(xs), min(ys), max(xs), max(ys))

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (self.a, self.b, self.c, self.d, self.e, self.f)


@dataclass(frozen=True, slots=True)
class PdfPageFrame:
    """Where a PDF page's visible area lies in its user space, and how a viewer turns it.

    `box` is the effective crop box (the CropBox clipped to the MediaBox) in user-space units,
    with y up (x0, y0 the lower-left corner); `rotate` is /Rotate, clockwise, a multiple of 90;
    `user_unit` is /UserUnit, the size of one user-space unit in points.

    "Display space" is the page as a viewer shows it: points, y up, origin at the lower-left
    corner of the visible (cropped, turned) page. A page image rendered at `dpi` maps to display
    space with `pixel_to_display`, and display space maps to the page's user space (where a
    content stream draws) with `display_to_user`.
    """

    box: Box
    rotate: int = 0
    user_unit: float = 1.0

    def __post_init__(self) -> None:
        if self.rotate not in (0, 90, 180, 270):
            raise ValueError(f"rotate must be 0, 90, 180 or 270, not {self.rotate}")
        if not (self.box.width > 0 and self.box.height > 0 and self.user_unit > 0):
            raise ValueError(f"a page frame needs an area and a positive user unit: {self}")

    @classmethod
    def from_pdf(cls, mediabox: Sequence[float], cropbox: Sequence[float] | None = None,
                 rotate: float = 0, user_unit: float = 1.0) -> "PdfPageFrame":
        """From the page dictionary's values, as PDF allows them: corners in any order, a crop box
        reaching past the media box, /Rotate any multiple of 90 (negative too)."""
        media = _normalised_rectangle(mediabox)
        crop = media if cropbox is None else _normalised_rectangle(cropbox)
        visible = Box(max(media.x0, crop.x0), max(media.y0, crop.y0),
                      min(media.x1, crop.x1), min(media.y1, crop.y1))
        if visible.width <= 0 or visible.height <= 0:
            visible = media  # a crop box outside the media box is ignored, as viewers do
        turn = int(rotate) % 360 if float(rotate) == int(rotate) and int(rotate) % 90 == 0 else 0
        return cls(box=visible, rotate=turn, user_unit=float(user_unit) if user_unit > 0 else 1.0)

    @property
    def turned(self) -> bool:
        return self.rotate in (90, 270)

    @property
    def display_size(self) -> tuple[float, float]:
        """The (width, height) a viewer shows, in points."""
        width, height = self.box.width * self.user_unit, self.box.height * self.user_unit
        return (height, width) if self.turned else (width, height)

    def display_to_user(self) -> Affine:
        """Display points -> user space: undo the turn, then shift to the crop box's corner."""
        box, scale = self.box, 1.0 / self.user_unit
        turn = {
            0: Affine(1, 0, 0, 1, box.x0, box.y0),
            90: Affine(0, 1, -1, 0, box.x1, box.y0),
            180: Affine(-1, 0, 0, -1, box.x1, box.y1),
            270: Affine(0, -1, 1, 0, box.x0, box.y1),
        }[self.rotate]
        return Affine(scale, 0, 0, scale, 0, 0).then(turn)

    def pixel_to_display(self, dpi: float) -> PixelToPdf:
        """Pixels of this page rendered at `dpi` -> display points.

        Flips y about the page's true height, not the rendered image's, which renderers round up
        to whole pixels: the top edge, where rendering starts, stays exact.
        """
        return PixelToPdf(height_px=self.display_size[1] * dpi / 72.0, dpi=dpi)

    def pixel_to_user(self, dpi: float) -> Affine:
        """Pixels of this page rendered at `dpi` -> user space, as one map."""
        to_display = self.pixel_to_display(dpi)
        scale = to_display.points_per_pixel
        return Affine(scale, 0, 0, -scale, 0, to_display.y(0)).then(self.display_to_user())

    def rendered_size(self, dpi: float) -> tuple[float, float]:
        """The page's (width, height) in pixels at `dpi`, before any rounding to whole pixels."""
        width, height = self.display_size
        return (width * dpi / 72.0, height * dpi / 72.0)


def _normalised_rectangle(values: Sequence[float]) -> Box:
    """A PDF rectangle [llx lly urx ury] whose corners may come in either order."""
    if len(values) != 4:
        raise ValueError(f"a PDF rectangle has 4 numbers, not {len(values)}")
    x0, y0, x1, y1 = (float(v) for v in values)
    return Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
