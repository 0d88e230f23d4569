"""Even out the light on a photographed page: shadows, falling-off light and coloured light.

    image -> a copy ~256 px long -> close (max then min) with a kernel ~5% of the page, so dark
          print, rules and table bands narrower than that vanish and the paper's own light
          remains -> smooth -> back to full size -> image / background per channel

Dividing each channel by its own background takes the colour cast out with the shadow: paper
comes out white whatever the light's colour, and print keeps its contrast relative to the
paper around it. `light_unevenness` says how much there is to correct, so a caller can leave
an evenly lit scan alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class LightConfig:
    work_side: int = 256            # long side (px) of the copy the background is estimated on
    kernel: float = 0.05            # closing kernel, as a share of that copy's long side
    max_gain: float = 4.0           # a pixel is brightened at most this much (deep shadow, noise)
    flatten: bool = True            # divide by the background (shadows and cast together)
    remove_cast: bool = True        # without flattening: white-balance on the paper's colour


@dataclass(frozen=True)
class Unevenness:
    """How uneven the light is: `spread` the grey levels between the background's 98th percentile
    and the 2nd of its paper-like part (at least half as bright), `cast` how far the paper's median colour is from grey (max channel difference)."""

    spread: float
    cast: float


def estimate_background(image: np.ndarray, config: LightConfig = LightConfig()) -> np.ndarray:
    """The paper's light at low resolution (same channels as `image`, uint8, ~`work_side` long)."""
    closed, k = _closed(image, config)
    return cv2.GaussianBlur(closed, (0, 0), k / 2)


def _closed(image: np.ndarray, config: LightConfig) -> tuple[np.ndarray, int]:
    """A small copy with the print closed away, and the kernel's size."""
    h, w = image.shape[:2]
    scale = min(1.0, config.work_side / max(h, w))
    small = image
    if scale < 1.0:
        step = int(1.0 / scale)
        if step >= 2:                  # a whole-number area step first: OpenCV's fast path
            small = cv2.resize(small, None, fx=1.0 / step, fy=1.0 / step, interpolation=cv2.INTER_AREA)
        small = cv2.resize(small, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LINEAR)
    k = max(3, int(round(config.kernel * max(small.shape[:2]))) | 1)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return closed, k


def light_unevenness(image: np.ndarray, config: LightConfig = LightConfig()) -> Unevenness:
    background, _ = _closed(image, config)   # unsmoothed: a dark border keeps its sharp edge
    grey = background if background.ndim == 2 else cv2.cvtColor(background, cv2.COLOR_RGB2GRAY)
    high = float(np.percentile(grey, 98))
    paper = grey[grey >= 0.5 * high]         # dark bands and borders (a scanner's lid) are not paper in shadow
    low = float(np.percentile(paper, 2)) if paper.size else high
    cast = 0.0
    if background.ndim == 3:
        paper = np.median(background.reshape(-1, 3), axis=0)
        cast = float(paper.max() - paper.min())
    return Unevenness(spread=float(high - low), cast=cast)


def normalise_light(image: np.ndarray, config: LightConfig = LightConfig(),
                    preview: np.ndarray | None = None) -> np.ndarray:
    """`image` (grey or RGB, uint8) with shadows and colour cast divided out: same shape.
    `preview`: a smaller copy of `image` the caller already has (saves shrinking it again)."""
    if image.size == 0:
        return image
    if config.flatten:
        background = estimate_background(preview if preview is not None else image, config)
        return flatten_background(image, config, background)
    if config.remove_cast and image.ndim == 3:
        return remove_colour_cast(image)
    return image


def flatten_background(image: np.ndarray, config: LightConfig = LightConfig(),
                       background: np.ndarray | None = None) -> np.ndarray:
    """Each channel divided by its own background estimate (`estimate_background`, of this image
    or of a smaller copy of it), scaled so paper comes out at 255."""
    h, w = image.shape[:2]
    if background is None:
        background = estimate_background(image, config)
    floor = int(np.ceil(255.0 / config.max_gain))
    background = np.maximum(background, floor).astype(np.uint8)
    full = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(image, full, scale=255.0)


def remove_colour_cast(image: np.ndarray, percentile: float = 90.0) -> np.ndarray:
    """White balance on the paper: each channel scaled so that its bright pixels (the paper, the
    `percentile`-th brightest of the grey image) average to the same white."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    step = max(1, int(np.sqrt(grey.size / 250_000)))        # a sample is enough for a percentile
    sample_grey = grey[::step, ::step]
    sample = image[::step, ::step].reshape(-1, 3)
    bright = sample[sample_grey.ravel() >= np.percentile(sample_grey, percentile)]
    if len(bright) == 0:
        return image
    paper = bright.astype(np.float64).mean(axis=0)
    if paper.min() < 8:
        return image                                         # a channel all but absent: nothing to scale
    gains = paper.max() / paper
    table = np.clip(np.arange(256)[:, None] * gains[None, :], 0, 255).astype(np.uint8)
    return np.stack([cv2.LUT(image[:, :, c], table[:, c]) for c in range(3)], axis=2)
