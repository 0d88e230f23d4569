"""The orientation net: a tiny CNN that tells an upright text-line crop from an upside-down one.

    pages (synthetic receipts and letters through camera-like distortions; real pages of the
    'train' half of the dev sets) -> the inference path's own line candidates and crops
    (lector.photo.orientation) -> each crop as "upright" and, turned 180 degrees, "upside down"
    -> FlipNet (4 conv blocks, global pooling, 2 logits) -> ONNX with its card in metadata_props

Crops come from the same code the classifier runs at inference, so what it learns is what it
sees. Which way a page lies (rows or columns) needs no training (see lector.photo.orientation).

    python -m lector.train.orientation --out models/orientation.onnx --minutes 8
    python -m lector.train.orientation --out models/orientation.onnx --set-margin 3.0 --note "..."
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import nn

from lector.eval.dataset import load_dataset, split_of
from lector.photo.orientation import CROP_HEIGHT, CROP_WIDTH, line_candidates, line_crops
from lector.synth.corpus import Corpus
from lector.synth.fonts import load_collection
from lector.synth.page import photo_like, render_receipt

EVALDATA = Path(__file__).resolve().parents[3] / "shared" / "evaldata"
REAL_SETS = ("sroie_dev", "funsd_dev")


class FlipNet(nn.Module):
    """(N, 1, 32, 128) in [0, 1] -> (N, 2) logits: upright, upside down."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 48, 64)):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for cout in channels:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, 2)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(crops).mean(dim=(2, 3)))


def page_crops(grey: np.ndarray, max_crops: int = 16) -> list[np.ndarray]:
    """The crops the classifier would score on an upright page."""
    rows, _, scale, _ = line_candidates(grey)
    return line_crops(grey, rows / scale, max_crops)


def render_letter(seed: int, corpus: Corpus, faces: list) -> np.ndarray:
    """A letter-like page: a heading, a date, paragraphs of book text in one face, mixed case."""
    rng = random.Random(seed)
    face = rng.choice(faces)
    size = rng.randint(16, 30)
    font = ImageFont.truetype(face.path, size)
    width = rng.randint(700, 1200)
    margin = rng.randint(30, 90)
    lines: list[str] = [corpus.sample(rng)[:40], ""]
    while len(lines) < rng.randint(12, 40):
        words = " ".join(corpus.sample(rng) for _ in range(4)).split()
        line = ""
        for word in words:
            if font.getlength(line + " " + word) > width - 2 * margin:
                break
            line = (line + " " + word).strip()
        lines.append(line if rng.random() > 0.1 else "")
    pitch = int(size * rng.uniform(1.2, 1.8))
    page = Image.new("L", (width, pitch * len(lines) + 2 * margin), rng.randint(225, 255))
    draw = ImageDraw.Draw(page)
    for row, text in enumerate(lines):
        draw.text((margin, margin + row * pitch), text, font=font, fill=rng.randint(0, 70))
    return np.asarray(page)


def synthetic_pages(n: int, seed: int) -> list[np.ndarray]:
    corpus = Corpus.load()
    faces = [f for f in load_collection()[0]]
    pages = []
    for k in range(n):
        rng = random.Random(seed * 100_003 + k)
        if k % 2 == 0:
            rgb, words = render_receipt(seed=seed * 100_003 + k, width=rng.randint(420, 800),
                                        font_size=rng.randint(14, 30))
        else:
            rgb, words = cv2.cvtColor(render_letter(seed * 100_003 + k, corpus, faces), cv2.COLOR_GRAY2RGB), []
        photo, _ = photo_like(rgb, words, seed=k, tilt_deg=rng.uniform(-2.5, 2.5))
        grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
        if rng.random() < 0.3:   # low resolution
            f = rng.uniform(0.5, 0.8)
            grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        pages.append(grey)
    return pages


def real_pages(split: str) -> list[tuple[str, np.ndarray]]:
    """(dataset/id, grey page) for every document of `split` in the real dev sets."""
    out = []
    for name in REAL_SETS:
        for doc in load_dataset(EVALDATA / name):
            if split_of(doc.id) == split:
                out.append((f"{name}/{doc.id}", cv2.imread(str(doc.image_path), cv2.IMREAD_GRAYSCALE)))
    return out


def crop_set(pages: list[np.ndarray]) -> np.ndarray:
    crops = [c for grey in pages for c in page_crops(grey)]
    return np.stack(crops) if crops else np.zeros((0, CROP_HEIGHT, CROP_WIDTH), np.float32)


