"""CTC decoding that keeps what the recognizer knows: each character's time span and probability.

The spans give word boxes (Wordinator); the probabilities give the confidence used by the
post-processing buckets; the log-probabilities themselves stay with the reading, so that
post-processing can score an alternative text against the net's own evidence
(`text_log_likelihood`) instead of trusting edit distance alone. NumPy only: this runs on the
inference path.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

NEG_INF = -1e30


@dataclass(frozen=True, slots=True)
class CharSpan:
    """One decoded character: first and last time step of its run, and its max probability."""

    char: str
    t_start: int
    t_end: int
    probability: float


@dataclass(frozen=True, slots=True)
class Reading:
    """The recognizer's output for one crop. `steps` is the number of valid time steps, the
    last `tail` of them blank paper the net appends after every crop (`crop_steps` cover the
    crop itself; a character the net emits in the tail belongs to the crop's right end).

    `log_probs` (steps, classes) is the net's output for this crop, kept for rescoring;
    None where the reading was assembled from pieces.
    """

    text: str
    confidence: float
    chars: tuple[CharSpan, ...]
    steps: int
    log_probs: np.ndarray | None = field(default=None, compare=False, repr=False)
    tail: int = 0

    @property
    def crop_steps(self) -> int:
        return self.steps - self.tail


def path_confidence(char_probabilities: list[float], weakest_step: float) -> float:
    """Geometric mean of the emitted characters' probabilities, combined (again by geometric
    mean) with the least confident step of the path, so that one doubtful blank-or-character
    decision anywhere lowers it. Without characters: the weakest step alone."""
    if not char_probabilities:
        return weakest_step
    char_conf = float(np.exp(np.mean(np.log(np.maximum(char_probabilities, 1e-9)))))
    return float(np.sqrt(char_conf * weakest_step))


def greedy_decode(log_probs: np.ndarray, steps: int, charset: str, tail: int = 0) -> Reading:
    """Decode one crop's (T, C) log-probabilities (first `steps` valid, the last `tail` of
    them appended paper): best class per step."""
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
    weakest = float(np.exp(best_lp.min())) if len(best_lp) else 0.0
    return Reading(text="".join(c.char for c in chars), chars=tuple(chars), steps=int(steps), log_probs=lp,
                   confidence=path_confidence([c.probability for c in chars], weakest), tail=tail)


@lru_cache(maxsize=8)
def _class_index(charset: str) -> dict[str, int]:
    return {ch: i + 1 for i, ch in enumerate(charset)}


def encode_text(text: str, charset: str) -> list[int] | None:
    """Class indices (blank = 0) of `text`, or None when a character is outside the charset."""
    index = _class_index(charset)
    try:
        return [index[ch] for ch in text]
    except KeyError:
        return None


def _extended(labels: list[int]) -> np.ndarray:
    ext = np.zeros(2 * len(labels) + 1, np.int64)
    ext[1::2] = labels
    return ext


def _shift(values: np.ndarray, k: int) -> np.ndarray:
    """values moved k states to the right, NEG_INF entering on the left (same length)."""
    return np.concatenate((np.full(k, NEG_INF), values))[: len(values)]


def _skip_allowed(ext: np.ndarray) -> np.ndarray:
    """State s may be entered from s-2: a character that differs from the one two states back."""
    allowed = np.zeros(len(ext), bool)
    allowed[2:] = (ext[2:] != 0) & (ext[2:] != ext[:-2])
    return allowed


def text_log_likelihood(log_probs: np.ndarray, text: str, charset: str) -> float:
    """log P(text | crop) under CTC: the sum over every alignment (forward algorithm, log space).

    -inf where the text cannot be aligned (too long for the time steps, or outside the charset).
    """
    labels = encode_text(text, charset)
    if labels is None or len(log_probs) == 0:
        return float("-inf")
    ext = _extended(labels)
    skip = _skip_allowed(ext)
    emit = log_probs[:, ext]                     # (T, S)
    alpha = np.full(len(ext), NEG_INF)
    alpha[0] = emit[0, 0]
    if len(ext) > 1:
        alpha[1] = emit[0, 1]
    for t in range(1, len(log_probs)):
        jump = np.where(skip, _shift(alpha, 2), NEG_INF)
        alpha = np.logaddexp(np.logaddexp(alpha, _shift(alpha, 1)), jump) + emit[t]
    total = np.logaddexp(alpha[-1], alpha[-2]) if len(ext) > 1 else alpha[-1]
    return float(total) if total > NEG_INF / 2 else float("-inf")


def forced_alignment(log_probs: np.ndarray, text: str, charset: str) -> tuple[CharSpan, ...] | None:
    """The most probable CTC path that spells `text` (Viterbi), as character spans.

    Used when post-processing changes a reading's text: the new characters get the positions
    the net's evidence gives them, so the Wordinator can still box each word. None when the
    text cannot be aligned.
    """
    labels = encode_text(text, charset)
    if labels is None or len(log_probs) < len(labels):
        return None
    if not labels:
        return ()
    ext = _extended(labels)
    skip = _skip_allowed(ext)
    T, S = len(log_probs), len(ext)
    emit = log_probs[:, ext]
    score = np.full(S, NEG_INF)
    score[0], score[1] = emit[0, 0], emit[0, 1]
    back = np.zeros((T, S), np.int8)             # 0: stayed, 1: came from s-1, 2: from s-2
    for t in range(1, T):
        options = np.stack([score, _shift(score, 1), np.where(skip, _shift(score, 2), NEG_INF)])
        back[t] = options.argmax(axis=0)
        score = options.max(axis=0) + emit[t]
    s = S - 1 if score[S - 1] >= score[S - 2] else S - 2
    if score[s] <= NEG_INF / 2:
        return None
    state_at = np.empty(T, np.int64)
    for t in range(T - 1, -1, -1):
        state_at[t] = s
        s -= int(back[t, s])
    spans = []
    for k in range(len(labels)):
        times = np.nonzero(state_at == 2 * k + 1)[0]
        probability = float(np.exp(log_probs[times, labels[k]].max()))
        spans.append(CharSpan(text[k], int(times[0]), int(times[-1]), probability))
    return tuple(spans)


def reading_for_text(reading: Reading, text: str, charset: str) -> Reading | None:
    """The same crop read as `text`: spans from forced alignment, confidence from their
    probabilities. None where the net's output cannot spell `text`."""
    if reading.log_probs is None:
        return None
    spans = forced_alignment(reading.log_probs, text, charset)
    if spans is None:
        return None
    weakest = min((c.probability for c in spans), default=reading.confidence)
    return Reading(text=text, chars=spans, steps=reading.steps, log_probs=reading.log_probs,
                   confidence=path_confidence([c.probability for c in spans], weakest), tail=reading.tail)


