"""Word Detector v1: MSER regions in both polarities, grouped into text segments and lines.

Tuned for recall: the word net reads empty crops as empty and post-processing drops noise,
so a missed line costs more than a false one. A *segment* is a run of character regions with
small gaps: it becomes one recognizer crop and may hold several words. Segments on one row
form a *line* (reading order: lines top to bottom, segments left to right).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lector.core.geometry import Box, union_all


@dataclass(frozen=True)
class DetectorConfig:
    max_side: int = 2400            # pages are detected at most this large (long side, px)
    delta: int = 5
    max_variation: float = 0.8
    min_diversity: float = 0.03     # low: keep nested regions, so glyphs inside bold blobs survive
    min_char_height: int = 6         # px at detection scale
    max_char_height_frac: float = 0.15   # of the page's short side
    max_aspect: float = 6.0          # width / height of one region (touching glyphs allowed)
    gap_factor: float = 1.3          # join regions whose gap is under this many text heights
    both_polarities: bool = True


@dataclass(frozen=True, slots=True)
class Segment:
    box: Box                         # in page pixels
    regions: int


@dataclass(frozen=True, slots=True)
class TextLine:
    segments: tuple[Segment, ...]

    @property
    def box(self) -> Box:
        return union_all(s.box for s in self.segments)


def mser_boxes(grey: np.ndarray, config: DetectorConfig) -> np.ndarray:
    """Candidate character boxes (N, 4) as x0, y0, x1, y1 from MSER on the image and its inverse."""
    h, w = grey.shape
    max_area = int((config.max_char_height_frac * min(h, w)) ** 2 * 2)
    mser = cv2.MSER_create(delta=config.delta, min_area=max(8, config.min_char_height * 2),
                           max_area=max(64, max_area), max_variation=config.max_variation,
                           min_diversity=config.min_diversity)
    images = [grey, 255 - grey] if config.both_polarities else [grey]
    found = []
    for image in images:
        _, bboxes = mser.detectRegions(image)
        if len(bboxes):
            found.append(np.asarray(bboxes, np.int32))
    if not found:
        return np.zeros((0, 4), np.float32)
    xywh = np.concatenate(found).astype(np.float32)
    boxes = np.stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + xywh[:, 2], xywh[:, 1] + xywh[:, 3]], axis=1)
    bw, bh = xywh[:, 2], xywh[:, 3]
    keep = (bh >= config.min_char_height) & (bh <= config.max_char_height_frac * min(h, w)) \
        & (bw / np.maximum(bh, 1) <= config.max_aspect) & (bh / np.maximum(bw, 1) <= 12)
    boxes = boxes[keep]
    return np.unique(np.round(boxes), axis=0)


def group_segments(boxes: np.ndarray, gap_factor: float) -> list[tuple[np.ndarray, int]]:
    """Chain boxes left to right into segments: (segment box x0,y0,x1,y1, member count)."""
    order = np.argsort(boxes[:, 0], kind="stable")
    chains: list[list] = []          # [x0, y0, x1, y1, height, count]
    for x0, y0, x1, y1 in boxes[order]:
        h = y1 - y0
        best, best_gap = None, None
        for chain in chains:
            cx0, cy0, cx1, cy1, ch, _ = chain
            gap = x0 - cx1
            if gap > gap_factor * ch or x1 < cx0:
                continue
            overlap = min(cy1, y1) - max(cy0, y0)
            if h > 2.2 * ch or h < 0.3 * ch or overlap < 0.5 * min(h, ch):
                if not (h < 0.6 * ch and y0 >= cy0 - 0.2 * ch and y1 <= cy1 + 0.2 * ch):  # punctuation
                    continue
            if best is None or gap < best_gap:
                best, best_gap = chain, gap
        if best is None:
            chains.append([x0, y0, x1, y1, h, 1])
        else:
            best[0], best[1], best[2], best[3] = min(best[0], x0), min(best[1], y0), max(best[2], x1), max(best[3], y1)
            if h >= 0.6 * best[4]:
                best[4] = max(best[4], h) if best[5] < 2 else 0.8 * best[4] + 0.2 * h
            best[5] += 1
    return [(np.array(c[:4], np.float32), c[5]) for c in chains]


def _merge_overlapping(segments: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, int]]:
    """Merge segments whose boxes overlap mostly (nested regions, both polarities of one word)."""
    segments = sorted(segments, key=lambda s: -(s[0][2] - s[0][0]) * (s[0][3] - s[0][1]))
    merged: list[list] = []
    for box, count in segments:
        for m in merged:
            mb = m[0]
            iw = min(mb[2], box[2]) - max(mb[0], box[0])
            ih = min(mb[3], box[3]) - max(mb[1], box[1])
            area = (box[2] - box[0]) * (box[3] - box[1])
            if iw > 0 and ih > 0 and iw * ih > 0.6 * area:
                m[0] = np.array([min(mb[0], box[0]), min(mb[1], box[1]), max(mb[2], box[2]), max(mb[3], box[3])])
                m[1] += count
                break
        else:
            merged.append([box, count])
    return [(m[0], m[1]) for m in merged]


def group_lines(segments: list[Segment]) -> list[TextLine]:
    """Segments on one row (vertical overlap over half the smaller height) form a line."""
    rows: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: s.box.center[1]):
        for row in rows:
            ref = union_all(s.box for s in row)
            overlap = min(ref.y1, seg.box.y1) - max(ref.y0, seg.box.y0)
            if overlap > 0.5 * min(ref.height, seg.box.height):
                row.append(seg)
                break
        else:
            rows.append([seg])
    lines = [TextLine(tuple(sorted(row, key=lambda s: s.box.x0))) for row in rows]
    return sorted(lines, key=lambda line: (line.box.center[1], line.box.x0))


def detect_lines(grey: np.ndarray, config: DetectorConfig = DetectorConfig()) -> list[TextLine]:
    """Text lines of a grey uint8 page, boxes in the page's pixels, in reading order."""
    if grey.ndim != 2 or min(grey.shape) < 4:
        return []
    scale = min(1.0, config.max_side / max(grey.shape))
    work = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    boxes = mser_boxes(work, config)
    if len(boxes) == 0:
        return []
    raw = _merge_overlapping(group_segments(boxes, config.gap_factor))
    segments = []
    for box, count in raw:
        w, h = box[2] - box[0], box[3] - box[1]
        if count < 2 and (w < 0.3 * h or h < 1.5 * config.min_char_height):
            continue                      # a lone speck or thin rule piece
        segments.append(Segment(Box(*(float(v) / scale for v in box)), int(count)))
    return group_lines(segments)
