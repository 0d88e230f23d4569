"""Crop normalisation shared by training and inference, so both see identical inputs."""
from __future__ import annotations

import cv2
import numpy as np

INPUT_HEIGHT = 32
TIME_STRIDE = 4          # the CNN halves the width twice: one output step per 4 input columns
MIN_WIDTH = 16
MAX_WIDTH = 1600


def normalise_crop(grey: np.ndarray, height: int = INPUT_HEIGHT, max_width: int = MAX_WIDTH) -> np.ndarray:
    """A grey uint8 crop -> float32 (height, W) in [0, 1], W a multiple of TIME_STRIDE.

    Contrast is stretched between the crop's 2nd and 98th percentiles so faded thermal print
    and dark scans look alike to the net.
    """
    if grey.ndim == 3:
        grey = cv2.cvtColor(grey, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape[:2]
    if h == 0 or w == 0:
        return np.ones((height, MIN_WIDTH), np.float32)
    width = int(round(w * height / h))
    width = max(MIN_WIDTH, min(max_width, width))
    width = (width + TIME_STRIDE - 1) // TIME_STRIDE * TIME_STRIDE
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    resized = cv2.resize(grey, (width, height), interpolation=interp).astype(np.float32)
    lo, hi = np.percentile(resized, (2, 98))
    if hi - lo < 8:
        lo, hi = min(lo, hi - 8), max(hi, lo + 8)
    return np.clip((resized - np.float32(lo)) / np.float32(hi - lo), 0.0, 1.0).astype(np.float32)


def paper_after(crop: np.ndarray) -> float:
    """The page a crop is continued with on the right (batch padding, added paper): the median
    of its last columns, in the crop's own scale; white where it has none."""
    return float(np.median(crop[:, -TIME_STRIDE:])) if crop.shape[1] else 1.0


def batch_crops(crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack normalised crops into (N, 1, H, Wmax), padding each on the right with its background.

    Returns the batch and each crop's number of valid output time steps.
    """
    width = max(c.shape[1] for c in crops)
    batch = np.empty((len(crops), 1, crops[0].shape[0], width), np.float32)
    for i, crop in enumerate(crops):
        batch[i, 0, :, : crop.shape[1]] = crop
        batch[i, 0, :, crop.shape[1]:] = paper_after(crop)
    steps = np.array([c.shape[1] // TIME_STRIDE for c in crops], np.int64)
    return batch, steps