def batches(crops: np.ndarray, size: int, rng: np.random.Generator):
    """Endless shuffled batches, each crop upright (0) or turned 180 degrees (1) at random."""
    while True:
        order = rng.permutation(len(crops))
        for start in range(0, len(order) - size + 1, size):
            chosen = crops[order[start:start + size]]
            flip = rng.random(size) < 0.5
            images = np.where(flip[:, None, None], chosen[:, ::-1, ::-1], chosen)
            # small shifts in contrast so the net keys on shapes, not levels
            images = np.clip(images * rng.uniform(0.8, 1.1, (size, 1, 1)) + rng.uniform(-0.1, 0.1, (size, 1, 1)), 0, 1)
            yield torch.from_numpy(images[:, None].astype(np.float32)), torch.from_numpy(flip.astype(np.int64))


def evaluate(model: FlipNet, crops: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        both = np.concatenate([crops, crops[:, ::-1, ::-1]])
        labels = np.r_[np.zeros(len(crops)), np.ones(len(crops))]
        logits = torch.cat([model(torch.from_numpy(np.ascontiguousarray(both[k:k + 512, None]).astype(np.float32)))
                            for k in range(0, len(both), 512)])
    model.train()
    return float((logits.argmax(1).numpy() == labels).mean())


def export(model: FlipNet, path: Path, card: dict) -> Path:
    model = model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (torch.rand(2, 1, CROP_HEIGHT, CROP_WIDTH),), str(path), input_names=["crops"],
                      output_names=["logits"], dynamic_axes={"crops": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    for key, value in {"card": json.dumps(card), "crop_height": str(CROP_HEIGHT), "crop_width": str(CROP_WIDTH)}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return path


def set_margin(path: Path, margin: float, note: str) -> None:
    """Write a decision margin tuned after training into the model's card (ONNX metadata and JSON)."""
    proto = onnx.load(str(path))
    entry = next(e for e in proto.metadata_props if e.key == "card")
    card = {**json.loads(entry.value), "margin": margin, "margin_tuning": note}
    entry.value = json.dumps(card)
    onnx.save(proto, str(path))
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("models/orientation.onnx"))
    parser.add_argument("--synthetic-pages", type=int, default=600)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--margin", type=float, default=2.0, help="decision margin written to the card")
    parser.add_argument("--set-margin", type=float, default=None,
                        help="only write this margin (tuned by bench/bench_orientation.py) into --out's card")
    parser.add_argument("--note", default="", help="with --set-margin: how it was tuned")
    args = parser.parse_args(argv)
    if args.set_margin is not None:
        set_margin(args.out, args.set_margin, args.note)
        return
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started = time.time()
    synth = crop_set(synthetic_pages(args.synthetic_pages, args.seed))
    real_train = [grey for _, grey in real_pages("train")]
    real = crop_set(real_train)
    held = crop_set([grey for _, grey in real_pages("val")])
    print(f"crops: synthetic {len(synth)}, real train {len(real)} ({len(real_train)} pages), "
          f"real val {len(held)}; {time.time() - started:.0f}s", flush=True)
    crops = np.concatenate([synth, real, real])      # real pages counted twice
    model = FlipNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    begun = time.time()
    budget = 60 * args.minutes
    step = 0
    for images, labels in batches(crops, 64, rng):
        # cosine decay over the time budget: the last steps settle the weights (and BatchNorm)
        for group in optimiser.param_groups:
            group["lr"] = 3e-3 * 0.5 * (1 + np.cos(np.pi * min(1.0, (time.time() - begun) / budget)))
        loss = loss_fn(model(images), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        if step % 200 == 0:
            print(f"step {step} loss {loss.item():.4f} val crop acc {evaluate(model, held):.4f}", flush=True)
        if time.time() - begun > budget:
            break
    accuracy = evaluate(model, held)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    card = {
        "name": "orientation", "task": "upright vs upside-down text-line crops (0/180); rows vs columns "
        "by nearest-neighbour direction, no net", "input": f"grey crops {CROP_HEIGHT}x{CROP_WIDTH}, 2nd-98th "
        "percentile stretched to [0,1], dark on light", "margin": args.margin,
        "training": {"steps": step, "batch": 64, "minutes": args.minutes, "lr": "3e-3 AdamW, cosine to 0 over the time budget", "seed": args.seed, "git": commit,
                     "synthetic_pages": args.synthetic_pages, "crops": {"synthetic": int(len(synth)),
                                                                      "real_train": int(len(real))}},
        "metrics": {"val_crop_accuracy": round(accuracy, 4), "val_crops": int(len(held))},
        "data": [
            {"name": "synthetic receipts and letters", "source": "lector.synth (Debian font packages: DejaVu, "
             "Liberation, URW base35, Noto, FreeFont, Carlito, Caladea; Project Gutenberg text)",
             "licence": "fonts OFL/GPL-with-font-exception/Apache; text public domain"},
            {"name": "SROIE (ICDAR 2019), sroie_dev 'train' half", "licence": "research use"},
            {"name": "FUNSD, funsd_dev 'train' half", "licence": "non-commercial research and education"},
        ],
    }
    export(model, args.out, card)
    print(f"val crop accuracy {accuracy:.4f}; {step} steps; wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
