"""The Wordinator: one box per word, from the CTC alignment of a multi-word crop.

The recognizer reads a segment that may hold several words; each character comes back with
the time steps where the net emitted it. A word's span runs from its first to its last
character, widened by half the character pitch, then tightened to the ink in the crop.
"""
from __future__ import annotations

import cv2
import numpy as np

from lector.core.document import Word
from lector.core.geometry import Box
from lector.recognize.ctc import CharSpan, Reading, path_confidence


def _split_words(chars: tuple[CharSpan, ...]) -> list[list[CharSpan]]:
    words, current = [], []
    for span in chars:
        if span.char == " ":
            if current:
                words.append(current)
            current = []
        else:
            current.append(span)
    if current:
        words.append(current)
    return words


def word_confidence(reading: Reading, chars: list[CharSpan]) -> float:
    """The crop's confidence measure (`path_confidence`) restricted to one word's time steps."""
    if reading.log_probs is not None:
        steps = reading.log_probs[chars[0].t_start: chars[-1].t_end + 1]
        weakest = float(np.exp(steps.max(axis=1).min()))
    else:
        weakest = min(c.probability for c in chars)
    return path_confidence([c.probability for c in chars], weakest)


def word_confidences(reading: Reading, calibrate=lambda raw: raw) -> list[float]:
    """One (calibrated) confidence per word of the reading, in order."""
    return [float(calibrate(word_confidence(reading, group))) for group in _split_words(reading.chars)]


def words_from_reading(reading: Reading, crop: np.ndarray, crop_box: Box, calibrate=lambda raw: raw) -> list[Word]:
    """Words with page boxes. `crop` is the grey crop (dark on light) cut at `crop_box`;
    `calibrate` maps the raw word confidence to the calibrated one the buckets use."""
    groups = _split_words(reading.chars)
    if not groups or reading.crop_steps <= 0:
        return []
    crop_w = crop.shape[1]
    px_per_step = crop_w / reading.crop_steps   # the crop is resized whole to steps * stride columns
    centres = [(c.t_start + c.t_end) / 2 for c in reading.chars]
    pitch = (centres[-1] - centres[0]) / (len(centres) - 1) if len(centres) > 1 else reading.crop_steps / 2
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU) if crop.size else (0, None)
    column_ink = ink.sum(axis=0) if ink is not None else None
    words = []
    for k, group in enumerate(groups):
        lo = (group[0].t_start - 0.6 * pitch) * px_per_step
        hi = (group[-1].t_end + 1 + 0.6 * pitch) * px_per_step
        # never reach past the neighbouring words' characters
        if k > 0:
            lo = max(lo, (groups[k - 1][-1].t_end + 1) * px_per_step)
        if k + 1 < len(groups):
            hi = min(hi, groups[k + 1][0].t_start * px_per_step)
        # (a mark the net emitted in its tail, after the crop, belongs to the crop's right end)
        lo, hi = int(min(max(0, np.floor(lo)), crop_w - 1)), int(min(crop_w, np.ceil(hi)))
        if column_ink is not None and hi > lo:
            cols = np.nonzero(column_ink[lo:hi] > 0)[0]
            if len(cols):
                lo, hi = lo + int(cols[0]), lo + int(cols[-1]) + 1
        if hi <= lo:
            hi = min(crop_w, lo + 1)
        y0, y1 = 0, crop.shape[0]
        if ink is not None:
            rows = np.nonzero(ink[:, lo:hi].sum(axis=1) > 0)[0]
            if len(rows):
                y0, y1 = int(rows[0]), int(rows[-1]) + 1
        box = Box(lo, y0, hi, y1).translate(crop_box.x0, crop_box.y0)   # crop pixels -> page pixels
        words.append(Word("".join(c.char for c in group), box, float(calibrate(word_confidence(reading, group)))))
    return words
