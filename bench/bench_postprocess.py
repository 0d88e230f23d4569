"""Post-processing benchmark (issue 6), written to bench/results/postprocess.json.

- **Wordinator**: synthetic receipt pages with known word boxes (`lector.synth.page`): for each
  truth word the IoU of the best-overlapping word Lector returns; the share at IoU >= 0.7, so
  that a highlighted word in the PDF covers that word only;
- **text-free images**: 100 procedural images with no text at all (blank and grey pages,
  gradients, noise, wood/marble/fabric-like textures, shapes, rules): the share with no word at
  or above the keep threshold (target >= 99%), and with no word output at all;
- **speed**: pages/s on held-out sroie_dev pages with lexicon repair on and off, side by side
  (A B A B per page, one thread), target <= 10% slowdown;
- **ablation**: end-to-end bag-of-words F1 (case-insensitive) on the held-out halves of
  sroie_dev and funsd_dev and on all of inv3d_photo_dev with each stage switched off in turn.

    .venv/bin/python bench/bench_postprocess.py [--skip-ablation] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVALDATA = ROOT.parent / "shared" / "evaldata"
RESULTS = ROOT / "bench" / "results"

from lector.eval.dataset import load_dataset, split_of  # noqa: E402
from lector.eval.runner import evaluate, load_rgb  # noqa: E402
from lector.pipeline import LectorEngine, PipelineConfig  # noqa: E402
from lector.recognize.recognizer import RecognizerConfig  # noqa: E402
from lector.synth.page import photo_like, render_receipt  # noqa: E402

ONE_THREAD = PipelineConfig(recognizer=RecognizerConfig(threads=1))


def bench_wordinator(pages: int) -> dict:
    engine = LectorEngine(ONE_THREAD)
    ious, read_right = [], []
    for seed in range(pages):
        image, words = render_receipt(seed=seed)
        if seed % 2:
            image, words = photo_like(image, words, seed=seed, tilt_deg=0.0)
        page = engine.read_page(image)
        for truth in words:
            best = max(page.words, key=lambda w: w.box.iou(truth.box), default=None)
            ious.append(best.box.iou(truth.box) if best else 0.0)
            read_right.append(best is not None and best.text.casefold() == truth.text.casefold())
    ious, read_right = np.array(ious), np.array(read_right)
    return {"pages": pages, "truth_words": int(len(ious)), "median_iou": float(np.median(ious)),
            "share_iou_at_least_0_7": float(np.mean(ious >= 0.7)),
            "share_iou_at_least_0_7_of_words_read_right": float(np.mean(ious[read_right] >= 0.7)),
            "words_read_right": float(np.mean(read_right))}


def _noise_field(rng: np.random.Generator, shape: tuple[int, int], octaves: int = 5) -> np.ndarray:
    """Smooth multi-octave value noise in [0, 1]."""
    h, w = shape
    field = np.zeros(shape, np.float32)
    for k in range(octaves):
        cells = 2 ** (k + 2)
        small = rng.random((cells, cells)).astype(np.float32)
        field += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / 2 ** k
    field -= field.min()
    return field / max(1e-6, field.max())


def text_free_image(kind: str, rng: np.random.Generator, shape=(1000, 760)) -> np.ndarray:
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "blank":
        grey = np.full(shape, rng.uniform(200, 255), np.float32)
    elif kind == "gradient":
        grey = 90 + 150 * (xx / w * rng.uniform(0.2, 1) + yy / h * rng.uniform(0, 0.8)) / 1.8
    elif kind == "noise":
        grey = rng.normal(rng.uniform(80, 200), rng.uniform(5, 60), shape)
    elif kind == "wood":
        n = _noise_field(rng, shape)
        grey = 120 + 60 * np.sin((yy / rng.uniform(6, 20)) + 8 * n) + 20 * n
    elif kind == "marble":
        n = _noise_field(rng, shape, 6)
        grey = 170 + 60 * np.sin((xx + yy) / rng.uniform(30, 90) + 10 * n)
    elif kind == "fabric":
        period = rng.uniform(3, 8)
        grey = 140 + 30 * np.sin(xx / period) * np.sin(yy / period) + rng.normal(0, 12, shape)
    elif kind == "shapes":
        grey = np.full(shape, 235, np.float32)
        for _ in range(rng.integers(3, 9)):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.circle(grey, centre, int(rng.integers(30, 200)), float(rng.uniform(20, 200)), -1)
    else:                                                   # rules: table lines on paper
        grey = np.full(shape, 240, np.float32)
        for y in range(int(rng.integers(20, 60)), h, int(rng.integers(40, 90))):
            cv2.line(grey, (0, y), (w, y), float(rng.uniform(0, 120)), int(rng.integers(1, 3)))
        for x in range(int(rng.integers(20, 60)), w, int(rng.integers(120, 300))):
            cv2.line(grey, (x, 0), (x, h), float(rng.uniform(0, 120)), 1)
    grey = np.clip(grey + rng.normal(0, 3, shape), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


KINDS = ("blank", "gradient", "noise", "wood", "marble", "fabric", "shapes", "rules")


def bench_text_free(count: int) -> dict:
    engine = LectorEngine(ONE_THREAD)
    keep = engine.repairer.config.keep_above if engine.repairer else 0.9
    rng = np.random.default_rng(2026)
    rows = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        page = engine.read_page(text_free_image(kind, rng))
        rows.append({"kind": kind, "words": len(page.words),
                     "words_above_keep": sum(w.confidence >= keep for w in page.words),
                     "texts": [w.text for w in page.words][:5]})
    clean = [r["words_above_keep"] == 0 for r in rows]
    return {"images": count, "keep_above": keep, "drop_below": engine.drop_below,
            "share_without_word_above_keep": float(np.mean(clean)),
            "share_without_any_word": float(np.mean([r["words"] == 0 for r in rows])),
            "by_kind": {k: {"images": sum(r["kind"] == k for r in rows),
                            "with_word_above_keep": sum(r["kind"] == k and r["words_above_keep"] > 0 for r in rows)}
                        for k in KINDS},
            "failures": [r for r in rows if r["words_above_keep"]][:10]}


def bench_speed(limit: int) -> dict:
    docs = [d for d in load_dataset(EVALDATA / "sroie_dev") if split_of(d.id) == "val"][:limit]
    engines = {"repair": LectorEngine(ONE_THREAD), "no_repair": LectorEngine(replace(ONE_THREAD, repair=False))}
    times = {name: [] for name in engines}
    for doc in docs:
        image = load_rgb(doc.image_path)
        for name, engine in engines.items():
            started = time.perf_counter()
            engine.read_page(image)
            times[name].append(time.perf_counter() - started)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = [a / b for a, b in zip(times["repair"], times["no_repair"])]
    return {"pages": len(docs), "median_s_per_page": med, "median_ratio_repair_over_off": statistics.median(ratios)}


ABLATIONS = {
    "full pipeline": {},
    "no lexicon repair": {"repair": False},
    "no confidence drop (drop_below 0)": {"drop_below": 0.0},
    "no repair, no drop": {"repair": False, "drop_below": 0.0},
    "no page noise gate": {"page_min_word_chars": 0},
    "no rectification/orientation": {"rectify": None, "orientation": None},
    "no line straightening": {"straighten": False},
    "beam search decoding": {"recognizer": RecognizerConfig(threads=1, decoder="beam")},
}


def bench_ablation(limit: int | None) -> dict:
    out = {}
    for name, change in ABLATIONS.items():
        engine = LectorEngine(replace(ONE_THREAD, **change))
        row = {}
        for dataset in ("sroie_dev", "funsd_dev", "inv3d_photo_dev"):
            part = None if dataset == "inv3d_photo_dev" else "val"     # the photos were never trained on
            overall = evaluate(EVALDATA / dataset, engine, limit=limit, only=part).to_dict()["overall"]
            row[dataset] = {k: round(overall[k], 4) for k in ("precision", "recall", "f1", "f1_exact",
                                                            "median_seconds_per_page")}
        out[name] = row
        print(name, json.dumps(row), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wordinator-pages", type=int, default=20)
    parser.add_argument("--text-free", type=int, default=100)
    parser.add_argument("--speed-pages", type=int, default=40)
    parser.add_argument("--limit", type=int, help="documents per dataset for the ablation (before the val filter)")
    parser.add_argument("--skip-ablation", action="store_true")
    args = parser.parse_args()
    engine = LectorEngine(ONE_THREAD)
    result = {"machine": platform.processor() or platform.machine(), "model_card_thresholds":
              engine.recognizer.card.get("thresholds", {}), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    result["wordinator"] = bench_wordinator(args.wordinator_pages)
    print("wordinator", json.dumps(result["wordinator"]), flush=True)
    result["text_free"] = bench_text_free(args.text_free)
    print("text_free", json.dumps({k: v for k, v in result["text_free"].items() if k != "failures"}), flush=True)
    result["speed"] = bench_speed(args.speed_pages)
    print("speed", json.dumps(result["speed"]), flush=True)
    previous = RESULTS / "postprocess.json"
    if not args.skip_ablation:
        result["ablation"] = bench_ablation(args.limit)
        result["ablation_when"] = result["when"]
    elif previous.exists():      # keep the last ablation, saying when it was measured
        old = json.loads(previous.read_text())
        if "ablation" in old:
            result["ablation"], result["ablation_when"] = old["ablation"], old.get("ablation_when", old.get("when"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "postprocess.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
