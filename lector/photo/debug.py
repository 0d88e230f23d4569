"""Debug picture of what `rectify` found and did, for `lector rectify --debug` and the bench:

    left   the original, the sheet's quad drawn on it: green when it was flattened, orange when
           found but not used (too unsure, or already upright), its top-left corner a red dot
    right  the rectified image, at the same height
    below  a caption: the finder's confidence, the text angle turned level, whether the light
           was normalised
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from lector.core.geometry import Homography
from lector.photo.rectify import Rectified

USED_COLOUR = (0, 200, 0)          # BGR, as OpenCV draws
UNUSED_COLOUR = (0, 140, 255)
CORNER_COLOUR = (0, 0, 255)


def debug_picture(original: np.ndarray, rectified: Rectified, height: int = 900) -> np.ndarray:
    """A BGR picture: the original with the quad, beside the rectified image, and a caption."""
    left = _bgr(original)
    scale = height / left.shape[0]
    left = cv2.resize(left, (max(1, round(left.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    quad = rectified.quad or rectified.found
    if quad is not None:
        colour = USED_COLOUR if rectified.quad is not None else UNUSED_COLOUR
        corners = np.round(Homography.scaling(scale).apply_points(quad.corners)).astype(np.int32)
        cv2.polylines(left, [corners], True, colour, 3, cv2.LINE_AA)
        cv2.circle(left, (int(corners[0, 0]), int(corners[0, 1])), 8, CORNER_COLOUR, -1)
    right = _bgr(rectified.image)
    right = cv2.resize(right, (max(1, round(right.shape[1] * height / right.shape[0])), height),
                       interpolation=cv2.INTER_AREA)
    gap = np.full((height, 12, 3), 255, np.uint8)
    picture = np.hstack([left, gap, right])
    caption = np.full((44, picture.shape[1], 3), 255, np.uint8)
    cv2.putText(caption, describe(rectified), (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    return np.vstack([picture, caption])


def describe(rectified: Rectified) -> str:
    found = rectified.found
    sheet = "no sheet" if found is None else (
        f"sheet {found.confidence:.2f}{' (cut by frame)' if found.frame_sides else ''}"
        f"{'' if rectified.quad is not None else ' not used'}")
    skew = "" if rectified.skew is None else f", text {rectified.skew.angle:+.1f} deg ({rectified.skew.confidence:.2f})"
    turned = f", turned {rectified.angle:+.1f}" if rectified.angle else ""
    light = ", light normalised" if rectified.light else ""
    return f"{sheet}{skew}{turned}{light}, {1000 * rectified.timings.get('total', 0):.0f} ms"


def write_debug_picture(original: np.ndarray, rectified: Rectified, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), debug_picture(original, rectified))


def _bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2BGR)
