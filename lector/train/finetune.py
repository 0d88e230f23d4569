"""Fine-tuning on real crops: re-case their labels with the current model, then train from it
with synthetic data mixed in (so the net does not forget what real crops lack)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from lector.synth.shards import load_shards, write_shard
from lector.train.data import CropSet
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
        for i, text in zip(bucket, greedy_texts(model(images), lengths, charset)):
            texts[i] = text
    return crop_set.crops, crop_set.labels, texts


def recase_crop_set(checkpoint: Path, crop_dir: Path, out_dir: Path) -> dict:
    """Write `out_dir/shard-00000.npz`: the crops of `crop_dir` with model-cased labels."""
    crops, labels, texts = read_crops(checkpoint, crop_dir)
    recased, changed = recase_labels(labels, texts)
    write_shard(out_dir / "shard-00000.npz", crops, recased)    # crops are already normalised
    report = {"crops": len(crops), "words_recased": changed, "checkpoint": str(checkpoint)}
    (out_dir / "manifest.json").write_text(json.dumps(report, indent=2))
    return report
