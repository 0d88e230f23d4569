"""How well a detector finds the text: boxes against a dataset's truth boxes, and how fast.

Three views of one detector, each answering a different question:

- **text coverage** (does the recognizer get to see the text?): for each truth line, the share
  of its area inside the union of the detections that overlap it; covered area / truth area,
  summed over all truth lines of all pages (micro-averaged). `char_coverage` is the same
  question asked per character: the share of truth characters whose box centre lies inside some
  detection, the characters placed evenly along their line's box (the truth has no character
  boxes). Both are computed for the detections as returned (`coverage`) and for the crops the
  pipeline cuts from them (`coverage_padded`: the same padding for every engine).
- **line recall and precision at IoU >= 0.5**: detections and truth lines matched one to one,
  best IoU first. Lector's matched unit is the *segment* (one recognizer crop: a run of words
  with small gaps), which is what SROIE's annotators boxed as a "line" (an item name and its
  price are two truth lines); its *rows* (segments on one row) are reported as well.
- **word recall and precision** where the truth has word boxes (FUNSD).

Time is the detector's alone (page decoding excluded), one thread: wall and CPU milliseconds
per page (median over pages) and per megapixel. Tesseract is timed on `image_to_data`, which
also recognises the text, so its time is an upper bound on its layout analysis.
"""
from __future__ import annotations

import logging
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lector.core.errors import LectorError
from lector.core.geometry import Box, boxes_to_array, pairwise_iou
from lector.detect.crops import padded_box
from lector.detect.mser import DetectorConfig, detect_page
from lector.eval.dataset import EvalDoc, load_dataset

log = logging.getLogger(__name__)

IOU_THRESHOLD = 0.5
ENGINES = ("lector", "tesseract")


@dataclass(frozen=True)
class DetectedBoxes:
    """One engine's boxes on one page, as (N, 4) arrays in page pixels."""

    lines: np.ndarray          # the unit matched against truth lines (Lector: segments)
    rows: np.ndarray           # whole rows (Lector: TextLine boxes; Tesseract: its lines)
    words: np.ndarray
    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class MatchCounts:
    matched: int = 0
    truth: int = 0
    detected: int = 0

    def __add__(self, other: "MatchCounts") -> "MatchCounts":
        return MatchCounts(self.matched + other.matched, self.truth + other.truth, self.detected + other.detected)

    def to_dict(self) -> dict:
        recall = self.matched / self.truth if self.truth else 0.0
        precision = self.matched / self.detected if self.detected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"recall": recall, "precision": precision, "f1": f1,
                "matched": self.matched, "truth": self.truth, "detected": self.detected}


@dataclass(frozen=True)
class PageScore:
    id: str
    megapixels: float
    wall_ms: float | None
    cpu_ms: float | None
    covered_area: float = 0.0
    truth_area: float = 0.0
    covered_area_padded: float = 0.0
    chars_covered: int = 0
    chars: int = 0
    lines: MatchCounts = field(default_factory=MatchCounts)
    rows: MatchCounts = field(default_factory=MatchCounts)
    words: MatchCounts = field(default_factory=MatchCounts)
    error: str | None = None


# --- metrics on box arrays ------------------------------------------------------------------------

def match_one_to_one(truth: np.ndarray, detected: np.ndarray, threshold: float = IOU_THRESHOLD) -> MatchCounts:
    """Pairs with IoU >= threshold, each box used at most once, best IoU first."""
    if len(truth) == 0 or len(detected) == 0:
        return MatchCounts(0, len(truth), len(detected))
    iou = pairwise_iou(truth, detected)
    ti, di = np.nonzero(iou >= threshold)
    order = np.argsort(-iou[ti, di], kind="stable")
    used_t, used_d, matched = set(), set(), 0
    for t, d in zip(ti[order].tolist(), di[order].tolist()):
        if t not in used_t and d not in used_d:
            used_t.add(t)
            used_d.add(d)
            matched += 1
    return MatchCounts(matched, len(truth), len(detected))


def covered_area(truth: np.ndarray, detected: np.ndarray) -> tuple[float, float]:
    """(covered, total) area of the truth boxes: covered = inside the union of the detections.

    Each truth box is rasterised at pixel resolution (a 2-D difference array of the detections
    clipped to it), so overlapping detections are counted once.
    """
    truth = np.round(np.asarray(truth, np.float64)).astype(np.int64).reshape(-1, 4)
    detected = np.asarray(detected, np.float64).reshape(-1, 4)
    covered = total = 0.0
    for x0, y0, x1, y1 in truth:
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0:
            continue
        total += w * h
        clip = np.round(detected).astype(np.int64)
        clip[:, [0, 2]] = np.clip(clip[:, [0, 2]] - x0, 0, w)
        clip[:, [1, 3]] = np.clip(clip[:, [1, 3]] - y0, 0, h)
        clip = clip[(clip[:, 2] > clip[:, 0]) & (clip[:, 3] > clip[:, 1])]
        if not len(clip):
            continue
        diff = np.zeros((h + 1, w + 1), np.int32)
        np.add.at(diff, (clip[:, 1], clip[:, 0]), 1)
        np.add.at(diff, (clip[:, 1], clip[:, 2]), -1)
        np.add.at(diff, (clip[:, 3], clip[:, 0]), -1)
        np.add.at(diff, (clip[:, 3], clip[:, 2]), 1)
        covered += float((diff.cumsum(0).cumsum(1)[:h, :w] > 0).sum())
    return covered, total


