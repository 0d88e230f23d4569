"""How a detected box becomes a recognizer crop. Shared with the real-crop builder, so the
word net trains on crops cut exactly the way the pipeline cuts them."""
from __future__ import annotations

import cv2
import numpy as np

from lector.core.geometry import Box

PAD_Y = 0.1     # of the box height, above and below
PAD_X = 0.25    # of the box height, left and right


def padded_box(box: Box, page_width: int, page_height: int) -> Box:
    h = box.height
    return Box(round(box.x0 - PAD_X * h), round(box.y0 - PAD_Y * h),
               round(box.x1 + PAD_X * h), round(box.y1 + PAD_Y * h)).clip(page_width, page_height)


def cut(grey: np.ndarray, box: Box) -> np.ndarray:
    return grey[int(box.y0): int(box.y1), int(box.x0): int(box.x1)]


def dark_on_light(crop: np.ndarray) -> np.ndarray:
    """Invert light-on-dark crops (Otsu: ink is the minority class), so the net sees one polarity."""
    if crop.size == 0:
        return crop
    _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return 255 - crop if (binary == 0).mean() > 0.5 else crop
