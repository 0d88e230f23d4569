"""Rectify a page image before detection: find the sheet in a photo, flatten it, turn its text
level, even out its light; and keep the map back to the photo's pixels.

    image -> find_page (the sheet's corners, or None) -> the flat page's size (aspect ratio from
          the corners) -> skew of the flat page, measured on a small copy -> ONE resampling of the
          photo through "photo -> flat page -> level page" -> light normalisation
          -> orientation hook (quarter turns to upright, lector.photo.orientation) -> Rectified

The chain is a single `Homography` (lector.core.geometry); `Rectified.to_original` is its
inverse and maps anything found on the rectified image (word boxes) back onto the photo.
Nothing is resampled for a scan, a screenshot or a page that fills the frame: no sheet is
found (or the one found is just the image's own rectangle), the text is level within
`min_rotation_deg`, and the result is the input itself with the identity map.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from lector.core.document import Line, Page, Word
from lector.core.geometry import Box, Homography, grow_quad, quad_flat_size, rotation_onto_canvas
from lector.photo.deskew import Orientation, QuarterTurns, SkewConfig, SkewEstimate, estimate_skew
from lector.photo.light import LightConfig, light_unevenness, normalise_light
from lector.photo.page_finder import PageFinderConfig, PageQuad, _as_rgb, _shrink, find_page

LIGHT_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class RectifyConfig:
    find_page: bool = True
    deskew: bool = True
    light: str = "auto"                 # "on", "off", or "auto": for a sheet found in a photo, or uneven light
    min_page_confidence: float = 0.6    # a sheet found less surely is not used (0.7 left crumpled sheets unread; README)
    min_warp: float = 0.01              # ...nor one whose corners are all within this share of the diagonal
                                        #    of its upright bounding box (flattening would only crop)
    page_margin: float = 0.012          # the flattened page keeps this share of its diagonal around the sheet
                                        #    found: print at a folded or curled edge is not cut off
    min_rotation_deg: float = 1.0       # text tilted less is left as it is (the detector levels small tilts)
    min_skew_confidence: float = 0.3
    deskew_flattened: bool = False      # measure the tilt after flattening a sheet whose four edges were all
                                        # seen? Its edges already square it up, and curled rows mislead the
                                        # measure by a few degrees; a sheet cut by the frame is always measured
    skew_side: int = 1000               # long side (px) of the flat page's copy the skew is measured on
    max_output_pixels: int = 16_000_000
    light_spread: float = 48.0          # "auto": grey levels of background variation that call for it
    light_cast: float = 24.0            # "auto": colour cast (max channel difference) that calls for it
    finder: PageFinderConfig = field(default_factory=PageFinderConfig)
    skew: SkewConfig = field(default_factory=SkewConfig)
    lighting: LightConfig = field(default_factory=LightConfig)

    def __post_init__(self) -> None:
        if self.light not in LIGHT_MODES:
            raise ValueError(f"light must be one of {LIGHT_MODES}, not {self.light!r}")


@dataclass(frozen=True, eq=False)
class Rectified:
    """The image detection should read, and how its pixels map back onto the original.

    `to_original` maps rectified-image pixels to original-image pixels (identity when nothing
    was resampled); `quad` is the sheet that was flattened (None: none was), `found` what the
    page finder returned even when it was not used; `angle` the text tilt (degrees, counter-
    clockwise as seen) that was turned level; `quarter_turns` the orientation hook's clockwise
    quarter turns, `orientation` its estimate when it gave one (probabilities, confidence); `applied` whether the geometry changed, `light` whether the light was
    normalised. With neither, `image` is the input array itself.
    """

    image: np.ndarray
    to_original: Homography
    original_size: tuple[int, int]
    quad: PageQuad | None = None
    found: PageQuad | None = None
    angle: float = 0.0
    skew: SkewEstimate | None = None
    quarter_turns: int = 0
    orientation: QuarterTurns | None = None
    applied: bool = False
    light: bool = False
    timings: dict = field(default_factory=dict)

    def box_to_original(self, box: Box) -> Box:
        """A box on the rectified image as the upright box around it on the original, clipped."""
        width, height = self.original_size
        return self.to_original.apply_box(box).clip(width, height)

    def boxes_to_original(self, boxes: np.ndarray) -> np.ndarray:
        width, height = self.original_size
        mapped = self.to_original.apply_boxes(boxes)
        return np.clip(mapped, 0, [width, height, width, height])


def rectify(image: np.ndarray, config: RectifyConfig = RectifyConfig(),
            orientation: Orientation | None = None) -> Rectified:
    """The single entry point: see the module's docstring."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rgb = _as_rgb(image)
    height, width = rgb.shape[:2]
    # one small copy of the photo serves every measurement; only the final warp reads it all
    preview = _shrink(rgb, PREVIEW_SIDE)
    from_preview = Homography.scaling(width / preview.shape[1], height / preview.shape[0])
    found = find_page(rgb, config.finder, preview=preview) if config.find_page else None
    timings["find_page"] = time.perf_counter() - started
    quad = found if found is not None and _worth_flattening(found, config) else None

    # the flat page: photo -> page rectangle
    mark = time.perf_counter()
    if quad is not None:
        corners = quad.corners
        if config.page_margin:
            diagonal = 0.5 * float(np.linalg.norm(corners[2] - corners[0]) + np.linalg.norm(corners[3] - corners[1]))
            corners = grow_quad(corners, config.page_margin * diagonal)
        page_w, page_h = quad_flat_size(corners, (width, height))
        to_page = Homography.from_points(corners, np.array(
            [[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64))
    else:
        page_w, page_h = width, height
        to_page = Homography.identity()
    small = _warp_small(preview, from_preview.then(to_page), (page_w, page_h), config.skew_side)

    # the text's tilt, on the small flat page
    skew, angle = None, 0.0
    if config.deskew and (quad is None or quad.frame_sides > 0 or config.deskew_flattened):
        skew = estimate_skew(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY),
                             replace(config.skew, work_side=config.skew_side))
        if abs(skew.angle) >= config.min_rotation_deg and skew.confidence >= config.min_skew_confidence:
            angle = skew.angle
    timings["deskew"] = time.perf_counter() - mark

    # one resampling of the photo through the whole chain
    mark = time.perf_counter()
    forward, size = to_page, (page_w, page_h)
    if angle:
        turn, size = rotation_onto_canvas(angle, page_w, page_h)
        forward = forward.then(turn)
    applied = quad is not None or angle != 0.0
    out, small_out = rgb, preview
    if applied:
        pixels = size[0] * size[1]
        if pixels > config.max_output_pixels:
            shrink = float(np.sqrt(config.max_output_pixels / pixels))
            forward = forward.then(Homography.scaling(shrink))
            size = (max(1, int(size[0] * shrink)), max(1, int(size[1] * shrink)))
        fill = _paper_colour(small)
        out = _warp(rgb, forward, size, fill)
        small_out = _warp_small(preview, from_preview.then(forward), size, config.lighting.work_side * 2, fill)
    timings["warp"] = time.perf_counter() - mark

    # light
    mark = time.perf_counter()
    use_light = config.light == "on"
    if config.light == "auto":
        if quad is not None:
            use_light = True
        else:
            unevenness = light_unevenness(small_out, config.lighting)
            use_light = unevenness.spread > config.light_spread or unevenness.cast > config.light_cast
    if use_light:
        out = normalise_light(out, config.lighting, preview=small_out)
    timings["light"] = time.perf_counter() - mark

    # orientation (the hook: lector.photo.orientation.OrientationClassifier), on the level page
    mark = time.perf_counter()
    turns, estimate = 0, None
    if orientation is not None:
        answer = orientation(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY) if out.ndim == 3 else out)
        if isinstance(answer, (int, np.integer)):
            turns = int(answer) % 4
        else:
            estimate, turns = answer, int(answer.quarter_turns) % 4
        if turns:
            turn, _ = rotation_onto_canvas(90.0 * turns, out.shape[1], out.shape[0])
            forward = forward.then(turn)
            out = np.ascontiguousarray(np.rot90(out, -turns))
            applied = True
        timings["orientation"] = time.perf_counter() - mark
    to_original = forward.inverse() if applied else Homography.identity()
    if out is rgb:
        out = image                       # untouched: hand back the caller's own array
    timings["total"] = time.perf_counter() - started
    return Rectified(image=out, to_original=to_original, original_size=(width, height), quad=quad,
                     found=found, angle=angle, skew=skew, quarter_turns=turns, orientation=estimate, applied=applied,
                     light=use_light, timings=timings)


