"""Training throughput on this CPU: crops per second through forward, CTC loss, backward and
the optimiser step, as `lector train` runs them (issue 4's target: >= 300 crops/s on 2 cores).

Variants, alternated round by round so that machine noise hits them alike (median of rounds):
fp32 vs bf16 autocast, contiguous vs channels-last convolutions, the shipped two-layer net and
the one-layer variant. The batches are real training batches: the first synthetic crops,
bucketed by width as the trainer buckets them. Written to bench/results/training.json.

    .venv/bin/python bench/bench_training.py [--rounds 3 --steps 15 --threads 2]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from lector.recognize.charset import DEFAULT_CHARSET  # noqa: E402
from lector.synth.shards import load_shards, make_shards  # noqa: E402
from lector.train.data import CropSet  # noqa: E402
from lector.train.model import WordNet, WordNetConfig  # noqa: E402
from lector.train.train import train_step, use_bf16  # noqa: E402

SHIPPED = (16, 32, 64, 64, 128, 160)
VARIANTS = {
    # name: (LSTM layers, bf16 autocast, channels-last)
    "two-layer fp32": (2, False, False),
    "two-layer fp32 channels-last": (2, False, True),
    "two-layer bf16": (2, True, False),
    "two-layer bf16 channels-last (lector train default here)": (2, True, True),
    "one-layer fp32": (1, False, False),
    "one-layer bf16 channels-last": (1, True, True),
}


def crops_per_second(crop_set: CropSet, layers: int, bf16: bool, channels_last: bool, steps: int,
                     warmup: int = 3) -> float:
    torch.manual_seed(0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = WordNet(WordNetConfig(num_classes=len(DEFAULT_CHARSET) + 1, channels=SHIPPED, lstm_hidden=128,
                                  lstm_layers=layers)).to(memory_format=layout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    order = crop_set.batch_order(0, 0)
    seen, started = 0, 0.0
    for step in range(warmup + steps):
        if step == warmup:
            seen, started = 0, time.perf_counter()
        batch = crop_set.collate(order[step])
        train_step(model, optimizer, ctc, batch, bf16, grad_clip=5.0, layout=layout)   # as `lector train` runs it
        seen += batch[0].shape[0]
    return seen / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synth", default="data/synth-v1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="training.json", help="file name under bench/results/")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    needed = args.batch_size * (args.steps + 3) * 4
    source = ROOT / args.synth
    if not (source / "manifest.json").exists():          # a fresh clone: render a few thousand crops
        source = Path(tempfile.mkdtemp(prefix="bench-training-"))
        make_shards(source, needed, seed=1, workers=1)
    crops, labels = load_shards(source, limit=needed)
    crop_set = CropSet(crops, labels, DEFAULT_CHARSET, args.batch_size)
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_no in range(args.rounds):
        for name, (layers, bf16, channels_last) in VARIANTS.items():
            rate = crops_per_second(crop_set, layers, bf16, channels_last, args.steps)
            rates[name].append(rate)
            print(f"round {round_no + 1}: {name:58s} {rate:6.0f} crops/s", flush=True)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    base = medians["two-layer fp32"]
    report = {
        "machine": {"cpu_count": torch.get_num_threads(), "platform": platform.platform(),
                    "date": time.strftime("%Y-%m-%d"), "threads": args.threads,
                    "native_bf16": use_bf16("auto", torch.device("cpu"))},
        "batch_size": args.batch_size, "steps_per_round": args.steps, "rounds": args.rounds,
        "mean_crop_width": round(sum(c.shape[1] for c in crops) / len(crops), 1),
        "crops_per_s": {name: {"median": round(m, 1), "rounds": [round(r, 1) for r in rates[name]],
                               "ratio_to_two_layer_fp32": round(m / base, 2)} for name, m in medians.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(report, indent=2) + "\n")
    for name, m in medians.items():
        print(f"{name:58s} {m:6.0f} crops/s  x{m / base:.2f}")


if __name__ == "__main__":
    main()
