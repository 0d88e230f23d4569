"""The evaluation metrics, as ../shared/evaldata/README.md defines them, as pure functions.

Every number Lector reports about accuracy comes from here, so that Tesseract, Lector and any
later engine are measured the same way. The definitions follow the README word for word:

- bag of words per document: matches = size of the multiset intersection of truth tokens and
  predicted tokens; summed over documents (micro-average) before P, R and F1 are taken;
- CER: Levenshtein distance between reading-order texts / length of the truth text.

Case-insensitive comparisons use `str.casefold`, applied alike to truth and prediction.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from lector.core.document import Page
from lector.core.geometry import Box
from lector.eval.dataset import EvalDoc


@dataclass(frozen=True, slots=True)
class Counts:
    """Bag-of-words tallies of one document or, summed with `+`, of many (micro-averaging)."""

    matches: int = 0
    predicted: int = 0
    truth: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.matches + other.matches, self.predicted + other.predicted, self.truth + other.truth)

    @property
    def precision(self) -> float:
        """0.0 when nothing was predicted: an engine that reads nothing gets no credit."""
        return self.matches / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matches / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def sum_counts(counts: Iterable[Counts]) -> Counts:
    """Micro-average: add the tallies of all documents, then take P/R/F1 of the sum."""
    total = Counts()
    for count in counts:
        total = total + count
    return total


def truth_tokens(doc: EvalDoc) -> list[str]:
    """The line texts split on whitespace, or the word texts where the file labels no lines."""
    if doc.lines:
        return [token for line in doc.lines for token in line.text.split()]
    return [token for word in doc.words for token in word.text.split()]


def predicted_tokens(page: Page) -> list[str]:
    """The engine's words. Split on whitespace too, so an engine that puts a space inside a
    "word" is scored on the same tokens as the truth; for Tesseract this changes nothing."""
    return [token for word in page.words for token in word.text.split()]


def bag_of_words(truth: Sequence[str], predicted: Sequence[str], case_sensitive: bool) -> Counts:
    """Multiset matching: a token that appears twice in the truth is matched at most twice."""
    if not case_sensitive:
        truth = [token.casefold() for token in truth]
        predicted = [token.casefold() for token in predicted]
    matches = sum((Counter(truth) & Counter(predicted)).values())
    return Counts(matches=matches, predicted=len(predicted), truth=len(truth))


def reading_order_text(lines_with_boxes: Sequence[tuple[str, Box | None]]) -> str:
    """Line texts sorted by box centre y, then x, joined with single spaces.

    Where any box is null the file's own order is kept for all lines: the format promises
    such files list their lines in reading order, and boxes for only some lines would not
    tell where the others go. The sort is stable, so lines with equal centres keep file order.
    """
    if all(box is not None for _, box in lines_with_boxes):
        ordered = sorted(lines_with_boxes, key=lambda item: (item[1].center[1], item[1].center[0]))
    else:
        ordered = list(lines_with_boxes)
    return " ".join(text for text, _ in ordered if text)


def truth_text(doc: EvalDoc) -> str:
    """The truth in reading order; from the words (same ordering rule) where there are no lines."""
    if doc.lines:
        return reading_order_text([(line.text, line.box) for line in doc.lines])
    return reading_order_text([(word.text, word.box) for word in doc.words])


def predicted_text(page: Page) -> str:
    """The engine's text ordered like the truth: its Lines by line-box centre y, then x."""
    return reading_order_text([(line.text, line.box) for line in page.lines])


def edit_distance(truth: str, predicted: str) -> int:
    return Levenshtein.distance(truth, predicted)


def cer(truth: str, predicted: str) -> float:
    """Levenshtein distance / truth length. With an empty truth: 0.0 if the prediction is
    empty too, else 1.0 (anything read off a blank page is all wrong, but not unboundedly)."""
    if not truth:
        return 0.0 if not predicted else 1.0
    return edit_distance(truth, predicted) / len(truth)

