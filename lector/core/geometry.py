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


# --- perspective maps (photos of pages) -------------------------------------------------------
# A phone photo of a sheet maps to the flat page by a homography; turning the flat page upright
# is a rotation; both are 3x3 maps here, so the whole chain "original photo -> flattened page ->
# upright page" is one `Homography`, composed and inverted in one place.

@dataclass(frozen=True, slots=True)
class Homography:
    """A 3x3 plane-to-plane map of image pixels: (x, y) -> ((h0 x + h1 y + h2) / w, ...),
    w = h6 x + h7 y + h8, with the nine numbers row-major in `m` (the matrix OpenCV's
    `warpPerspective` takes). Pixel convention as everywhere: x right, y down."""

    m: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        if len(self.m) != 9 or not all(np.isfinite(self.m)):
            raise ValueError(f"a homography has 9 finite numbers, not {self.m}")

    @classmethod
    def identity(cls) -> "Homography":
        return cls()

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> "Homography":
        """From a 3x3 array, scaled so that its last entry is 1 where it can be."""
        matrix = np.asarray(matrix, np.float64).reshape(3, 3)
        if abs(matrix[2, 2]) > 1e-12:
            matrix = matrix / matrix[2, 2]
        return cls(tuple(float(v) for v in matrix.ravel()))

    @classmethod
    def from_points(cls, source: np.ndarray, target: np.ndarray) -> "Homography":
        """The map taking `source` points (N >= 4, 2) onto `target` (least squares beyond 4),
        by the normalised direct linear transform."""
        source = np.asarray(source, np.float64).reshape(-1, 2)
        target = np.asarray(target, np.float64).reshape(-1, 2)
        if len(source) < 4 or len(source) != len(target):
            raise ValueError("a homography needs at least 4 point pairs")
        norm_s, norm_t = _similarity_normaliser(source), _similarity_normaliser(target)
        s = _apply_matrix(norm_s, source)
        t = _apply_matrix(norm_t, target)
        n = len(s)
        rows = np.zeros((2 * n, 9))
        rows[0::2, 0:2], rows[0::2, 2] = s, 1
        rows[0::2, 6:8], rows[0::2, 8] = -t[:, :1] * s, -t[:, 0]
        rows[1::2, 3:5], rows[1::2, 5] = s, 1
        rows[1::2, 6:8], rows[1::2, 8] = -t[:, 1:] * s, -t[:, 1]
        _, singular, vt = np.linalg.svd(rows)
        if singular[-2] < 1e-10 * singular[0]:
            raise ValueError("degenerate points (three in a line?) define no homography")
        h = vt[-1].reshape(3, 3)
        return cls.from_matrix(np.linalg.inv(norm_t) @ h @ norm_s)

    @classmethod
    def from_affine(cls, affine: Affine) -> "Homography":
        return cls((affine.a, affine.c, affine.e, affine.b, affine.d, affine.f, 0.0, 0.0, 1.0))

    @classmethod
    def scaling(cls, sx: float, sy: float | None = None) -> "Homography":
        sy = sx if sy is None else sy
        return cls((float(sx), 0.0, 0.0, 0.0, float(sy), 0.0, 0.0, 0.0, 1.0))

    @classmethod
    def translation(cls, dx: float, dy: float) -> "Homography":
        return cls((1.0, 0.0, float(dx), 0.0, 1.0, float(dy), 0.0, 0.0, 1.0))

    @classmethod
    def rotation(cls, angle_deg: float, centre: tuple[float, float]) -> "Homography":
        """A turn about `centre`, the same as `rotate_points`: a positive angle turns a line
        that rises to the right (counter-clockwise as seen) back to level."""
        theta = np.deg2rad(angle_deg)
        c, s = float(np.cos(theta)), float(np.sin(theta))
        cx, cy = float(centre[0]), float(centre[1])
        return cls((c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0.0, 0.0, 1.0))

    @property
    def matrix(self) -> np.ndarray:
        return np.asarray(self.m, np.float64).reshape(3, 3)

    def then(self, other: "Homography") -> "Homography":
        """This map followed by `other` (as `Affine.then`)."""
        return Homography.from_matrix(other.matrix @ self.matrix)

    def inverse(self) -> "Homography":
        matrix = self.matrix
        if abs(np.linalg.det(matrix)) < 1e-12 * max(1.0, float(np.abs(matrix).max()) ** 3):
            raise ValueError("a singular homography has no inverse")
        return Homography.from_matrix(np.linalg.inv(matrix))

    def apply_points(self, points: np.ndarray) -> np.ndarray:
        """Points (N, 2) -> (N, 2). Points on the horizon (w = 0) come back as inf."""
        return _apply_matrix(self.matrix, np.asarray(points, np.float64).reshape(-1, 2))

    def apply(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.apply_points(np.array([[x, y]]))[0]
        return (float(px), float(py))

    def apply_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Boxes (N, 4) -> the axis-aligned boxes (N, 4) around their four mapped corners."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        corners = boxes[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)
        mapped = self.apply_points(corners).reshape(-1, 4, 2)
        return np.concatenate([mapped.min(axis=1), mapped.max(axis=1)], axis=1)

    def apply_box(self, box: Box) -> Box:
        """The axis-aligned box around the image of `box`'s four corners."""
        x0, y0, x1, y1 = self.apply_boxes(np.array([[box.x0, box.y0, box.x1, box.y1]]))[0]
        return Box(float(x0), float(y0), float(x1), float(y1))

    def is_identity(self, tolerance: float = 1e-9) -> bool:
        return bool(np.allclose(self.m, Homography().m, atol=tolerance))

    def turn_at(self, x: float, y: float) -> float:
        """How many degrees this map turns the x direction at (x, y), counter-clockwise as seen
        (image y down): 0 for a map that keeps lines level there."""
        ahead = self.apply_points(np.array([[x, y], [x + 1.0, y]]))
        dx, dy = ahead[1] - ahead[0]
        return float(np.rad2deg(np.arctan2(-dy, dx)))


def _apply_matrix(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    w = points @ matrix[2, :2] + matrix[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (points @ matrix[0, :2] + matrix[0, 2]) / w
        y = (points @ matrix[1, :2] + matrix[1, 2]) / w
    return np.stack([x, y], axis=1)


def _similarity_normaliser(points: np.ndarray) -> np.ndarray:
    """Hartley's conditioning: centre the points and scale them to a mean distance of sqrt 2."""
    centre = points.mean(axis=0)
    spread = np.sqrt(((points - centre) ** 2).sum(axis=1)).mean()
    scale = np.sqrt(2) / spread if spread > 0 else 1.0
    return np.array([[scale, 0, -scale * centre[0]], [0, scale, -scale * centre[1]], [0, 0, 1]])


def rotation_onto_canvas(angle_deg: float, width: float, height: float,
                         ) -> tuple[Homography, tuple[int, int]]:
    """A turn of a `width` x `height` image about its centre, shifted so that all of it lands on
    a new canvas (nothing cut off); returns the map and the canvas's (width, height)."""
    turn = Homography.rotation(angle_deg, (width / 2, height / 2))
    corners = turn.apply_points(np.array([[0, 0], [width, 0], [width, height], [0, height]]))
    low, high = corners.min(axis=0), corners.max(axis=0)
    size = np.ceil(high - low - 1e-6).astype(int)
    shift = Homography.translation(-low[0] + (size[0] - (high[0] - low[0])) / 2,
                                   -low[1] + (size[1] - (high[1] - low[1])) / 2)
    return turn.then(shift), (int(size[0]), int(size[1]))


def order_quad(corners: np.ndarray) -> np.ndarray:
    """Four corners (4, 2) in the order top-left, top-right, bottom-right, bottom-left (clockwise
    as seen), choosing among the four turns the one whose top edge is nearest to level: a sheet
    tilted by up to 45 degrees comes out upright, beyond that a quarter-turn off (orientation)."""
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    clockwise = corners[np.argsort(angles)]   # y down: increasing angle runs clockwise as seen
    best, best_tilt = clockwise, np.inf
    for shift in range(4):
        candidate = np.roll(clockwise, -shift, axis=0)
        top = candidate[1] - candidate[0]
        tilt = abs(np.arctan2(top[1], top[0]))
        if tilt < best_tilt - 1e-12:
            best, best_tilt = candidate, tilt
    return best


def quad_flat_size(corners: np.ndarray, image_size: tuple[float, float] | None = None,
                   ) -> tuple[int, int]:
    """The (width, height) in pixels of the flat rectangle that a photographed rectangle with
    `corners` (top-left, top-right, bottom-right, bottom-left) came from.

    The aspect ratio is Zhang and He's ("Whiteboard scanning and image enhancement", 2007): a
    pinhole camera with square pixels and its principal point at the centre of the photo
    (`image_size`); its focal length comes from the quad where the perspective says enough, else
    a phone's typical (the photo's long side). The size keeps the longer of the quad's two top and
    bottom edges, so the page keeps about the resolution the photo gave it.
    """
    tl, tr, br, bl = np.asarray(corners, np.float64).reshape(4, 2)
    top, bottom = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    width = max(top, bottom)
    ratio = _zhang_he_ratio(tl, tr, bl, br, image_size) if image_size else None
    if ratio is None or not (0.1 < ratio < 10):
        ratio = (top + bottom) / max(left + right, 1e-9)
    return max(1, int(round(width))), max(1, int(round(width / ratio)))


def _zhang_he_ratio(tl: np.ndarray, tr: np.ndarray, bl: np.ndarray, br: np.ndarray,
                    image_size: tuple[float, float]) -> float | None:
    u0, v0 = image_size[0] / 2, image_size[1] / 2
    m1, m2, m3, m4 = (np.array([p[0], p[1], 1.0]) for p in (tl, tr, bl, br))
    d2 = np.dot(np.cross(m2, m4), m3)
    d3 = np.dot(np.cross(m3, m4), m2)
    if abs(d2) < 1e-12 or abs(d3) < 1e-12:
        return None
    k2 = np.dot(np.cross(m1, m4), m3) / d2
    k3 = np.dot(np.cross(m1, m4), m2) / d3
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    long_side = max(image_size)
    focal2 = None
    if abs(n2[2] * n3[2]) > 1e-12:
        f2 = -((n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
               + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
               ) / (n2[2] * n3[2])
        if (0.4 * long_side) ** 2 < f2 < (4.0 * long_side) ** 2:
            focal2 = f2
    if focal2 is None:
        focal2 = float(long_side) ** 2
    a_inv = np.linalg.inv(np.array([[np.sqrt(focal2), 0, u0], [0, np.sqrt(focal2), v0], [0, 0, 1]]))
    q2, q3 = a_inv @ n2, a_inv @ n3
    denominator = float(q3 @ q3)
    if denominator <= 0:
        return None
    return float(np.sqrt((q2 @ q2) / denominator))


def grow_quad(corners: np.ndarray, distance: float) -> np.ndarray:
    """A convex quad (4, 2) with every side moved `distance` px outward (inward when negative),
    its corners where the moved sides cross: a safety margin around a sheet found in a photo."""
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    if distance == 0:
        return corners.copy()
    centre = corners.mean(axis=0)
    lines = []
    for k in range(4):
        a, b = corners[k], corners[(k + 1) % 4]
        along = (b - a) / max(float(np.linalg.norm(b - a)), 1e-12)
        normal = np.array([-along[1], along[0]])
        if normal @ ((a + b) / 2 - centre) < 0:
            normal = -normal
        lines.append((a + distance * normal, along))
    grown = []
    for k in range(4):
        (p, r), (q, s) = lines[k - 1], lines[k]
        cross = r[0] * s[1] - r[1] * s[0]
        if abs(cross) < 1e-12:
            grown.append(corners[k])
            continue
        t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
        grown.append(p + t * r)
    return np.array(grown)
