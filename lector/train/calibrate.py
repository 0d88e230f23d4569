"""`lector calibrate`: fit the word net's confidence calibration on held-out real crops.

The crops are the line crops of a dataset's validation half (never trained on). The pipeline
attaches a confidence to each word, so by default the map is fitted on words: each word the net
reads in a line crop, with its own confidence (`word_confidences`), is right when the line's
truth holds it (case-insensitive, each truth word matched once). A map fitted on whole lines
(`unit="lines"`) is too low for words: a line of six words is wrong when any one is, so at one
raw confidence lines are right less often than the words in them. That half is
cut in two by document, and the reliability that says "calibrated" is cross-fitted: each part's
crops are mapped by the calibration fitted on the other part, and the two are pooled. So no
figure is measured on the data it was fitted to, and every bin holds twice the crops that one
part would give it (a bin of 80 crops alone has a binomial standard error of about 0.04). The
map stored in the model card is fitted on both parts.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

from lector.eval.dataset import load_dataset, split_of
from lector.eval.words import reliability
from lector.postprocess.wordinator import word_confidences
from lector.recognize.calibration import fit_calibration
from lector.recognize.recognizer import Recognizer, RecognizerConfig
from lector.train.export import update_card
from lector.train.real_crops import truth_crops


def calibration_part(doc_id: str) -> str:
    """'a' or 'b' for a validation document: every other block of four by numeric id."""
    digits = "".join(ch for ch in doc_id if ch.isdigit())
    return "a" if (int(digits or "0") // 4) % 2 == 0 else "b"


def _reliability(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """`lector.eval.words.reliability` (the bins `lector eval-words` draws), as JSON."""
    report = reliability(correct, confidence)
    return {"bins": [asdict(b) for b in report["bins"]], "ece": report["ece"], "max_gap": report["max_gap"],
            "n": int(len(confidence))}


def _read(recognizer: Recognizer, docs, unit: str = "words") -> tuple[np.ndarray, np.ndarray]:
    """(raw confidence, correct) per line crop (`unit="lines"`) or per word read in them."""
    pairs = [p for doc in docs for p in truth_crops(doc)]
    readings = recognizer.read([crop for crop, _ in pairs])
    if unit == "lines":
        confidence = np.array([r.confidence for r in readings])
        correct = np.array([" ".join(r.text.split()).casefold() == text.casefold()
                            for r, (_, text) in zip(readings, pairs)])
        return confidence, correct
    confidences, correct = [], []
    for reading, (_, text) in zip(readings, pairs):
        confidences += word_confidences(reading)
        correct += words_right(reading.text.split(), text)
    return np.array(confidences, np.float64), np.array(correct, bool)


def words_right(read: list[str], truth: str) -> list[bool]:
    """For each word read in a line, whether the line's truth holds it (case-insensitive, each
    truth word matched once, in reading order): bag-of-words matching, as `lector eval` scores."""
    unmatched = Counter(truth.casefold().split())
    right = []
    for word in read:
        key = word.casefold()
        right.append(unmatched[key] > 0)
        unmatched[key] -= 1
    return right


def cross_fitted(part_a: tuple[np.ndarray, np.ndarray], part_b: tuple[np.ndarray, np.ndarray],
                 fit=fit_calibration) -> tuple[np.ndarray, np.ndarray]:
    """(calibrated confidence, correct) of the crops of both parts, A's crops mapped by the fit on
    B and B's by the fit on A: out-of-fold confidences for a held-out reliability plot."""
    (conf_a, ok_a), (conf_b, ok_b) = part_a, part_b
    confidence = np.concatenate([fit(conf_b, ok_b)(conf_a), fit(conf_a, ok_a)(conf_b)])
    return confidence, np.concatenate([ok_a, ok_b])


def calibrate_model(model_path: Path, datasets: list[Path], threads: int = 2, write: bool = True,
                    unit: str = "words") -> dict:
    """Fit on the words read in (or, `unit="lines"`, on) all line crops of each dataset's
    validation half, report the reliability of the raw and the cross-fitted confidence, and
    store the fit in the model card. Correct = same text, case-insensitive (SROIE's truth is
    upper-cased)."""
    if unit not in ("words", "lines"):
        raise ValueError(f"unit is 'words' or 'lines', not {unit!r}")
    raw = Recognizer(RecognizerConfig(model_path=model_path, threads=threads, calibrated=False))
    docs = [d for ds in datasets for d in load_dataset(ds) if split_of(d.id) == "val"]
    part_a = _read(raw, [d for d in docs if calibration_part(d.id) == "a"], unit)
    part_b = _read(raw, [d for d in docs if calibration_part(d.id) == "b"], unit)
    confidence, correct = np.concatenate([part_a[0], part_b[0]]), np.concatenate([part_a[1], part_b[1]])
    names = ", ".join(p.name for p in datasets)
    what = "words read in the line crops" if unit == "words" else "line crops"
    calibration = fit_calibration(confidence, correct, fitted_on=f"{len(confidence)} {what} of the validation "
                                  f"halves of {names}; reliability cross-fitted on its two halves by document")
    report = {"fitted_on": calibration.fitted_on,
              "raw": _reliability(confidence, correct),
              "calibrated_cross_fitted": _reliability(*cross_fitted(part_a, part_b))}
    if write:
        update_card(model_path, {"calibration": calibration.to_card()})
    return report
