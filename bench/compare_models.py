"""Train and compare word-net variants side by side: the small architecture search (issue 4)
and synthetic data v1 against v2 (issue 3). Written to bench/results/models.json.

Each variant is a normal `lector train` run (resumable, recorded in the lab notebook), trained
from scratch with the same seed, steps and batches on the first 100,000 synthetic crops only, so that the only
difference is the one under study. Every trained model is exported to ONNX and measured the
same way: SWA and CER on 3,000 held-out real SROIE line crops and on the synthetic validation
set (`lector.eval.words`), and recognizer throughput (crops/s, ONNX Runtime, 2 threads) on
the same 2,000 real crops, best of three passes.

    .venv/bin/python bench/compare_models.py --steps 1500 [--only base-synth-v2,small-synth-v2]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from lector.eval.words import evaluate_words  # noqa: E402
from lector.recognize.recognizer import Recognizer, RecognizerConfig  # noqa: E402
from lector.synth.shards import load_shards  # noqa: E402
from lector.train.publish import publish_checkpoint  # noqa: E402
from lector.train.train import TrainConfig, train  # noqa: E402

BASE = {"channels": (16, 32, 64, 64, 128, 160), "lstm_hidden": 128, "lstm_layers": 2}
VARIANTS = {
    # name: (what it tests, synthetic data, architecture)
    "base-synth-v1": ("synth v1 data, shipped architecture", "data/synth-v1", BASE),
    "base-synth-v2": ("synth v2 data, shipped architecture", "data/synth-v2", BASE),
    "small-synth-v2": ("half the CNN width, 64-unit LSTM", "data/synth-v2",
                       {"channels": (8, 16, 32, 32, 64, 96), "lstm_hidden": 64, "lstm_layers": 2}),
    "onelayer-synth-v2": ("one BiLSTM layer instead of two", "data/synth-v2", {**BASE, "lstm_layers": 1}),
    "wide-synth-v2": ("wider CNN, 192-unit LSTM", "data/synth-v2",
                      {"channels": (32, 64, 96, 96, 192, 256), "lstm_hidden": 192, "lstm_layers": 2}),
}
REAL_VAL = "data/real-sroie/val"
SYNTH_VAL = "data/synth-val"


def throughput(model: Path, crops) -> float:
    recognizer = Recognizer(RecognizerConfig(model_path=model, threads=2))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        recognizer.read(crops)
        best = min(best, time.perf_counter() - started)
    return len(crops) / best


def run_variant(name: str, steps: int) -> dict:
    purpose, synth_dir, arch = VARIANTS[name]
    run_dir = ROOT / "runs" / f"cmp-{name}"
    cfg = TrainConfig(run_dir=str(run_dir.relative_to(ROOT)), synth_dirs=[synth_dir], val_synth_dir=SYNTH_VAL,
                      val_real_dir=REAL_VAL, steps=steps, batch_size=48, lr=2e-3, warmup_steps=100,
                      synth_limit=100_000, eval_every=steps, checkpoint_every=200, seed=0, goal=f"compare: {purpose} ({steps} steps, synthetic only)",
                      channels=arch["channels"], lstm_hidden=arch["lstm_hidden"], lstm_layers=arch["lstm_layers"])
    started = time.perf_counter()
    checkpoint = train(cfg)
    train_seconds = time.perf_counter() - started
    model = publish_checkpoint(checkpoint, run_dir / "model.onnx")
    recognizer = Recognizer(RecognizerConfig(model_path=model, threads=2))
    real = evaluate_words(Path(REAL_VAL), recognizer, limit=3000, progress=False)
    synth = evaluate_words(Path(SYNTH_VAL), recognizer, progress=False)
    crops, _ = load_shards(Path(REAL_VAL))
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rates = [m["crops_per_s"] for m in metrics if "crops_per_s" in m]
    return {"purpose": purpose, "synthetic_data": synth_dir, "architecture": arch, "steps": steps,
            "parameters": sum(p.numel() for p in torch.load(model.with_suffix(".pt"), weights_only=False)["model"].values()),
            "onnx_mb": round(model.stat().st_size / 1e6, 2),
            "real_swa": real.swa, "real_swa_ci": real.swa_ci, "real_cer_ci": real.cer_ci,
            "synth_swa": synth.swa, "synth_swa_ci": synth.swa_ci,
            "crops_per_s_2_threads": throughput(model, [c for c in crops[:2000]]),
            "training_crops_per_s": rates[-1] if rates else None, "train_seconds_this_call": round(train_seconds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--only", help="comma-separated variant names")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(VARIANTS)
    out_path = RESULTS / "models.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    for name in names:
        results[name] = run_variant(name, args.steps)
        print(name, json.dumps(results[name]), flush=True)
        out_path.write_text(json.dumps(results, indent=2))
    print("| variant | params | ONNX MB | real SWA (ci) | real CER (ci) | synth SWA | crops/s (2 thr) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']:,} | {r['onnx_mb']} | {r['real_swa_ci']:.3f} | {r['real_cer_ci']:.3f} | "
              f"{r['synth_swa']:.3f} | {r['crops_per_s_2_threads']:.0f} |")


if __name__ == "__main__":
    main()
