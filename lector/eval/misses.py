"""A crop set's misreadings, written out for a person to judge: the net's fault, or the truth's?

A word accuracy mixes the net's own misreadings with crops whose truth does not match their
pixels: a typo in the truth, a neighbour's letter inside the cut, print the scan lost. Only
looking tells them apart. `lector eval-words --misses DIR` writes every miss of a crop set to a
TSV and a seeded random sample of them to contact sheets, each crop beside its truth and its
reading; a person's verdicts go into the TSV's empty `verdict` column (`lab/audits/`).
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

import cv2
import numpy as np

from lector.eval.words import read_right

SHEET_ROWS = 20          # crops per contact sheet
ROW_HEIGHT = 56          # a crop drawn this tall: thin marks stay visible
CROP_WIDTH = 560         # a crop drawn at most this wide (longer ones are cut; the TSV has the text)
SHEET_WIDTH = 900
AUDIT_SEED = 11          # the sample lab/audits/ judged (v11, held-out SROIE words)
COLUMNS = ("sample", "crop", "truth", "reading", "confidence", "verdict", "note")


def missed(labels: list[str], texts: list[str], case_insensitive: bool = True) -> list[int]:
    """Indices of the crops read otherwise than their truth (as the word accuracy counts them)."""
    return np.flatnonzero(~read_right(labels, texts, case_insensitive)).tolist()


def sample_misses(misses: list[int], size: int, seed: int = AUDIT_SEED) -> list[int]:
    """A seeded random sample of the misses, in crop order: the same readings give the same
    sample, so an audit can be checked again against the crops it judged."""
    if size >= len(misses):
        return list(misses)
    return sorted(random.Random(seed).sample(misses, size))


def contact_sheet(crops: list[np.ndarray], captions: list[tuple[str, str, str]]) -> np.ndarray:
    """One row per crop: its number, the crop drawn ROW_HEIGHT tall, then "T:" truth and "R:" reading."""
    rows = []
    for crop, (number, truth, reading) in zip(crops, captions):
        row = np.full((ROW_HEIGHT + 6, SHEET_WIDTH), 255, np.uint8)
        if crop.size:
            width = max(1, int(round(crop.shape[1] * ROW_HEIGHT / crop.shape[0])))
            drawn = cv2.resize(crop, (width, ROW_HEIGHT), interpolation=cv2.INTER_CUBIC)[:, :CROP_WIDTH]
            row[3: 3 + ROW_HEIGHT, 40: 40 + drawn.shape[1]] = drawn
        cv2.line(row, (0, ROW_HEIGHT + 5), (SHEET_WIDTH, ROW_HEIGHT + 5), 180, 1)
        cv2.putText(row, number, (2, ROW_HEIGHT // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
        cv2.putText(row, f"T:{truth}", (CROP_WIDTH + 50, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 0, 1)
        cv2.putText(row, f"R:{reading}", (CROP_WIDTH + 50, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 0, 1)
        rows.append(row)
    return np.vstack(rows)


def write_misses(out_stem: Path, crops: list[np.ndarray], labels: list[str], texts: list[str],
                 confidences: list[float], case_insensitive: bool = True, sample: int = 200,
                 seed: int = AUDIT_SEED) -> tuple[Path, list[Path]]:
    """`out_stem.tsv` (every miss; the sampled ones numbered as on the sheets) and
    `out_stem-sheet-NN.png` (the sample, SHEET_ROWS a sheet). Returns the TSV and the sheets."""
    misses = missed(labels, texts, case_insensitive)
    chosen = sample_misses(misses, sample, seed)
    number = {crop: k for k, crop in enumerate(chosen)}
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    tsv = out_stem.with_name(out_stem.name + ".tsv")
    with tsv.open("w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in misses:
            writer.writerow((number.get(i, ""), i, labels[i], texts[i], f"{confidences[i]:.3f}", "", ""))
    sheets = []
    for start in range(0, len(chosen), SHEET_ROWS):
        part = chosen[start: start + SHEET_ROWS]
        image = contact_sheet([crops[i] for i in part],
                              [(str(number[i]), labels[i], texts[i]) for i in part])
        sheet = out_stem.with_name(f"{out_stem.name}-sheet-{start // SHEET_ROWS:02d}.png")
        cv2.imwrite(str(sheet), image)
        sheets.append(sheet)
    return tsv, sheets
