"""`lector eval-words`: how well the word net reads single crops, and how far its confidence can be trusted.

Measures the shipped ONNX model exactly as the pipeline runs it (ONNX Runtime, no torch) on a
crop set in the shard format (`lector.synth.shards`): synthetic validation, or real line crops
held out by document. Besides sequence accuracy and CER it answers the two questions the
confidence is used for: what a drop threshold costs (precision and recall against the
threshold) and whether "0.9" means right nine times in ten (reliability bins, ECE).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

from lector.core.errors import InputError
from lector.synth.shards import load_shards

THRESHOLDS = tuple(i / 100 for i in range(101))
RELIABILITY_BINS = 10
MIN_BIN_COUNT = 30        # bins with fewer crops are too noisy to hold against the calibration target
CALIBRATION_TOLERANCE = 0.05   # the target: confidence within this of the observed accuracy in every bin
CHUNK = 512               # crops per Recognizer.read call: progress steps, bounded memory


@dataclass(frozen=True, slots=True)
class ThresholdPoint:
    """The words kept at confidence >= threshold: how many, the share right, the share of all text read right."""

    threshold: float
    kept: int
    precision: float | None       # None: nothing kept
    recall: float


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    confidence: float | None      # mean predicted confidence; None in an empty bin
    accuracy: float | None        # observed share correct


@dataclass(frozen=True)
class WordEvalReport:
    """One crop set read by one model. `case_insensitive` says which correctness the curves,
    bins and ECE use; SWA and CER are given both ways."""

    name: str
    n: int
    negatives: int                # crops with an empty label: correct when nothing is read
    swa: float
    swa_ci: float
    cer: float
    cer_ci: float
    crops_per_s: float
    case_insensitive: bool
    curve: tuple[ThresholdPoint, ...]
    bins: tuple[ReliabilityBin, ...]
    ece: float                    # count-weighted mean |accuracy - confidence| over the bins
    max_gap: float | None         # largest |accuracy - confidence| among bins of >= MIN_BIN_COUNT crops

    def to_dict(self) -> dict:
        return asdict(self)


def crop_set_name(crop_dir: Path) -> str:
    """`data/real-sroie/val` -> `real-sroie-val`: a `train`/`val` part is named with its set."""
    crop_dir = Path(crop_dir)
    return f"{crop_dir.parent.name}-{crop_dir.name}" if crop_dir.name in ("train", "val") else crop_dir.name


def read_right(labels: list[str], texts: list[str], case_insensitive: bool = True) -> np.ndarray:
    """Per crop: is the reading its truth (case-folded unless exact case is asked)?"""
    if case_insensitive:
        return np.array([t.casefold() == r.casefold() for t, r in zip(labels, texts)], bool)
    return np.array([t == r for t, r in zip(labels, texts)], bool)


def score_readings(name: str, labels: list[str], texts: list[str], confidences: list[float],
                   case_insensitive: bool = True, crops_per_s: float = 0.0) -> WordEvalReport:
    """The report from the truth and the readings (pure: no model here)."""
    folded = [(t.casefold(), r.casefold()) for t, r in zip(labels, texts)]
    exact_ok = read_right(labels, texts, case_insensitive=False)
    folded_ok = read_right(labels, texts)
    correct = folded_ok if case_insensitive else exact_ok
    confidence = np.asarray(confidences, np.float64)
    has_text = np.array([bool(t) for t in labels], bool)
    truth_chars = max(1, sum(map(len, labels)))
    n = len(labels)
    return WordEvalReport(
        name=name, n=n, negatives=int((~has_text).sum()),
        swa=float(exact_ok.mean()) if n else 0.0, swa_ci=float(folded_ok.mean()) if n else 0.0,
        cer=sum(Levenshtein.distance(t, r) for t, r in zip(labels, texts)) / truth_chars,
        cer_ci=sum(Levenshtein.distance(t, r) for t, r in folded) / truth_chars,
        crops_per_s=crops_per_s, case_insensitive=case_insensitive,
        curve=threshold_curve(correct, confidence, np.array([bool(r) for r in texts], bool), int(has_text.sum())),
        **reliability(correct, confidence))


def threshold_curve(correct: np.ndarray, confidence: np.ndarray, read_something: np.ndarray,
                    with_text: int) -> tuple[ThresholdPoint, ...]:
    """Precision and recall of the words a reader would emit at each drop threshold.

    Emitted = a non-empty reading with confidence >= t (an empty reading emits nothing, so a
    blank crop read as blank is neither a hit nor a false word). Precision = right among
    emitted; recall = right and emitted among crops whose truth has text, i.e. the yield.
    """
    points = []
    for t in THRESHOLDS:
        emitted = read_something & (confidence >= t)
        kept, right = int(emitted.sum()), int((emitted & correct).sum())
        points.append(ThresholdPoint(t, kept, right / kept if kept else None, right / max(1, with_text)))
    return tuple(points)


def reliability(correct: np.ndarray, confidence: np.ndarray) -> dict:
    """Equal-width confidence bins with their observed accuracy, ECE and the largest gap."""
    index = np.minimum((confidence * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
    bins, ece, gaps = [], 0.0, []
    for b in range(RELIABILITY_BINS):
        members = index == b
        count = int(members.sum())
        conf = float(confidence[members].mean()) if count else None
        acc = float(correct[members].mean()) if count else None
        bins.append(ReliabilityBin(b / RELIABILITY_BINS, (b + 1) / RELIABILITY_BINS, count, conf, acc))
        if count:
            ece += count * abs(acc - conf)
            if count >= MIN_BIN_COUNT:
                gaps.append(abs(acc - conf))
    return {"bins": tuple(bins), "ece": ece / max(1, len(confidence)), "max_gap": max(gaps, default=None)}


def evaluate_words(crop_dir: Path, recognizer, limit: int | None = None, case_insensitive: bool = True,
                   progress: bool = True, repairer=None, misses_dir: Path | None = None,
                   misses_sample: int = 200) -> WordEvalReport:
    """Read every crop of `crop_dir` (or a fixed random sample of `limit`) and score the readings.

    A sample, not the first `limit`: real crop sets are stored document by document, and the
    first documents alone would measure a few receipts. With `repairer` (the pipeline's
    `lector.postprocess.repair.Repairer`), each reading is repaired against the lexicon as a
    page's words are, and the set is named with "+repair"; crops/s stays the net's alone. With
    `misses_dir`, the misreadings are written there for a person to judge (`lector.eval.misses`).
    """
    crops, labels = load_shards(Path(crop_dir))
    if not crops:
        raise InputError("no crop shards (shard-*.npz) here", str(crop_dir))
    if limit is not None and limit < len(crops):
        keep = np.sort(np.random.default_rng(0).choice(len(crops), limit, replace=False))
        crops, labels = [crops[i] for i in keep], [labels[i] for i in keep]
    readings, seconds = [], 0.0
    with tqdm(total=len(crops), desc=crop_set_name(crop_dir), unit="crop", disable=not progress) as bar:
        for start in range(0, len(crops), CHUNK):
            chunk = crops[start: start + CHUNK]
            t0 = time.perf_counter()
            readings += recognizer.read(chunk)
            seconds += time.perf_counter() - t0
            bar.update(len(chunk))
    name = crop_set_name(crop_dir)
    if repairer is not None:
        from lector.postprocess.wordinator import word_confidences
        readings = [repairer.repair(r, word_confidences(r, recognizer.calibration))[0] for r in readings]
        name += "+repair"
    texts, confidences = [r.text for r in readings], [r.confidence for r in readings]
    if misses_dir is not None:
        from lector.eval.misses import write_misses
        write_misses(Path(misses_dir) / name, crops, labels, texts, confidences, case_insensitive, misses_sample)
    return score_readings(name, labels, texts, confidences, case_insensitive, len(crops) / max(seconds, 1e-9))


def format_word_table(reports: list[WordEvalReport]) -> str:
    lines = [f"{'crop set':<20} {'n':>6} {'SWA':>6} {'SWA-ci':>6} {'CER':>6} {'CER-ci':>6} {'ECE':>6} "
             f"{'maxgap':>7} {'crops/s':>8}"]
    for r in reports:
        gap = "-" if r.max_gap is None else f"{r.max_gap:.3f}" + ("!" if r.max_gap > CALIBRATION_TOLERANCE else "")
        lines.append(f"{r.name:<20} {r.n:>6} {r.swa:>6.3f} {r.swa_ci:>6.3f} {r.cer:>6.3f} {r.cer_ci:>6.3f} "
                     f"{r.ece:>6.3f} {gap:>7} {r.crops_per_s:>8.0f}")
    if any(r.max_gap is not None and r.max_gap > CALIBRATION_TOLERANCE for r in reports):
        lines.append(f"! a confidence bin of >= {MIN_BIN_COUNT} crops is off its observed accuracy by more than "
                     f"{CALIBRATION_TOLERANCE} (the calibration target)")
    return "\n".join(lines)


def plot_paths(out_png: Path, reports: list[WordEvalReport]) -> list[Path]:
    """`out.png` for one report; `out-<crop set>.png` for each of several."""
    if len(reports) == 1:
        return [out_png]
    return [out_png.with_name(f"{out_png.stem}-{r.name}{out_png.suffix}") for r in reports]


def plot_word_eval(report: WordEvalReport, out_png: Path) -> Path:
    """Two panels: precision and recall against the threshold; the reliability diagram."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    curve, diagram = fig.subplots(1, 2)
    kept = [p for p in report.curve if p.precision is not None]
    curve.plot([p.threshold for p in kept], [p.precision for p in kept], label="precision")
    curve.plot([p.threshold for p in report.curve], [p.recall for p in report.curve], label="recall (yield)")
    curve.set_xlabel("confidence threshold")
    curve.set_ylim(0, 1.02)
    curve.grid(alpha=0.3)
    curve.legend()
    case = "case-insensitive" if report.case_insensitive else "exact case"
    curve.set_title(f"{report.name}: n {report.n}, SWA {report.swa_ci if report.case_insensitive else report.swa:.3f} "
                    f"({case})", fontsize=10)
    filled = [b for b in report.bins if b.count]
    width = 1 / len(report.bins)
    diagram.bar([b.low for b in filled], [b.accuracy for b in filled], width=width, align="edge",
                edgecolor="black", alpha=0.7, label="observed accuracy")
    diagram.plot([b.confidence for b in filled], [b.accuracy for b in filled], "k.", label="mean confidence")
    for b in filled:
        diagram.annotate(str(b.count), (b.low + width / 2, b.accuracy), ha="center", va="bottom", fontsize=7)
    diagram.plot([0, 1], [0, 1], "r--", label="perfect calibration")
    diagram.set_xlim(0, 1)
    diagram.set_ylim(0, 1.08)
    diagram.set_xlabel("predicted confidence")
    diagram.set_ylabel("accuracy")
    gap = f"{report.max_gap:.3f}" if report.max_gap is not None else "-"
    diagram.set_title(f"reliability: ECE {report.ece:.3f}, max gap {gap} (bins >= {MIN_BIN_COUNT})", fontsize=10)
    diagram.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    return out_png
