"""The lexicon the repair step checks words against, and the patterns it never "corrects".

A word list with frequencies (Zipf scale: 7 = "the", 1 = once in a hundred million words),
shipped beside the model as a gzipped TSV that `lector lexicon build` writes from open word
frequency data; nothing is fetched at run time.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from lector.core.errors import ModelError

DEFAULT_LEXICON = Path(__file__).resolve().parents[2] / "models" / "lexicon.tsv.gz"

# punctuation that clings to words on documents ("TOTAL:", "(RM)", "Street,")
_EDGE = "\"'([{<:;,.!?)]}>*"

# Numbers, prices, dates, times, percentages, codes, phone numbers, e-mails and web addresses:
# a token with a digit, an @ or a web prefix is data, and data is never turned into a word.
_PROTECTED = re.compile(r"\d|@|^(https?:|www\.)", re.IGNORECASE)


def is_protected(token: str) -> bool:
    """True for tokens that look like numbers, prices, dates, codes, e-mails or URLs."""
    return bool(_PROTECTED.search(token))


def split_edges(token: str) -> tuple[str, str, str]:
    """("(", "Total", "):") for "(Total):": the word core between clinging punctuation."""
    start, end = 0, len(token)
    while start < end and token[start] in _EDGE:
        start += 1
    while end > start and token[end - 1] in _EDGE:
        end -= 1
    return token[:start], token[start:end], token[end:]


def has_clean_case(word: str) -> bool:
    """lower, Title or UPPER: how printed words are cased; "CIosed" and "TOTAl" are not."""
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return True
    return word.islower() or word.isupper() or (letters[0].isupper() and "".join(letters[1:]).islower())


@dataclass(frozen=True)
class Lexicon:
    """Case-folded words -> Zipf frequency."""

    zipf: dict[str, float]

    @classmethod
    def load(cls, path: Path = DEFAULT_LEXICON) -> "Lexicon":
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                rows = (line.rstrip("\n").split("\t") for line in f if not line.startswith("#"))
                return cls({word: float(freq) for word, freq in rows})
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read lexicon ({exc.__class__.__name__}: {exc})", str(path)) from exc

    def __contains__(self, word: str) -> bool:
        return word.casefold() in self.zipf

    def frequency(self, word: str) -> float:
        return self.zipf.get(word.casefold(), 0.0)

    def accepts(self, token: str) -> bool:
        """A token whose core is a known word (or a protected pattern), in a clean case."""
        _, core, _ = split_edges(token)
        if not core:
            return True
        if is_protected(core):
            return True
        parts = [p for p in re.split(r"[-/&]", core) if p]
        return has_clean_case(core) and all(p in self for p in parts)
