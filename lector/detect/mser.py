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
    min_diversity: float = 0.0      # keep nested regions: flat clean glyphs (screenshots) and bold blobs survive
    min_char_height: int = 6         # px at detection scale
    max_char_height_frac: float = 0.15   # of the page's short side
    max_aspect: float = 6.0          # width / height of one region (touching glyphs allowed)
    max_height_over_median: float = 3.5
    min_fill: float = 0.1            # region pixels / box area: frames and rules fall below
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
    found, sizes = [], []
    for image in images:
        regions, bboxes = mser.detectRegions(image)
        if len(bboxes):
            found.append(np.asarray(bboxes, np.int32))
            sizes.append(np.fromiter((len(r) for r in regions), np.float32, len(regions)))
    if not found:
        return np.zeros((0, 4), np.float32)
    xywh = np.concatenate(found).astype(np.float32)
    fill = np.concatenate(sizes) / np.maximum(xywh[:, 2] * xywh[:, 3], 1)
    boxes = np.stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + xywh[:, 2], xywh[:, 1] + xywh[:, 3]], axis=1)
    bw, bh = xywh[:, 2], xywh[:, 3]
    keep = (bh >= config.min_char_height) & (bh <= config.max_char_height_frac * min(h, w)) \
        & (bw / np.maximum(bh, 1) <= config.max_aspect) & (bh / np.maximum(bw, 1) <= 12) \
        & (fill >= config.min_fill)
    boxes = np.unique(np.round(boxes[keep]), axis=0)
    if len(boxes) > 20:
        # paper between rules (found by the inverse pass) and frames are far taller than text
        heights = boxes[:, 3] - boxes[:, 1]
        boxes = boxes[heights <= config.max_height_over_median * np.median(heights)]
    return boxes


def group_segments(boxes: np.ndarray, gap_factor: float) -> list[tuple[np.ndarray, int]]:
    """Chain boxes left to right into segments: (segment box x0,y0,x1,y1, member count).

    A box joins the chain whose right end is nearest, if it overlaps the chain's last member
    vertically and has a similar height; a chain never grows taller than twice its text height,
    so rules, page edges and stray tall regions cannot snowball into multi-line blobs.
    """
    order = np.argsort(boxes[:, 0], kind="stable")
    chains: list[dict] = []
    for x0, y0, x1, y1 in boxes[order]:
        h = y1 - y0
        best, best_gap = None, None
        for chain in chains:
            gap = x0 - chain["x1"]
            ref = chain["h"]
            if gap > gap_factor * ref or x1 < chain["box"][0]:
                continue
            ly0, ly1 = chain["last"]
            overlap = min(ly1, y1) - max(ly0, y0)
            similar = 0.5 * ref <= h <= 2.0 * ref and overlap >= 0.5 * min(h, ly1 - ly0)
            punctuation = h < 0.6 * ref and y0 >= chain["box"][1] - 0.2 * ref and y1 <= chain["box"][3] + 0.2 * ref
            if not (similar or punctuation):
                continue
            if max(chain["box"][3], y1) - min(chain["box"][1], y0) > 2.0 * max(ref, h):
                continue
            if best is None or gap < best_gap:
                best, best_gap = chain, gap
        if best is None:
            chains.append({"box": [x0, y0, x1, y1], "x1": x1, "last": (y0, y1), "h": h, "n": 1})
            continue
        b = best["box"]
        best["box"] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
        best["x1"] = max(best["x1"], x1)
        best["n"] += 1
        if h >= 0.6 * best["h"]:
            best["last"] = (y0, y1)
            best["h"] = 0.7 * best["h"] + 0.3 * h
    return [(np.array(c["box"], np.float32), c["n"]) for c in chains]


def _merge_overlapping(segments: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, int]]:
    """Merge segments that overlap on one row (nested regions, both polarities of one word):
    two crops over the same ink would read the same characters twice."""
    merged = [[box.astype(np.float64), count] for box, count in segments]
    changed = True
    while changed:
        changed = False
        merged.sort(key=lambda m: m[0][0])
        out: list[list] = []
        for box, count in merged:
            for m in out:
                mb = m[0]
                iw = min(mb[2], box[2]) - max(mb[0], box[0])
                ih = min(mb[3], box[3]) - max(mb[1], box[1])
                if iw > 0 and ih > 0.5 * min(mb[3] - mb[1], box[3] - box[1]):
                    m[0] = np.array([min(mb[0], box[0]), min(mb[1], box[1]), max(mb[2], box[2]), max(mb[3], box[3])])
                    m[1] += count
                    changed = True
                    break
            else:
                out.append([box, count])
        merged = out
    return [(m[0], m[1]) for m in merged]


def group_lines(segments: list[Segment]) -> list[TextLine]:
    """Segments on one row form a line: each overlaps the row's widest segment by half its height.

    Comparing with one reference segment, not the row's growing union, keeps tall noise
    (page edges, stamps) from chaining several rows into one.
    """
    rows: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: -s.box.width):
        for row in rows:
            ref = row[0].box
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
