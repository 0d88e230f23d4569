"""Debug picture of what the detector found, one colour per level:

    character regions  orange, thin
    words              green
    segments           red   (one recognizer crop each)
    lines              blue  (drawn 2 px outside their segments)
    truth boxes        magenta, dashed look (optional, for evaluation)

`write_debug_picture(image, detection, path)` takes a `PageDetection` (all levels) or, as
before, a plain list of `TextLine` (segments, words and lines only).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from lector.core.geometry import Box
from lector.detect.mser import PageDetection, TextLine

# BGR, as OpenCV draws
REGION_COLOUR = (0, 165, 255)
WORD_COLOUR = (0, 170, 0)
SEGMENT_COLOUR = (0, 0, 255)
LINE_COLOUR = (255, 0, 0)
TRUTH_COLOUR = (255, 0, 255)


def debug_picture(image: np.ndarray, detection: PageDetection | list[TextLine],
                  truth: Iterable[Box] = ()) -> np.ndarray:
    """A BGR picture of `image` with the detection drawn over it."""
    if image.ndim == 2:
        vis = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    else:
        vis = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    lines = detection.lines if isinstance(detection, PageDetection) else detection
    if isinstance(detection, PageDetection):
        for x0, y0, x1, y1 in np.round(detection.regions).astype(int):
            cv2.rectangle(vis, (x0, y0), (x1, y1), REGION_COLOUR, 1)
    for box in truth:
        _rect(vis, box, TRUTH_COLOUR, 0, dashed=True)
    for line in lines:
        for segment in line.segments:
            for word in segment.words:
                _rect(vis, word, WORD_COLOUR, 1)
            _rect(vis, segment.box, SEGMENT_COLOUR, 0)
        _rect(vis, line.box, LINE_COLOUR, 3)
    return vis


def write_debug_picture(image: np.ndarray, detection: PageDetection | list[TextLine], path: Path,
                        truth: Iterable[Box] = ()) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), debug_picture(image, detection, truth))


def _rect(vis: np.ndarray, box: Box, colour: tuple[int, int, int], outset: int, dashed: bool = False) -> None:
    x0, y0 = int(round(box.x0)) - outset, int(round(box.y0)) - outset
    x1, y1 = int(round(box.x1)) + outset, int(round(box.y1)) + outset
    if not dashed:
        cv2.rectangle(vis, (x0, y0), (x1, y1), colour, 1)
        return
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        for k in range(0, length, 6):
            t0, t1 = k / max(length, 1), min(k + 3, length) / max(length, 1)
            p = (int(a[0] + (b[0] - a[0]) * t0), int(a[1] + (b[1] - a[1]) * t0))
            q = (int(a[0] + (b[0] - a[0]) * t1), int(a[1] + (b[1] - a[1]) * t1))
            cv2.line(vis, p, q, colour, 1)
