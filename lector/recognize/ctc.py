"""Greedy CTC decoding that keeps what the recognizer knows: each character's time span and probability.

The spans give word boxes (Wordinator), the probabilities give the confidence used by the
post-processing buckets. NumPy only: this runs on the inference path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class CharSpan:
    """One decoded character: first and last time step of its run, and its max probability."""

    char: str
    t_start: int
    t_end: int
    probability: float


@dataclass(frozen=True, slots=True)
class Reading:
    """The recognizer's output for one crop. `steps` is the number of valid time steps."""

    text: str
    confidence: float
    chars: tuple[CharSpan, ...]
    steps: int


def greedy_decode(log_probs: np.ndarray, steps: int, charset: str) -> Reading:
    """Decode one crop's (T, C) log-probabilities (first `steps` valid).

    Confidence: the geometric mean of the emitted characters' probabilities, combined (again by
    geometric mean) with the least confident step of the path, so that one doubtful
    blank-or-character decision anywhere lowers it. An empty reading gets its weakest step.
    """
    lp = log_probs[:steps]
    best = lp.argmax(axis=1)
    best_lp = lp[np.arange(len(best)), best]
    chars: list[CharSpan] = []
    prev = 0
    for t, cls in enumerate(best):
        cls = int(cls)
        if cls != 0 and cls != prev:
            chars.append(CharSpan(charset[cls - 1], t, t, float(np.exp(best_lp[t]))))
        elif cls != 0 and cls == prev and chars:
            last = chars[-1]
            chars[-1] = CharSpan(last.char, last.t_start, t, max(last.probability, float(np.exp(best_lp[t]))))
        prev = cls
    text = "".join(c.char for c in chars)
    if chars:
        char_conf = float(np.exp(np.mean([np.log(max(c.probability, 1e-9)) for c in chars])))
    else:
        char_conf = 1.0
    path_min = float(np.exp(best_lp.min())) if len(best_lp) else 0.0
    confidence = float(np.sqrt(char_conf * path_min)) if chars else path_min
    return Reading(text=text, confidence=confidence, chars=tuple(chars), steps=int(steps))
