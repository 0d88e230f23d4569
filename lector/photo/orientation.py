"""Which way is up: the quarter turns (0-3, clockwise as seen) that make a level page upright.

    grey page -> a copy at most 800 px long -> dark glyph-sized marks -> marks smeared along rows,
        and along columns -> text-line candidates (long thin blobs) each way
        -> rows win: the page is upright or upside down; columns win: it lies on its side,
           and is turned a quarter clockwise to bring its lines level
        -> up to 16 of the widest line crops, 32 px high, from the full-resolution page
        -> a tiny CNN scores each crop upright vs upside down; the mean log-odds decides the flip
        -> four probabilities (0/90/180/270) -> the decision rule biased to upright

Why lines and not the whole page shrunk: a receipt's glyphs are a few pixels high once its
2000-px length fits a small square, and which way a glyph is up lives in its ascenders and
descenders; line crops keep them at the recognizer's 32 px. Rows vs columns needs no net: a
glyph's nearest neighbour is the next letter on its line, even on a monospaced receipt whose
letters also stack in columns (smearing marks along rows and columns and comparing the blobs
was tried and fails there: tight line spacing joins the columns too). The blobs still veto a
turn: a page with line runs along its rows and hardly any down its columns is not on its side
(the speckle of crumpled paper misleads the neighbour vote).

Almost every page arrives upright, so the rule never turns one unless the non-upright class
beats upright by `margin` in log-odds (tuned on held-out pages, stored in the model card), and
a page with fewer than `min_lines` line candidates is left as it is.

ONNX Runtime only: the model file (models/orientation.onnx) carries its card in metadata_props.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lector.core.errors import ModelError

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "orientation.onnx"
CROP_HEIGHT = 32
CROP_WIDTH = 128
SIDEWAYS_SLOPE = 20.0     # log-odds of "on its side" per unit of (0.5 - share of row neighbours)
RUNS_VETO = 0.25          # line runs down the columns under this share of those along rows: not on its side
                          # (a monospaced receipt's letters stack into column runs: upright, up to ~2.2x
                          # the row runs; on its side, its column runs are still >= 0.46x the row runs)


@dataclass(frozen=True)
class OrientationConfig:
    model_path: Path = DEFAULT_MODEL
    margin: float | None = None     # log-odds the turn must beat upright by; None: the model card's value
    work_side: int = 800            # long side (px) of the copy the line candidates are found on
    max_crops: int = 16
    min_lines: int = 3              # fewer line candidates: too little text to judge, left upright
    threads: int = 1


@dataclass(frozen=True)
class OrientationEstimate:
    """`quarter_turns` applied (clockwise), `probabilities` of 0/90/180/270 (clockwise turns that
    make the page upright), `confidence` the probability of the chosen class, `lines` the line
    crops scored; `best` the most likely class even when the rule kept the page upright."""

    quarter_turns: int
    probabilities: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    confidence: float = 1.0
    lines: int = 0
    best: int = 0
    seconds: float = 0.0

    def to_meta(self) -> dict:
        return {"rotation": 90 * self.quarter_turns, "confidence": round(self.confidence, 4),
                "probabilities": {str(90 * k): round(p, 4) for k, p in enumerate(self.probabilities)},
                "most_likely": 90 * self.best, "lines": self.lines}


def decide(probabilities: np.ndarray, margin: float) -> int:
    """The decision rule biased to upright: the best non-upright class, only when its log-odds
    over upright exceed `margin`."""
    p = np.clip(np.asarray(probabilities, np.float64), 1e-9, 1.0)
    k = 1 + int(np.argmax(p[1:]))
    return k if math.log(p[k] / p[0]) > margin else 0


@dataclass
class OrientationClassifier:
    """The `Orientation` hook of `rectify` (lector.photo.deskew): `estimate(grey)` gives the
    turns with their probabilities; calling it gives just the turns."""

    config: OrientationConfig = field(default_factory=OrientationConfig)

    def __post_init__(self) -> None:
        import onnxruntime as ort
        path = Path(self.config.model_path)
        if not path.is_file():
            raise ModelError("orientation model not found", str(path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.config.threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.card = json.loads(meta.get("card", "{}"))
        self.margin = float(self.card.get("margin", 2.0) if self.config.margin is None else self.config.margin)

    def __call__(self, grey: np.ndarray) -> OrientationEstimate:
        return self.estimate(grey)

    def estimate(self, grey: np.ndarray) -> OrientationEstimate:
        import time
        started = time.perf_counter()
        probabilities, lines = self.probabilities(grey)
        if lines < self.config.min_lines:
            return OrientationEstimate(0, lines=lines, seconds=time.perf_counter() - started)
        turns = decide(probabilities, self.margin)
        return OrientationEstimate(turns, tuple(float(p) for p in probabilities), float(probabilities[turns]),
                                   lines, int(np.argmax(probabilities)), time.perf_counter() - started)

    def probabilities(self, grey: np.ndarray) -> tuple[np.ndarray, int]:
        """P(0, 90, 180, 270 clockwise turns make it upright) and the number of line crops scored."""
        rows, columns, scale, along_rows = line_candidates(grey, self.config.work_side)
        if not len(rows) and not len(columns):
            return np.array([1.0, 0.0, 0.0, 0.0]), 0
        # rows vs columns: which way glyphs' nearest neighbours lie, squashed to a probability
        sideways = 1.0 / (1.0 + math.exp(-SIDEWAYS_SLOPE * (0.5 - along_rows)))
        if _total_length(columns) < RUNS_VETO * _total_length(rows):
            # lines run along rows and hardly any down the columns: the neighbours were misled
            # (speckle of crumpled paper, a table's rules), the page is not on its side
            sideways = min(sideways, 0.1)
        on_side = sideways > 0.5   # then turned a quarter clockwise, its columns become rows
        boxes = columns[:, [1, 0, 3, 2]] if on_side else rows      # the transposed copy's boxes, swapped back
        crops = line_crops(grey, boxes / scale, self.config.max_crops, quarter_turn=on_side)
        if not crops:
            return np.array([1.0, 0.0, 0.0, 0.0]), 0
        flipped = self.flip_probability(np.stack(crops))
        if on_side:
            probs = [(1 - sideways) * 0.5, sideways * (1 - flipped), (1 - sideways) * 0.5, sideways * flipped]
        else:
            probs = [(1 - sideways) * (1 - flipped), sideways * 0.5, (1 - sideways) * flipped, sideways * 0.5]
        return np.array(probs), len(crops)

    def flip_probability(self, crops: np.ndarray) -> float:
        """P(the crops are upside down): the mean of their log-odds (each crop one vote)."""
        logits = self.session.run(None, {"crops": crops[:, None].astype(np.float32)})[0]
        votes = np.clip(logits[:, 1] - logits[:, 0], -8.0, 8.0)
        return float(1.0 / (1.0 + math.exp(-float(votes.mean()))))


def line_candidates(grey: np.ndarray, work_side: int = 800) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Text-line candidates (x0, y0, x1, y1 on the work copy) running along rows and along columns
    (columns given in the transposed work copy's coordinates), the work copy's scale, and the
    share of glyphs whose nearest neighbour lies along their row (see `neighbours_along_rows`)."""
    h, w = grey.shape[:2]
    scale = min(1.0, work_side / max(h, w))
    small = grey
    if scale < 1.0:
        # a 35-megapixel scan: every few pixels first (strokes there are many pixels thick), then
        # averaged; area-averaging it all at once costs more than the rest of the classifier
        step = max(1, int(0.5 / scale))
        small = cv2.resize(grey[::step, ::step], (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    empty = np.zeros((0, 4))
    if min(small.shape) < 16:
        return empty, empty, scale, 0.5
    block = max(15, (min(small.shape) // 30) | 1)
    marks = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    cw, ch, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    limit = 0.06 * max(small.shape)
    glyph = (np.minimum(cw, ch) >= 2) & (np.maximum(cw, ch) <= limit) & (area >= 5) & (area >= 0.12 * cw * ch)
    if glyph.sum() < 5:
        return empty, empty, scale, 0.5
    keep = np.concatenate([[0], glyph]).astype(np.uint8)
    glyphs = keep[labels]
    size = float(np.median(np.maximum(cw[glyph], ch[glyph])))
    centres = stats[1:, :2][glyph] + stats[1:, 2:4][glyph] / 2.0
    along_rows = neighbours_along_rows(centres)
    return _runs(glyphs, size), _runs(np.ascontiguousarray(glyphs.T), size), scale, along_rows


def neighbours_along_rows(centres: np.ndarray, sample: int = 600, seed: int = 0) -> float:
    """The share of glyphs whose nearest neighbour lies more across than down: in text a glyph's
    nearest neighbour is the next one on its line, even on a monospaced receipt whose letters
    also stack into columns (the line pitch is about twice the letter pitch)."""
    if len(centres) < 3:
        return 0.5
    rng = np.random.default_rng(seed)
    queries = centres if len(centres) <= sample else centres[rng.choice(len(centres), sample, replace=False)]
    delta = queries[:, None, :] - centres[None, :, :]
    distance = (delta ** 2).sum(axis=2)
    distance[distance == 0] = np.inf
    nearest = delta[np.arange(len(queries)), np.argmin(distance, axis=1)]
    return float((np.abs(nearest[:, 0]) > np.abs(nearest[:, 1])).mean())


def _runs(glyphs: np.ndarray, size: float) -> np.ndarray:
    """Long thin blobs left after smearing the glyph marks along rows."""
    reach = max(3, int(round(0.9 * size)))
    smeared = cv2.morphologyEx(glyphs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, 1)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    x, y, bw, bh = stats[1:, 0], stats[1:, 1], stats[1:, 2], stats[1:, 3]
    line = (bw >= 4 * bh) & (bh >= 0.5 * size) & (bh <= 2.5 * size) & (bw >= 3 * size)
    return np.stack([x[line], y[line], x[line] + bw[line], y[line] + bh[line]], axis=1).astype(np.float64)


def _total_length(boxes: np.ndarray) -> float:
    return float((boxes[:, 2] - boxes[:, 0]).sum()) if len(boxes) else 0.0


def line_crops(grey: np.ndarray, boxes: np.ndarray, max_crops: int = 16,
               quarter_turn: bool = False) -> list[np.ndarray]:
    """The longest line boxes cut from `grey`, each CROP_HEIGHT high and CROP_WIDTH wide (float
    [0, 1], dark text on light; long lines cut to their middle stretch, short ones padded).
    `quarter_turn`: the lines run down the page; each crop is turned a quarter clockwise (the
    whole page is never turned just to look at it)."""
    if not len(boxes):
        return []
    sizes = boxes[:, 2:] - boxes[:, :2]
    length, thickness = (sizes[:, 1], sizes[:, 0]) if quarter_turn else (sizes[:, 0], sizes[:, 1])
    order = np.argsort(-length)[:max_crops]
    height, width = grey.shape[:2]
    crops = []
    for k in order:
        x0, y0, x1, y1 = boxes[k]
        pad = 0.25 * thickness[k]
        top, bottom = int(max(0, y0 - pad)), int(min(height, y1 + pad + 1))
        left, right = int(max(0, x0 - pad)), int(min(width, x1 + pad + 1))
        if bottom - top < 4 or right - left < 4:
            continue
        crop = grey[top:bottom, left:right]
        crops.append(normalise_crop(np.ascontiguousarray(np.rot90(crop, -1)) if quarter_turn else crop))
    return crops


def normalise_crop(crop: np.ndarray) -> np.ndarray:
    """A grey crop as CROP_HEIGHT x CROP_WIDTH floats: resized to the height, stretched 2nd-98th
    percentile to [0, 1], dark on light, its middle stretch kept (or padded with paper)."""
    h, w = crop.shape[:2]
    new_w = max(1, int(round(w * CROP_HEIGHT / h)))
    resized = cv2.resize(crop, (new_w, CROP_HEIGHT), interpolation=cv2.INTER_AREA if h > CROP_HEIGHT else cv2.INTER_LINEAR)
    low, high = np.percentile(resized, (2, 98))
    out = np.clip((resized.astype(np.float32) - low) / max(1.0, high - low), 0, 1)
    if out.mean() < 0.5:
        out = 1.0 - out
    if new_w >= CROP_WIDTH:
        start = (new_w - CROP_WIDTH) // 2
        return out[:, start:start + CROP_WIDTH]
    canvas = np.ones((CROP_HEIGHT, CROP_WIDTH), np.float32)
    start = (CROP_WIDTH - new_w) // 2
    canvas[:, start:start + new_w] = out
    return canvas
