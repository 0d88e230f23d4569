"""Sharded, resumable synthetic datasets on disk.

Shard k holds samples [k*S, (k+1)*S) of a seeded `CropGenerator`, already normalised to the
recognizer's input height (uint8, one concatenated buffer plus offsets) with their labels.
A shard is written to a temporary name and renamed when complete, so a killed run resumes by
skipping finished shards, and never duplicates or truncates a sample.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lector.recognize.preprocess import INPUT_HEIGHT

_GENERATOR = None


def git_revision() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return rev + ("-dirty" if dirty else "") if rev else "unknown"
    except OSError:
        return "unknown"


def _generator(seed: int, mix, font_boost: dict[str, float]):
    from lector.synth.corpus import Corpus
    from lector.synth.fonts import boost_faces, load_collection
    from lector.synth.render import CropGenerator
    faces, _ = load_collection()
    return CropGenerator(Corpus.load(), boost_faces(faces, font_boost), mix=mix, seed=seed)


def _init_worker(generator) -> None:
    global _GENERATOR
    _GENERATOR = generator


def _write_shard(job: tuple[str, int, int]) -> int:
    from lector.synth.stream import render_inputs
    out_dir, shard, size = job
    path = Path(out_dir) / f"shard-{shard:05d}.npz"
    crops, labels = render_inputs(_GENERATOR, range(shard * size, (shard + 1) * size), INPUT_HEIGHT)
    write_shard(path, crops, labels)
    return size


def write_shard(path: Path, crops: list[np.ndarray], labels: list[str]) -> None:
    """Normalised uint8 crops (32 x W each) and labels, written atomically."""
    widths = np.array([c.shape[1] for c in crops], np.int32)
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, pixels=np.concatenate(crops, axis=1), widths=widths, offsets=offsets,
             labels=np.array(json.dumps(labels)))
    os.replace(tmp, path)


def make_shards(out_dir: Path, n: int, seed: int = 0, workers: int = 2, shard_size: int = 5000,
                mix=None, font_boost: dict[str, float] | None = None) -> Path:
    """Generate `n` samples into `out_dir` (resumes where a killed run stopped); `mix` defaults
    to `DistortionMix()`. The crops are those `OnTheFlyCrops(seed, mix)` makes for the same indices.
    `font_boost` (face-name regex -> weight factor, `fonts.boost_faces`) tilts the font draw."""
    from lector.synth.render import DistortionMix
    mix = mix or DistortionMix()
    font_boost = font_boost or {}
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = (n + shard_size - 1) // shard_size
    manifest = {"seed": seed, "samples": shards * shard_size, "shard_size": shard_size, "engine": "synth-v2",
                "mix": asdict(mix), "font_boost": font_boost, "git": git_revision(),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    todo = [(str(out_dir), k, shard_size) for k in range(shards) if not (out_dir / f"shard-{k:05d}.npz").exists()]
    # Built here, not in each worker: a pool replaces a worker whose start-up fails for ever, so
    # a missing corpus would hang; forked workers inherit the generator as it is.
    generator = _generator(seed, mix, font_boost) if todo else None
    with tqdm(total=shards * shard_size, initial=(shards - len(todo)) * shard_size, unit="crop",
              desc="synth") as bar, mp.get_context("fork").Pool(workers, _init_worker, (generator,)) as pool:
        for done in pool.imap_unordered(_write_shard, todo):
            bar.update(done)
    return out_dir


def load_shards(data_dir: Path, limit: int | None = None) -> tuple[list[np.ndarray], list[str]]:
    """The crops (uint8, 32 x W) and labels of a shard directory, in index order; the first
    `limit` only, when given."""
    crops, labels = [], []
    for path in sorted(data_dir.glob("shard-*.npz")):
        if ".tmp" in path.name:
            continue
        if limit is not None and len(crops) >= limit:
            break
        with np.load(path) as z:
            pixels, widths, offsets = z["pixels"], z["widths"], z["offsets"]
            labels += json.loads(str(z["labels"]))
        crops += [pixels[:, o: o + w] for o, w in zip(offsets, widths)]
    return (crops[:limit], labels[:limit]) if limit is not None else (crops, labels)
