"""`lector calibrate`: fit the word net's confidence calibration on held-out real crops.

The crops are the line crops of a dataset's validation half (never trained on). That half is
cut in two by document: the calibration is fitted on one part and its reliability reported on
the other, so the figure that says "calibrated" is not measured on the data it was fitted to.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from lector.eval.dataset import load_dataset, split_of
from lector.eval.words import reliability
from lector.recognize.calibration import fit_calibration
from lector.recognize.recognizer import Recognizer, RecognizerConfig
from lector.train.export import update_card
from lector.train.real_crops import line_crops


def calibration_part(doc_id: str) -> str:
    """'fit' or 'check' for a validation document: every other one of them by numeric id."""
    digits = "".join(ch for ch in doc_id if ch.isdigit())
    return "fit" if (int(digits or "0") // 4) % 2 == 0 else "check"


def _reliability(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """`lector.eval.words.reliability` (the bins `lector eval-words` draws), as JSON."""
    report = reliability(correct, confidence)
    return {"bins": [asdict(b) for b in report["bins"]], "ece": report["ece"], "max_gap": report["max_gap"],
            "n": int(len(confidence))}


def _read(recognizer: Recognizer, docs) -> tuple[np.ndarray, np.ndarray]:
    pairs = [p for doc in docs for p in line_crops(doc)]
    readings = recognizer.read([crop for crop, _ in pairs])
    confidence = np.array([r.confidence for r in readings])
    correct = np.array([" ".join(r.text.split()).casefold() == text.casefold()
                        for r, (_, text) in zip(readings, pairs)])
    return confidence, correct


def calibrate_model(model_path: Path, datasets: list[Path], threads: int = 2, write: bool = True) -> dict:
    """Fit on the 'fit' part of each dataset's validation half, check on the 'check' part, and
    store the calibration in the model card. Correct = same text, case-insensitive (SROIE's
    truth is upper-cased)."""
    raw = Recognizer(RecognizerConfig(model_path=model_path, threads=threads, calibrated=False))
    docs = [d for ds in datasets for d in load_dataset(ds) if split_of(d.id) == "val"]
    fit_conf, fit_ok = _read(raw, [d for d in docs if calibration_part(d.id) == "fit"])
    check_conf, check_ok = _read(raw, [d for d in docs if calibration_part(d.id) == "check"])
    names = ", ".join(p.name for p in datasets)
    calibration = fit_calibration(fit_conf, fit_ok, fitted_on=f"{len(fit_conf)} line crops of the validation "
                                  f"halves of {names} (every other document by id); checked on {len(check_conf)} others")
    report = {"fitted_on": calibration.fitted_on,
              "raw_on_check": _reliability(check_conf, check_ok),
              "calibrated_on_check": _reliability(calibration(check_conf), check_ok)}
    if write:
        update_card(model_path, {"calibration": calibration.to_card()})
    return report
