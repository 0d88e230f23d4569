"""Word detector benchmark, written to bench/results/detect.json.

- Lector's detector and Tesseract's own line boxes (`image_to_data`) on the same sroie_dev
  pages, scored alike (`lector.eval.detection`): text coverage, line recall and precision at
  IoU >= 0.5, median ms per page on one core (wall and CPU) and ms per megapixel;
- word-level recall and precision on funsd_dev (the dataset with word boxes);
- illumination correction off / on / auto, on sroie_dev and on rendered receipts under a hard
  shadow (share of truth words inside a detected segment).

    .venv/bin/python bench/bench_detect.py                 # every sroie_dev page (minutes)
    .venv/bin/python bench/bench_detect.py --limit 40      # a quick look

One thread everywhere (OpenCV's thread count set to 1, OMP_THREAD_LIMIT=1 for Tesseract), so
the times are one core's. CPU times are given beside wall times: on a busy machine the wall
time grows with the load, the CPU time much less.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVALDATA = ROOT.parent / "shared" / "evaldata"
RESULTS = ROOT / "bench" / "results"

SUMMARY_KEYS = ("pages", "coverage", "coverage_padded", "char_coverage", "lines", "rows", "words",
                "median_ms_per_page", "median_cpu_ms_per_page", "median_ms_per_megapixel",
                "median_cpu_ms_per_megapixel", "median_megapixels", "errors")


def summary(report: dict) -> dict:
    return {key: report[key] for key in SUMMARY_KEYS}


def shadowed_receipt(seed: int):
    """A rendered receipt, tilted 2 degrees, with a hard-edged shadow over a slanted part of
    the page (25-40 % of the light) and a dim corner; its word boxes."""
    from lector.synth.page import photo_like, render_receipt

    image, words = photo_like(*render_receipt(seed=seed), seed=seed, tilt_deg=2.0)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    edge = (xx - w * rng.uniform(0.3, 0.7)) + rng.uniform(-1, 1) * (yy - h / 2)
    light = cv2.GaussianBlur(np.where(edge > 0, rng.uniform(0.25, 0.4), 1.0).astype(np.float32), (0, 0), 6)
    light *= 1 - 0.25 * ((xx / w) ** 2 + (yy / h) ** 2)
    return np.clip(image.astype(np.float32) * light[..., None], 0, 255).astype(np.uint8), words


def bench_shadows(pages: int = 30) -> dict:
    """Share of truth words 80 % inside a segment, and CPU ms per page, per illumination mode."""
    from lector.detect.mser import DetectorConfig, detect_lines

    found = {mode: 0 for mode in ("off", "on", "auto")}
    cpu = {mode: [] for mode in found}
    total = 0
    for seed in range(pages):
        image, words = shadowed_receipt(seed)
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        total += len(words)
        for mode in found:
            started = time.process_time()
            lines = detect_lines(grey, DetectorConfig(illumination=mode))
            cpu[mode].append(1000 * (time.process_time() - started))
            segments = [s.box for line in lines for s in line.segments]
            found[mode] += sum(max((w.box.intersection(s) for s in segments), default=0) >= 0.8 * w.box.area
                               for w in words)
    return {"pages": pages, "words": total,
            "words_covered": {mode: found[mode] / total for mode in found},
            "median_cpu_ms_per_page": {mode: float(np.median(cpu[mode])) for mode in cpu}}


def _keep_tesseract(previous: dict, results: dict, dataset: str) -> None:
    """Carry Tesseract's figures on `dataset` over from the last results file, dated."""
    old = previous.get(dataset, {}).get("tesseract")
    if old:
        when = old.get("measured", previous.get("machine", {}).get("date", "unknown"))
        results[dataset]["tesseract"] = {**old, "measured": when}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="first N pages of each dataset (default: all)")
    parser.add_argument("--no-tesseract", action="store_true",
                        help="Lector only; Tesseract's figures are kept from the last results file (its "
                             "boxes do not change with Lector's code), marked with that run's date")
    parser.add_argument("--out", default=str(RESULTS / "detect.json"))
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from lector.detect.mser import DetectorConfig
    from lector.eval.detection import evaluate_detection, format_detection_table

    previous = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    results: dict = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                                 "date": time.strftime("%Y-%m-%d"), "threads": 1},
                     "config": DetectorConfig().__dict__}
    sroie = EVALDATA / "sroie_dev"
    lector = evaluate_detection(sroie, limit=args.limit, engine="lector", progress=True)
    reports = [lector]
    results["sroie_dev"] = {"lector": summary(lector)}
    if not args.no_tesseract:
        tesseract = evaluate_detection(sroie, limit=args.limit, engine="tesseract", progress=True)
        reports.append(tesseract)
        results["sroie_dev"]["tesseract"] = summary(tesseract)
    else:
        _keep_tesseract(previous, results, "sroie_dev")
    print(format_detection_table(reports))

    funsd = EVALDATA / "funsd_dev"
    if funsd.is_dir():
        engines = ["lector"] + ([] if args.no_tesseract else ["tesseract"])
        funsd_reports = [evaluate_detection(funsd, limit=args.limit, engine=name) for name in engines]
        results["funsd_dev"] = {r["engine"]: summary(r) for r in funsd_reports}
        if args.no_tesseract:
            _keep_tesseract(previous, results, "funsd_dev")
        print(format_detection_table(funsd_reports))

    illumination = {}
    for mode in ("off", "on"):
        report = evaluate_detection(sroie, limit=args.limit, engine="lector",
                                    config=replace(DetectorConfig(), illumination=mode))
        illumination[mode] = {k: report[k] for k in ("coverage", "coverage_padded", "char_coverage", "lines",
                                                     "median_cpu_ms_per_page")}
    illumination["auto"] = {k: results["sroie_dev"]["lector"][k] for k in illumination["off"]}
    results["illumination"] = {"sroie_dev": illumination, "shadowed_receipts": bench_shadows()}
    print(json.dumps(results["illumination"], indent=2))

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
