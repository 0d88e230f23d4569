"""Labelled crops cut from a real dataset in the evaldata format, split by document.

Line boxes with text become crops padded the way the detector pads its lines, normalised to
the recognizer's input and written in the synthetic shard format, so training reads both alike.
The split is by document, never by line: a document's crops are all train or all validation.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from lector.eval.dataset import EvalDoc, load_dataset
from lector.recognize.charset import DEFAULT_CHARSET, normalise_text
from lector.recognize.preprocess import normalise_crop


def is_validation(doc_id: str) -> bool:
    """Every other document (by sorted position of its numeric id) is held out."""
    digits = "".join(ch for ch in doc_id if ch.isdigit())
    return (int(digits) // 2) % 2 == 1 if digits else hash(doc_id) % 2 == 1


def split_documents(docs: list[EvalDoc]) -> tuple[list[EvalDoc], list[EvalDoc]]:
    train = [d for d in docs if not is_validation(d.id)]
    return train, [d for d in docs if is_validation(d.id)]


def line_crops(doc: EvalDoc, charset: str = DEFAULT_CHARSET) -> list[tuple[np.ndarray, str]]:
    grey = cv2.imread(str(doc.image_path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return []
    out = []
    for line in doc.lines:
        text = normalise_text(" ".join(line.text.split()), charset)
        if line.box is None or not text:
            continue
        x0, y0, x1, y1 = line.box.x0, line.box.y0, line.box.x1, line.box.y1
        h = y1 - y0
        if h < 6 or x1 - x0 < 4:
            continue
        pad_y, pad_x = int(round(0.1 * h)), int(round(0.25 * h))
        crop = grey[max(0, int(y0) - pad_y): int(y1) + pad_y, max(0, int(x0) - pad_x): int(x1) + pad_x]
        if crop.size:
            out.append((crop, text))
    return out


def write_crop_shard(path: Path, crops: list[np.ndarray], labels: list[str]) -> None:
    normalised = [(normalise_crop(c) * 255).astype(np.uint8) for c in crops]
    widths = np.array([c.shape[1] for c in normalised], np.int32)
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, pixels=np.concatenate(normalised, axis=1), widths=widths, offsets=offsets,
             labels=np.array(json.dumps(labels)))
    os.replace(tmp, path)


def build_real_crops(dataset_dir: Path, out_dir: Path) -> dict:
    """Write OUT/train/shard-00000.npz and OUT/val/shard-00000.npz; returns counts."""
    docs = load_dataset(dataset_dir)
    counts = {}
    for part, part_docs in zip(("train", "val"), split_documents(docs)):
        pairs = [p for d in part_docs for p in line_crops(d)]
        write_crop_shard(out_dir / part / "shard-00000.npz", [c for c, _ in pairs], [t for _, t in pairs])
        counts[part] = {"documents": len(part_docs), "crops": len(pairs)}
    (out_dir / "manifest.json").write_text(json.dumps({"source": str(dataset_dir), **counts}, indent=2))
    return counts
