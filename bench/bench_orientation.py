"""Page orientation benchmark, written to bench/results/orientation.json.

Held-out real pages (the 'val' half of sroie_dev and funsd_dev by lector.eval.dataset.split_of),
each turned four ways (np.rot90: the truth is the clockwise quarter turns that make it upright):

- Lector's classifier (lector.photo.orientation, ONNX Runtime, one thread): the 4x4 confusion
  matrix at the model card's margin, the share of upright pages wrongly turned, the share of
  turned pages corrected, median ms per page (wall and CPU, one core); and the same two rates
  for a sweep of margins, so the trade-off is in view;
- the margin is tuned on the 'train' half (real pages the flip net saw; the rows/columns step
  has no training): the smallest margin with no upright page turned there, plus 0.5 for safety;
- Tesseract OSD (`--psm 0`, tesseract-ocr-osd) on the same pages (a subset: it costs about a
  second a page), scored alike; a page OSD gives up on counts as left upright.

    .venv/bin/python bench/bench_orientation.py                  # all held-out pages, OSD on 60
    .venv/bin/python bench/bench_orientation.py --osd-pages 0    # Lector only
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVALDATA = ROOT.parent / "shared" / "evaldata"
RESULTS = ROOT / "bench" / "results"
SETS = ("sroie_dev", "funsd_dev")

from lector.eval.dataset import load_dataset, split_of  # noqa: E402
from lector.photo.orientation import OrientationClassifier, OrientationConfig, decide  # noqa: E402


def pages(split: str, limit: int | None) -> list[tuple[str, Path]]:
    out = [(f"{name}/{doc.id}", doc.image_path) for name in SETS
           for doc in load_dataset(EVALDATA / name) if split_of(doc.id) == split]
    return out[:limit] if limit else out


def classify_all(classifier: OrientationClassifier, docs: list[tuple[str, Path]]) -> list[dict]:
    rows = []
    for doc_id, path in docs:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        for truth in range(4):
            turned = np.ascontiguousarray(np.rot90(grey, truth))
            wall, cpu = time.perf_counter(), time.process_time()
            probabilities, lines = classifier.probabilities(turned)
            rows.append({"id": doc_id, "truth": truth, "p": [round(float(p), 5) for p in probabilities],
                         "lines": lines, "ms": 1000 * (time.perf_counter() - wall),
                         "cpu_ms": 1000 * (time.process_time() - cpu)})
    return rows


def decisions(rows: list[dict], margin: float, min_lines: int) -> list[int]:
    return [0 if row["lines"] < min_lines else decide(np.array(row["p"]), margin) for row in rows]


def rates(truths: list[int], predicted: list[int]) -> dict:
    truths, predicted = np.array(truths), np.array(predicted)
    upright, turned = truths == 0, truths != 0
    confusion = np.zeros((4, 4), int)
    for t, p in zip(truths, predicted):
        confusion[t, p] += 1
    return {"pages": int(upright.sum()), "samples": int(len(truths)),
            "upright_wrongly_rotated": round(float((predicted[upright] != 0).mean()), 4),
            "rotated_corrected": round(float((predicted[turned] == truths[turned]).mean()), 4),
            "accuracy": round(float((predicted == truths).mean()), 4),
            "confusion_truth_by_predicted": confusion.tolist()}


def osd_turns(image: np.ndarray) -> tuple[int, float | None, float]:
    """Tesseract OSD's clockwise quarter turns to upright (0 when it gives up), confidence, seconds."""
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        cv2.imwrite(handle.name, image)
        started = time.perf_counter()
        done = subprocess.run(["tesseract", handle.name, "-", "--psm", "0"], capture_output=True, text=True)
        seconds = time.perf_counter() - started
    text = done.stdout + done.stderr
    rotate = re.search(r"Rotate:\s*(\d+)", text)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", text)
    if not rotate:
        return 0, None, seconds
    # "Rotate: R": degrees to turn the image clockwise (a page turned a quarter anticlockwise
    # with np.rot90 reads "Rotate: 90")
    return (int(rotate.group(1)) // 90) % 4, float(confidence.group(1)) if confidence else None, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="held-out pages (default all)")
    parser.add_argument("--osd-pages", type=int, default=60)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    config = OrientationConfig(threads=1) if args.model is None else OrientationConfig(model_path=args.model, threads=1)
    classifier = OrientationClassifier(config)

    train_rows = classify_all(classifier, pages("train", args.limit))
    val_docs = pages("val", args.limit)
    val_rows = classify_all(classifier, val_docs)

    # the margin: no upright 'train' page turned, plus 0.5
    def worst_upright_margin(rows):
        logits = [np.log(max(max(r["p"][1:]), 1e-9) / max(r["p"][0], 1e-9))
                  for r in rows if r["truth"] == 0 and r["lines"] >= config.min_lines]
        return float(max(logits)) if logits else 0.0
    tuned = round(max(0.0, worst_upright_margin(train_rows)) + 0.5, 2)

    truths = [r["truth"] for r in val_rows]
    sweep = {str(m): {k: v for k, v in rates(truths, decisions(val_rows, m, config.min_lines)).items()
                      if k in ("upright_wrongly_rotated", "rotated_corrected")}
             for m in (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)}
    report = {
        "machine": platform.platform(), "model": str(classifier.config.model_path.name),
        "card_margin": classifier.margin, "tuned_margin_on_train": tuned,
        "train_worst_upright_log_odds": round(worst_upright_margin(train_rows), 3),
        "lector": {"card_margin": rates(truths, decisions(val_rows, classifier.margin, config.min_lines)),
                   "tuned_margin": rates(truths, decisions(val_rows, tuned, config.min_lines)),
                   "median_ms_per_page": round(float(np.median([r["ms"] for r in val_rows])), 2),
                   "p95_ms_per_page": round(float(np.percentile([r["ms"] for r in val_rows], 95)), 2),
                   "median_cpu_ms_per_page": round(float(np.median([r["cpu_ms"] for r in val_rows])), 2),
                   "margin_sweep": sweep,
                   "train_half_at_tuned": rates([r["truth"] for r in train_rows],
                                                decisions(train_rows, tuned, config.min_lines))},
    }

    if args.osd_pages:
        chosen = val_docs[:: max(1, len(val_docs) // args.osd_pages)][: args.osd_pages]
        jobs = []
        for doc_id, path in chosen:
            grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            jobs += [(doc_id, truth, np.ascontiguousarray(np.rot90(grey, truth))) for truth in range(4)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda job: osd_turns(job[2]), jobs))
        osd_truths = [t for _, t, _ in jobs]
        osd_pred = [a[0] for a in answers]
        chosen_ids = {doc_id for doc_id, _ in chosen}
        subset = [r for r in val_rows if r["id"] in chosen_ids]
        report["tesseract_osd"] = {
            **rates(osd_truths, osd_pred), "gave_up": sum(a[1] is None for a in answers),
            "median_ms_per_page": round(1000 * float(np.median([a[2] for a in answers])), 1)}
        report["lector_on_osd_subset"] = rates([r["truth"] for r in subset],
                                               decisions(subset, classifier.margin, config.min_lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "orientation.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "orientation_pages.json").write_text(json.dumps(val_rows) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