def _logadd(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    return a if b <= NEG_INF else a + math.log1p(math.exp(b - a))


def beam_decode(log_probs: np.ndarray, steps: int, charset: str, beam_width: int = 8,
                prior: Callable[[str, str], float] | None = None, prior_weight: float = 0.0,
                prune: float = 1e-3) -> list[tuple[str, float]]:
    """CTC prefix beam search: the `beam_width` most probable texts with their log-probabilities.

    Unlike greedy decoding it adds up every path that spells the same text, which matters
    where the net hesitates between a character and a blank. `prior(prefix, char)` (a log
    score, e.g. a character n-gram) is added with `prior_weight` each time a character is
    appended. Classes below `prune` probability at a step are not expanded. Plain Python
    floats: per step only a handful of classes survive the pruning.
    """
    lp = log_probs[:steps]
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}   # prefix -> (ends blank, ends char)
    threshold = math.log(prune)
    for t in range(len(lp)):
        row = lp[t]
        candidates = [(int(c), float(row[c])) for c in np.nonzero(row > threshold)[0]]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (p_blank, p_char) in beams.items():
            p_total = _logadd(p_blank, p_char)
            for c, p in candidates:
                if c == 0:
                    entry = nxt.setdefault(prefix, [NEG_INF, NEG_INF])
                    entry[0] = _logadd(entry[0], p_total + p)
                    continue
                extended = prefix + (c,)
                bonus = prior_weight * prior("".join(charset[k - 1] for k in prefix), charset[c - 1]) if prior else 0.0
                entry = nxt.setdefault(extended, [NEG_INF, NEG_INF])
                if prefix and prefix[-1] == c:
                    entry[1] = _logadd(entry[1], p_blank + p + bonus)     # a repeat needs a blank between
                    same = nxt.setdefault(prefix, [NEG_INF, NEG_INF])
                    same[1] = _logadd(same[1], p_char + p)               # or it continues the character
                else:
                    entry[1] = _logadd(entry[1], p_total + p + bonus)
        ranked = sorted(nxt.items(), key=lambda kv: -_logadd(*kv[1]))[:beam_width]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    results = [("".join(charset[k - 1] for k in prefix), _logadd(*scores)) for prefix, scores in beams.items()]
    return sorted(results, key=lambda r: -r[1])


def beam_reading(log_probs: np.ndarray, steps: int, charset: str, beam_width: int = 8, tail: int = 0) -> Reading:
    """A Reading whose text is the beam search's best, aligned back onto the time steps."""
    greedy = greedy_decode(log_probs, steps, charset, tail)
    best_text = beam_decode(log_probs, steps, charset, beam_width)[0][0]
    if best_text == greedy.text:
        return greedy
    return reading_for_text(greedy, best_text, charset) or greedy