PREVIEW_SIDE = 1024     # long side (px) of the copy the page is found, its tilt and its light measured on


def page_to_original(page: Page, rectified: Rectified) -> Page:
    """A page read on the rectified image, with every word and line box mapped onto the original
    image (upright boxes around the mapped corners, clipped) and the original's size; the
    orientation estimate, when there was one, in `meta["orientation"]` (rotation applied in
    degrees clockwise, its confidence, the four probabilities)."""
    if rectified.orientation is not None:
        page = replace(page, meta={**page.meta, "orientation": rectified.orientation.to_meta()})
    if not rectified.applied:
        return page
    width, height = rectified.original_size
    lines = []
    for line in page.lines:
        words = tuple(Word(w.text, rectified.box_to_original(w.box), w.confidence) for w in line.words)
        lines.append(Line.from_words(words) if words else Line((), rectified.box_to_original(line.box)))
    meta = dict(page.meta)
    meta["rectified"] = {"to_original": [round(v, 8) for v in rectified.to_original.m],
                         "size": [int(page.width), int(page.height)], "angle": rectified.angle,
                         "quarter_turns": rectified.quarter_turns,
                         "quad": None if rectified.quad is None else np.round(rectified.quad.corners, 2).tolist()}
    return replace(page, width=width, height=height, lines=tuple(lines), meta=meta)


