"""The page-level noise gate: a page with no real word on it is read as empty.

Textures, fabric and sensor noise make glyph-like specks that the word net reads, now and
then confidently, as "S", "#" or "T0". Such readings are short and isolated; a page of text
has words. So a page on which no word reaches `min_chars` letters or digits is taken to hold
no text, and all its readings are dropped (bench/bench_postprocess.py: text-free images).
"""
from __future__ import annotations

from lector.core.document import Line


def has_text(lines: tuple[Line, ...], min_chars: int = 3) -> bool:
    return any(sum(ch.isalnum() for ch in word.text) >= min_chars for line in lines for word in line.words)


def gate_page(lines: tuple[Line, ...], min_chars: int = 3) -> tuple[Line, ...]:
    """`lines` where the page holds a word of `min_chars` letters or digits, else nothing."""
    return lines if min_chars <= 0 or has_text(lines, min_chars) else ()
