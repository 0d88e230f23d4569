"""The text's tilt on a page: the angle that turns its lines level, and how sure that is.

    grey page -> a copy at most 800 px long -> dark marks (local-mean threshold) -> the centres of
    glyph-sized components -> for each candidate angle, the centres turned level and counted
    in thin horizontal bins -> the angle with the sharpest histogram (rows of text pile into
    few bins), coarse then fine

Centres, not pixels: each glyph counts once whatever its weight, so a dark table band or a
logo does not outvote the text, and a few thousand points make the search cost milliseconds.

Only the part of the tilt below 45 degrees can be told from the lines (a page turned by 107
degrees looks like one turned by 17 with its lines running down); which way is up is the
orientation step's question, behind the `Orientation` hook.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np


@dataclass(frozen=True)
class SkewConfig:
    work_side: int = 800            # long side (px) of the copy the angle is measured on
    coarse_step: float = 1.0        # degrees between candidates over (-45, 45]
    fine_step: float = 0.1
    min_marks: int = 30             # fewer glyph-like marks than this: no angle (confidence 0)


@dataclass(frozen=True)
class SkewEstimate:
    """`angle`: degrees the text lines rise to the right (counter-clockwise as seen), in (-45, 45];
    `Homography.rotation(angle, centre)` turns them level. `confidence` in [0, 1]: how much the
    best angle's histogram stands out from the others' (0 when there was nothing to measure)."""

    angle: float
    confidence: float
    marks: int = 0


class Orientation(Protocol):
    """The hook for the page's orientation: how many quarter turns (0-3, clockwise as seen) make
    an already level page upright, as an int or as an estimate carrying `quarter_turns` (and its
    confidence: lector.photo.orientation). `rectify` takes one and calls it on the level page
    (grey, full resolution)."""

    def __call__(self, grey: np.ndarray) -> "int | QuarterTurns": ...


class QuarterTurns(Protocol):
    quarter_turns: int

    def to_meta(self) -> dict: ...


def estimate_skew(grey: np.ndarray, config: SkewConfig = SkewConfig()) -> SkewEstimate:
    """The tilt of the text lines in a grey page image (see the module's docstring)."""
    centres, height = glyph_centres(grey, config.work_side)
    if len(centres) < config.min_marks:
        return SkewEstimate(0.0, 0.0, len(centres))
    centres = centres - centres.mean(axis=0)
    bin_size = max(1.0, height / 3)
    coarse = np.arange(-45.0 + config.coarse_step, 45.0 + 1e-9, config.coarse_step)
    scores = _sharpness(centres, coarse, bin_size)
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - config.coarse_step, best + config.coarse_step + 1e-9, config.fine_step)
    fine_scores = _sharpness(centres, fine, bin_size)
    k = int(np.argmax(fine_scores))
    angle = float(fine[k])
    if 0 < k < len(fine) - 1:                    # a parabola through the peak and its neighbours
        left, mid, right = fine_scores[k - 1], fine_scores[k], fine_scores[k + 1]
        bend = left - 2 * mid + right
        if bend < 0:
            angle += float(np.clip(0.5 * (left - right) / bend, -0.5, 0.5)) * config.fine_step
    angle = _wrap(angle)
    # confidence: the peak's height above the typical angle's, as a share of the peak
    typical = float(np.median(scores))
    peak = float(fine_scores.max())
    confidence = 0.0 if peak <= 0 else max(0.0, min(1.0, (peak - typical) / peak))
    return SkewEstimate(round(angle, 2), round(confidence, 3), len(centres))


def glyph_centres(grey: np.ndarray, work_side: int) -> tuple[np.ndarray, float]:
    """Centres (N, 2) of glyph-sized dark marks, in the original image's pixels, and their median
    height there."""
    h, w = grey.shape[:2]
    scale = min(1.0, work_side / max(h, w))
    small = grey if scale >= 1.0 else cv2.resize(
        grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    if min(small.shape) < 16:
        return np.zeros((0, 2)), 1.0
    block = max(15, (min(small.shape) // 30) | 1)
    marks = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(marks, connectivity=8)
    cw, ch, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    limit = 0.06 * max(small.shape)
    glyph = (ch >= 3) & (ch <= limit) & (cw <= 2 * limit) & (area >= 6) & (area >= 0.12 * cw * ch)
    if not glyph.any():
        return np.zeros((0, 2)), 1.0
    return centroids[1:][glyph] / scale, float(np.median(ch[glyph])) / scale


def _sharpness(centres: np.ndarray, angles: np.ndarray, bin_size: float) -> np.ndarray:
    """For each angle, the sum of squared bin counts of the centres' heights once turned level by
    it (the same turn as `Homography.rotation`): high when rows of text fall into few bins."""
    theta = np.deg2rad(angles)[:, None]
    levelled = np.sin(theta) * centres[None, :, 0] + np.cos(theta) * centres[None, :, 1]
    bins = np.floor((levelled - levelled.min()) / bin_size).astype(np.int64)
    width = int(bins.max()) + 1
    flat = bins + width * np.arange(len(angles))[:, None]
    counts = np.bincount(flat.ravel(), minlength=width * len(angles)).reshape(len(angles), width)
    return (counts.astype(np.float64) ** 2).sum(axis=1)


def _wrap(angle: float) -> float:
    """An angle of a line (period 180, but lines and columns alike: period 90) into (-45, 45]."""
    angle = (angle + 45.0) % 90.0 - 45.0
    return 45.0 if angle == -45.0 else angle