def _worth_flattening(found: PageQuad, config: RectifyConfig) -> bool:
    """A sure find whose corners stand off its own upright bounding box: a tilted or foreshortened
    sheet. A sheet already upright and square to the camera (a scan's page, a receipt on a
    scanner bed) is left in place: flattening would only crop it."""
    if found.confidence < config.min_page_confidence:
        return False
    corners = found.corners
    low, high = corners.min(axis=0), corners.max(axis=0)
    upright = np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]], [low[0], high[1]]])
    off = np.linalg.norm(corners - upright, axis=1).max()
    return bool(off > config.min_warp * np.linalg.norm(high - low))


def _warp_small(preview: np.ndarray, forward: Homography, size: tuple[int, int], side: int,
                fill: tuple[int, int, int] | None = None) -> np.ndarray:
    """The image `forward` makes of the photo (of `size` at full resolution), at most `side` px
    long, from the preview (`forward` maps preview pixels)."""
    scale = min(1.0, side / max(size))
    small_size = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    to_small = forward.then(Homography.scaling(small_size[0] / size[0], small_size[1] / size[1]))
    if to_small.is_identity(1e-6) and small_size == (preview.shape[1], preview.shape[0]):
        return preview
    return _warp(preview, to_small, small_size, fill)


def _warp(image: np.ndarray, forward: Homography, size: tuple[int, int],
          fill: tuple[int, int, int] | None) -> np.ndarray:
    border = cv2.BORDER_REPLICATE if fill is None else cv2.BORDER_CONSTANT
    value = fill if fill is not None else 0
    matrix = forward.matrix
    if np.allclose(matrix[2], [0, 0, 1]):
        return cv2.warpAffine(image, matrix[:2], size, flags=cv2.INTER_LINEAR, borderMode=border, borderValue=value)
    return cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=border, borderValue=value)


def _paper_colour(image: np.ndarray) -> tuple[int, int, int]:
    """The page's colour for the area outside the photo (corners cut by the frame, the turn's
    margins): the median of its brighter half."""
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 40_000)))
    sample = image[::step, ::step].reshape(-1, 3)
    grey = sample.mean(axis=1)
    bright = sample[grey >= np.median(grey)]
    colour = np.median(bright, axis=0) if len(bright) else np.array([255, 255, 255])
    return (int(colour[0]), int(colour[1]), int(colour[2]))
