"""Tune the word-confidence threshold on a dataset's fine-tune half (never on held-out pages).

Reads every page once with the threshold off, then scores bag-of-words F1 for each candidate
threshold from the kept words' confidences, so the sweep costs one pass.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from tqdm import tqdm

from lector.core.document import Line, Page
from lector.eval.dataset import load_dataset, split_of
from lector.eval.metrics import bag_of_words, predicted_tokens, sum_counts, truth_tokens
from lector.eval.runner import load_rgb


def _filtered(page: Page, threshold: float) -> Page:
    lines = []
    for line in page.lines:
        words = [w for w in line.words if w.confidence >= threshold]
        if words:
            lines.append(Line.from_words(words))
    return dataclasses.replace(page, lines=tuple(lines))


def sweep_threshold(dataset_dir: Path, engine, thresholds: list[float], part: str = "train",
                    limit: int | None = None) -> list[dict]:
    docs = [d for d in load_dataset(dataset_dir, limit=limit) if split_of(d.id) == part]
    pages = [(doc, engine.read_page(load_rgb(doc.image_path))) for doc in tqdm(docs, desc="tune", unit="page")]
    rows = []
    for threshold in thresholds:
        counts = sum_counts(bag_of_words(truth_tokens(doc), predicted_tokens(_filtered(page, threshold)), False)
                            for doc, page in pages)
        rows.append({"threshold": threshold, "precision": counts.precision, "recall": counts.recall, "f1": counts.f1})
    return rows
