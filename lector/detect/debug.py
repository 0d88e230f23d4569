"""Debug picture of what the detector found: segments in red, lines in blue."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from lector.detect.mser import TextLine


def write_debug_picture(image: np.ndarray, lines: list[TextLine], path: Path) -> None:
    vis = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    for line in lines:
        b = line.box
        cv2.rectangle(vis, (int(b.x0) - 2, int(b.y0) - 2), (int(b.x1) + 2, int(b.y1) + 2), (255, 0, 0), 1)
        for seg in line.segments:
            s = seg.box
            cv2.rectangle(vis, (int(s.x0), int(s.y0)), (int(s.x1), int(s.y1)), (0, 0, 255), 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), vis)
