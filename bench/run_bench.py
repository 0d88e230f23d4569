"""`make bench`: speed and word-net accuracy, written to bench/results/*.json.

- pages/s of Lector and Tesseract on the same sroie_dev pages, one thread each, measured
  side by side (A B A B per page) so machine noise hits both alike;
- recognizer throughput (crops/s, batched, 2 threads) on real line and word crops;
- single-word accuracy (SWA) of the word net on those crops, cut from the held-out half of
  sroie_dev by its truth boxes (truth is upper-case: case-insensitive SWA is the figure).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVALDATA = ROOT.parent / "shared" / "evaldata"
RESULTS = ROOT / "bench" / "results"


def bench_pages(limit: int) -> dict:
    from lector.engines.tesseract import TesseractEngine
    from lector.eval.dataset import load_dataset
    from lector.pipeline import LectorEngine, PipelineConfig
    from lector.recognize.recognizer import RecognizerConfig

    os.environ["OMP_THREAD_LIMIT"] = "1"
    lector_engine = LectorEngine(PipelineConfig(recognizer=RecognizerConfig(threads=1)))
    tesseract = TesseractEngine()
    docs = load_dataset(EVALDATA / "sroie_dev", limit=limit)
    times = {"lector": [], "tesseract": []}
    for doc in docs:
        image = cv2.cvtColor(cv2.imread(str(doc.image_path)), cv2.COLOR_BGR2RGB)
        for name, engine in (("lector", lector_engine), ("tesseract", tesseract)):
            started = time.perf_counter()
            engine.read_page(image)
            times[name].append(time.perf_counter() - started)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"pages": len(docs), "threads": 1,
            "median_s_per_page": med, "pages_per_s": {k: 1 / v for k, v in med.items()},
            "lector_over_tesseract_time_ratio": med["lector"] / med["tesseract"]}


def bench_recognizer(rounds: int = 3, model: Path | None = None) -> dict:
    """Crops/s and SWA on the held-out sroie_dev crops, cut as `lector crops` cuts them: whole
    truth lines (the harder figure: long crops) and the words of those lines (what the target
    speaks of: typical word crops). Each set is read `rounds` times as the recognizer reads by
    default and, alternated with it, with a second look at doubtful crops (`*_second_look`);
    the median time counts."""
    from rapidfuzz.distance import Levenshtein

    from lector.eval.dataset import load_dataset, split_of
    from lector.recognize.recognizer import SECOND_LOOK, Recognizer, RecognizerConfig
    from lector.train.real_crops import truth_crops

    chosen = {"model_path": model} if model else {}
    recognizers = {"": Recognizer(RecognizerConfig(threads=2, **chosen)),
                   "_second_look": Recognizer(RecognizerConfig(threads=2, second_look=SECOND_LOOK, **chosen))}
    docs = [d for d in load_dataset(EVALDATA / "sroie_dev") if split_of(d.id) == "val"]
    out = {"threads": 2, "rounds": rounds}
    for name, level in (("lines", "lines"), ("words", "split-words")):
        pairs = [p for doc in docs for p in truth_crops(doc, level)]
        crops, truths = [c for c, _ in pairs], [t for _, t in pairs]
        mean_width = float(np.mean([c.shape[1] * 32 / max(1, c.shape[0]) for c in crops]))
        seconds: dict[str, list[float]] = {suffix: [] for suffix in recognizers}
        readings = {}
        for _ in range(rounds):
            for suffix, recognizer in recognizers.items():
                started = time.perf_counter()
                readings[suffix] = recognizer.read(crops)
                seconds[suffix].append(time.perf_counter() - started)
        for suffix, read in readings.items():
            folded = sum(r.text.casefold() == t.casefold() for r, t in zip(read, truths))
            edits = sum(Levenshtein.distance(r.text.casefold(), t.casefold()) for r, t in zip(read, truths))
            out[name + suffix] = {
                "crops": len(crops), "crops_per_s": len(crops) / statistics.median(seconds[suffix]),
                "crops_per_s_rounds": [len(crops) / s for s in seconds[suffix]],
                "mean_crop_width_px_at_32": mean_width,
                "swa_exact": sum(r.text == t for r, t in zip(read, truths)) / len(crops),
                "swa_case_insensitive": folded / len(crops),
                "cer_case_insensitive": edits / sum(len(t) for t in truths)}
        out[name + "_time_ratio_second_look"] = statistics.median(
            a / b for a, b in zip(seconds["_second_look"], seconds[""]))
    return {**out, "model_card": recognizers[""].card}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=40, help="0: the recognizer alone")
    parser.add_argument("--model", type=Path, help="word net for the recognizer figures (default: the shipped one)")
    parser.add_argument("--out", default="recognizer.json")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "date": time.strftime("%Y-%m-%d")}
    recognizer = bench_recognizer(model=args.model)
    (RESULTS / args.out).write_text(json.dumps({**recognizer, "machine": machine}, indent=2))
    print(json.dumps({k: v for k, v in recognizer.items() if k != "model_card"}, indent=2))
    if args.pages == 0:
        return
    pages = bench_pages(args.pages)
    (RESULTS / "pages.json").write_text(json.dumps({**pages, "machine": machine}, indent=2))
    print(json.dumps(pages, indent=2))


if __name__ == "__main__":
    main()
