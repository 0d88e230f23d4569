"""Labelled crops cut from a real dataset in the evaldata format, split by document.

Line boxes with text (or, with `level="words"`, word boxes: single-word accuracy as the
reference system measured it) become crops padded the way the detector pads its segments,
normalised to the recognizer's input and written in the synthetic shard format, so training
and `lector eval-words` read both alike.
The split is by document, never by line: a document's crops are all train or all validation.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from lector.detect.crops import cut, dark_on_light, padded_box
from lector.eval.dataset import EvalDoc, load_dataset, split_of
from lector.recognize.charset import DEFAULT_CHARSET, normalise_text
from lector.recognize.preprocess import normalise_crop
from lector.synth.shards import write_shard


def split_documents(docs: list[EvalDoc]) -> tuple[list[EvalDoc], list[EvalDoc]]:
    return [d for d in docs if split_of(d.id) == "train"], [d for d in docs if split_of(d.id) == "val"]


def truth_crops(doc: EvalDoc, level: str = "lines", charset: str = DEFAULT_CHARSET) -> list[tuple[np.ndarray, str]]:
    """(crop, label) for each truth line (`level="lines"`) or word (`"words"`) with a box and text."""
    if level not in ("lines", "words"):
        raise ValueError(f"level is 'lines' or 'words', not {level!r}")
    grey = cv2.imread(str(doc.image_path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return []
    out = []
    for item in doc.lines if level == "lines" else doc.words:
        text = normalise_text(" ".join(item.text.split()), charset)
        if item.box is None or not text:
            continue
        if item.box.height < 6 or item.box.width < 4:
            continue
        crop = dark_on_light(cut(grey, padded_box(item.box, grey.shape[1], grey.shape[0])))
        if crop.size:
            out.append((crop, text))
    return out


def write_crop_shard(path: Path, crops: list[np.ndarray], labels: list[str]) -> None:
    write_shard(path, [(normalise_crop(c) * 255).astype(np.uint8) for c in crops], labels)


def build_real_crops(dataset_dir: Path, out_dir: Path, level: str = "lines") -> dict:
    """Write OUT/train/shard-00000.npz and OUT/val/shard-00000.npz; returns counts."""
    docs = load_dataset(dataset_dir)
    counts = {}
    for part, part_docs in zip(("train", "val"), split_documents(docs)):
        pairs = [p for d in part_docs for p in truth_crops(d, level)]
        write_crop_shard(out_dir / part / "shard-00000.npz", [c for c, _ in pairs], [t for _, t in pairs])
        counts[part] = {"documents": len(part_docs), "crops": len(pairs)}
    (out_dir / "manifest.json").write_text(json.dumps({"source": str(dataset_dir), "level": level, **counts},
                                                      indent=2))
    return counts


def recase_word(truth: str, read: str) -> str:
    """The truth word in the case the model read it, where the two agree case-insensitively.

    SROIE-style truth is upper-cased even where the receipt prints lower case; teaching the net
    that lower-case glyphs are capitals would spoil it on every other document. Only clean
    case patterns (lower, Title, UPPER) are taken over; anything else keeps the truth.
    """
    if truth.casefold() == read.casefold() and (read.islower() or read.istitle() or read.isupper()):
        return read
    return truth


def recase_labels(labels: list[str], read_texts: list[str]) -> tuple[list[str], int]:
    """Labels with the case of the model's reading word by word; also how many words changed."""
    out, changed = [], 0
    for truth, read in zip(labels, read_texts):
        t_words, r_words = truth.split(" "), read.split(" ")
        if len(t_words) != len(r_words):
            out.append(truth)
            continue
        words = [recase_word(t, r) for t, r in zip(t_words, r_words)]
        changed += sum(a != b for a, b in zip(words, t_words))
        out.append(" ".join(words))
    return out, changed