def character_centres(lines: list[tuple[str, Box]]) -> np.ndarray:
    """(N, 2) centres of the truth characters, spaced evenly along each line's box."""
    points = []
    for text, box in lines:
        if not text:
            continue
        slots = np.arange(len(text), dtype=np.float64)
        inked = np.array([not ch.isspace() for ch in text])
        xs = box.x0 + (slots[inked] + 0.5) * box.width / len(text)
        points.append(np.stack([xs, np.full(len(xs), box.center[1])], axis=1))
    return np.concatenate(points) if points else np.zeros((0, 2))


def points_inside(points: np.ndarray, boxes: np.ndarray) -> int:
    if len(points) == 0 or len(boxes) == 0:
        return 0
    x, y = points[:, 0:1], points[:, 1:2]
    inside = (x >= boxes[None, :, 0]) & (x < boxes[None, :, 2]) & (y >= boxes[None, :, 1]) & (y < boxes[None, :, 3])
    return int(inside.any(axis=1).sum())


def pad_like_crops(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    return boxes_to_array(padded_box(Box(*b), width, height) for b in np.asarray(boxes, np.float64))


# --- engines --------------------------------------------------------------------------------------

class LectorDetector:
    name = "lector"

    def __init__(self, config: DetectorConfig | None = None):
        self.config = config or DetectorConfig()

    def detect(self, image: np.ndarray) -> DetectedBoxes:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        wall, cpu = time.perf_counter(), time.process_time()
        page = detect_page(grey, self.config)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        segments = [s for line in page.lines for s in line.segments]
        return DetectedBoxes(lines=boxes_to_array(s.box for s in segments),
                             rows=boxes_to_array(line.box for line in page.lines),
                             words=boxes_to_array(w for s in segments for w in s.words),
                             wall_s=wall, cpu_s=cpu)


class TesseractDetector:
    """Tesseract's own line and word boxes from `image_to_data` (automatic layout, psm 3)."""

    name = "tesseract"

    def __init__(self, psm: int = 3):
        from lector.engines.tesseract import TesseractEngine
        self.engine = TesseractEngine(psm=psm)

    def detect(self, image: np.ndarray) -> DetectedBoxes:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        page = self.engine.read_page(image)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        lines = boxes_to_array(line.box for line in page.lines)
        return DetectedBoxes(lines=lines, rows=lines, words=boxes_to_array(w.box for line in page.lines
                                                                            for w in line.words),
                             wall_s=wall, cpu_s=cpu)


def make_detector(engine: str, config: DetectorConfig | None = None):
    if engine == "lector":
        return LectorDetector(config)
    if engine == "tesseract":
        return TesseractDetector()
    raise LectorError(f"unknown detection engine {engine!r} (one of {', '.join(ENGINES)})")


# --- the run --------------------------------------------------------------------------------------

def score_page(doc: EvalDoc, found: DetectedBoxes, width: int, height: int) -> PageScore:
    boxed = [(line.text, line.box) for line in doc.lines if line.box is not None]
    truth_lines = boxes_to_array(box for _, box in boxed)
    truth_words = boxes_to_array(word.box for word in doc.words if word.box is not None)
    covered, total = covered_area(truth_lines, found.lines)
    covered_padded, _ = covered_area(truth_lines, pad_like_crops(found.lines, width, height))
    centres = character_centres(boxed)
    return PageScore(id=doc.id, megapixels=width * height / 1e6, wall_ms=1000 * found.wall_s,
                     cpu_ms=1000 * found.cpu_s, covered_area=covered, truth_area=total,
                     covered_area_padded=covered_padded, chars_covered=points_inside(centres, found.lines),
                     chars=len(centres), lines=match_one_to_one(truth_lines, found.lines),
                     rows=match_one_to_one(truth_lines, found.rows),
                     words=match_one_to_one(truth_words, found.words) if len(truth_words) else MatchCounts())


def evaluate_detection(dataset_dir: str | Path, limit: int | None = None, engine: str = "lector",
                       config: DetectorConfig | None = None, progress: bool = False, one_thread: bool = True) -> dict:
    """Score one detection engine on a dataset in the evaldata format; a JSON-ready report.

    `one_thread` runs OpenCV on one thread (Tesseract is given OMP_THREAD_LIMIT=1), so the
    times are one core's. A page that fails is recorded with its error and scored as empty.
    """
    detector = make_detector(engine, config)
    docs = load_dataset(dataset_dir, limit=limit)
    threads, omp = cv2.getNumThreads(), os.environ.get("OMP_THREAD_LIMIT")
    if one_thread:
        cv2.setNumThreads(1)
        os.environ["OMP_THREAD_LIMIT"] = "1"        # read by the tesseract program each call
    scores: list[PageScore] = []
    try:
        for k, doc in enumerate(docs):
            # the pixels the truth boxes refer to: no EXIF turn
            image = cv2.imread(str(doc.image_path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
            if image is None:
                scores.append(_failed(doc, "the image cannot be decoded"))
                continue
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            height, width = image.shape[:2]
            try:
                scores.append(score_page(doc, detector.detect(image), width, height))
            except Exception as exc:  # one bad page must not end the benchmark
                log.warning("document %s failed: %s", doc.id, exc)
                scores.append(_failed(doc, f"{type(exc).__name__}: {exc}"))
            if progress:
                print(f"\r{detector.name} {k + 1}/{len(docs)}", end="", file=sys.stderr, flush=True)
    finally:
        cv2.setNumThreads(threads)
        if one_thread:
            if omp is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = omp
        if progress:
            print(file=sys.stderr)
    return build_detection_report(detector.name, str(dataset_dir), scores)


def _failed(doc: EvalDoc, message: str) -> PageScore:
    empty = DetectedBoxes(np.zeros((0, 4)), np.zeros((0, 4)), np.zeros((0, 4)), 0.0, 0.0)
    score = score_page(doc, empty, doc.width, doc.height)
    return PageScore(**{**score.__dict__, "wall_ms": None, "cpu_ms": None, "error": message})


def build_detection_report(engine: str, dataset: str, scores: list[PageScore]) -> dict:
    timed = [s for s in scores if s.error is None and s.wall_ms is not None]

    def median(values):
        return statistics.median(values) if values else None

    lines = sum((s.lines for s in scores), MatchCounts())
    rows = sum((s.rows for s in scores), MatchCounts())
    words = sum((s.words for s in scores), MatchCounts())
    truth_area = sum(s.truth_area for s in scores)
    chars = sum(s.chars for s in scores)
    return {
        "engine": engine, "dataset": dataset, "pages": len(scores),
        "errors": [{"id": s.id, "error": s.error} for s in scores if s.error],
        "iou_threshold": IOU_THRESHOLD,
        "coverage": sum(s.covered_area for s in scores) / truth_area if truth_area else 0.0,
        "coverage_padded": sum(s.covered_area_padded for s in scores) / truth_area if truth_area else 0.0,
        "char_coverage": sum(s.chars_covered for s in scores) / chars if chars else 0.0,
        "lines": lines.to_dict(), "rows": rows.to_dict(),
        "words": words.to_dict() if words.truth else None,
        "median_ms_per_page": median([s.wall_ms for s in timed]),
        "median_cpu_ms_per_page": median([s.cpu_ms for s in timed]),
        "median_ms_per_megapixel": median([s.wall_ms / s.megapixels for s in timed]),
        "median_cpu_ms_per_megapixel": median([s.cpu_ms / s.megapixels for s in timed]),
        "median_megapixels": median([s.megapixels for s in timed]),
        "docs": [{"id": s.id, "megapixels": round(s.megapixels, 3), "wall_ms": s.wall_ms, "cpu_ms": s.cpu_ms,
                  "coverage": s.covered_area / s.truth_area if s.truth_area else None,
                  "line_recall": s.lines.matched / s.lines.truth if s.lines.truth else None,
                  "line_precision": s.lines.matched / s.lines.detected if s.lines.detected else None,
                  "error": s.error} for s in scores],
    }


# --- a table for people ---------------------------------------------------------------------------

_LEGEND = ("coverage: truth-line area inside the union of detections (padded: of the crops cut from them); "
           "chars: truth characters\nwhose centre is detected; lines R/P: one-to-one at IoU >= 0.5 "
           "(Lector: segments; rows: whole rows); ms: median per page, one thread.")


def format_detection_table(report: dict | list[dict]) -> str:
    reports = report if isinstance(report, list) else [report]
    header = ["engine", "pages", "coverage", "padded", "chars", "lines R", "lines P", "rows R", "words R",
              "words P", "ms/page", "cpu ms", "ms/MP", "errors"]

    def fmt(value, digits=3):
        return "-" if value is None else f"{value:.{digits}f}"

    rows = []
    for r in reports:
        words = r.get("words") or {}
        rows.append([r["engine"], str(r["pages"]), fmt(r["coverage"]), fmt(r["coverage_padded"]),
                     fmt(r["char_coverage"]), fmt(r["lines"]["recall"]), fmt(r["lines"]["precision"]),
                     fmt(r["rows"]["recall"]), fmt(words.get("recall")), fmt(words.get("precision")),
                     fmt(r["median_ms_per_page"], 0), fmt(r["median_cpu_ms_per_page"], 0),
                     fmt(r["median_ms_per_megapixel"], 0), str(len(r["errors"]))])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [f"detection on {Path(reports[0]['dataset']).name}",
             "  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines + [_LEGEND])
