"""The page-level noise gate: a page with no real word on it is read as empty.

Textures, fabric and sensor noise make glyph-like specks that the word net reads, now and
then confidently, as "S", "#" or "T0". Such readings are short and isolated, and where three
specks happen to line up ("232", "ith") the net is unsure of them; a page of text has words
it is sure of. So a page on which no word of `min_chars` letters or digits reaches
`min_confidence` (calibrated: more likely read right than wrong, with a margin) is taken to
hold no text, and all its readings are dropped (bench/bench_postprocess.py: text-free images;
with model v4, 2 of 100 passed a gate that looked at length alone).
"""
from __future__ import annotations

from lector.core.document import Line

MIN_CONFIDENCE = 0.6


def has_text(lines: tuple[Line, ...], min_chars: int = 3, min_confidence: float = MIN_CONFIDENCE) -> bool:
    return any(sum(ch.isalnum() for ch in word.text) >= min_chars and word.confidence >= min_confidence
               for line in lines for word in line.words)


def gate_page(lines: tuple[Line, ...], min_chars: int = 3, min_confidence: float = MIN_CONFIDENCE) -> tuple[Line, ...]:
    """`lines` where the page holds a confident word of `min_chars` letters or digits, else nothing."""
    return lines if min_chars <= 0 or has_text(lines, min_chars, min_confidence) else ()
