"""Fine-tuning on real crops: re-case their labels with the current model, then train from it
with synthetic data mixed in (so the net does not forget what real crops lack)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from lector.synth.shards import load_shards, write_shard
from lector.train.data import CropSet
from lector.train.model import WordNetConfig
from lector.train.publish import load_checkpoint_model
from lector.train.real_crops import recase_labels
from lector.train.train import greedy_texts


@torch.no_grad()
def read_crops(checkpoint: Path, crop_dir: Path) -> tuple[list, list[str], list[str]]:
    model, state = load_checkpoint_model(checkpoint)
    charset = state["config"]["charset"]
    crops, labels = load_shards(crop_dir)
    crop_set = CropSet(crops, labels, charset, batch_size=64)
    texts = [""] * len(crop_set.crops)
    for bucket in crop_set.buckets:
        images, _, lengths, _ = crop_set.collate(bucket)
        for i, text in zip(bucket, greedy_texts(model(images), model.output_lengths(lengths), charset)):
            texts[i] = text
    return crop_set.crops, crop_set.labels, texts


def recase_crop_set(checkpoint: Path, crop_dir: Path, out_dir: Path, skip_unsure: bool = False) -> dict:
    """Write `out_dir/shard-00000.npz`: the crops of `crop_dir` with model-cased labels (without
    the crops whose printed case is not known, with `skip_unsure`)."""
    crops, labels, texts = read_crops(checkpoint, crop_dir)
    recased, changed = recase_labels(labels, texts, skip_unsure=skip_unsure)
    kept = [i for i, label in enumerate(recased) if label is not None]
    write_shard(out_dir / "shard-00000.npz", [crops[i] for i in kept], [recased[i] for i in kept])
    report = {"source": str(crop_dir), "crops": len(kept), "skipped_unsure_case": len(crops) - len(kept),
              "words_recased": changed, "checkpoint": str(checkpoint)}
    (out_dir / "manifest.json").write_text(json.dumps(report, indent=2))
    return report


SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "wordnet.pt"


def finetune(real_dirs: list[str], run_dir: str, synth_dirs: list[str], init_from: Path = SHIPPED_WEIGHTS,
             steps: int = 1500, real_ratio: float = 0.5, lr: float = 3e-4, val_real_dir: str = "",
             goal: str = "", **overrides) -> Path:
    """Train on from a model (by default the shipped one) on real crops mixed with synthetic
    ones, so the net learns the real glyphs without forgetting what real crops lack. The
    architecture and charset come from the starting weights; the run is a normal, resumable
    `train` run recorded in the lab notebook."""
    from dataclasses import fields

    from lector.train.train import TrainConfig, train
    if not Path(init_from).is_file():
        raise SystemExit(f"no weights to fine-tune from: {init_from} (lector export writes them beside the ONNX model)")
    start = torch.load(init_from, weights_only=False, map_location="cpu")["config"]
    known = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(run_dir=run_dir, synth_dirs=list(synth_dirs), real_dirs=list(real_dirs), real_ratio=real_ratio,
                      val_real_dir=val_real_dir, charset=start["charset"],
                      steps=steps, lr=lr, warmup_steps=min(100, steps // 10), init_from=str(init_from),
                      goal=goal or f"fine-tune {init_from} on {', '.join(real_dirs)}",
                      **{**WordNetConfig.from_settings(start).architecture(),   # the starting net's shape
                         **{k: v for k, v in overrides.items() if k in known}})
    return train(cfg)
