"""Labelled crops cut from a real dataset in the evaldata format, split by document.

Line boxes with text (or, with `level="words"`, word boxes: single-word accuracy as the
reference system measured it; or, with `level="split-words"`, each truth line cut into its
words at its widest ink gaps, for datasets such as SROIE that label lines only) become crops
padded the way the detector pads its segments, normalised to the recognizer's input and
written in the synthetic shard format, so training and `lector eval-words` read both alike.
The split is by document, never by line: a document's crops are all train or all validation.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from lector.core.geometry import Box
from lector.detect.crops import PAD_LEFT, PAD_RIGHT, cut, dark_on_light, padded_box
from lector.eval.dataset import EvalDoc, load_dataset, split_of
from lector.recognize.charset import DEFAULT_CHARSET, normalise_text
from lector.recognize.preprocess import normalise_crop
from lector.synth.shards import write_shard


def split_documents(docs: list[EvalDoc]) -> tuple[list[EvalDoc], list[EvalDoc]]:
    return [d for d in docs if split_of(d.id) == "train"], [d for d in docs if split_of(d.id) == "val"]


LEVELS = ("lines", "words", "split-words")


def truth_crops(doc: EvalDoc, level: str = "lines", charset: str = DEFAULT_CHARSET) -> list[tuple[np.ndarray, str]]:
    """(crop, label) for each truth line (`level="lines"`) or word (`"words"`) with a box and
    text; `"split-words"`: each word of each truth line, boxed by `split_words`."""
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
    grey = cv2.imread(str(doc.image_path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return []
    pairs = (split_words(grey, doc, charset) if level == "split-words"
             else _truth_boxes(doc.lines if level == "lines" else doc.words, charset))
    # a word's neighbour on its line may stand a third of a text height away: words take a
    # quarter on the right, as on the left (with half, v11 read SROIE words 0.933 -> 0.906)
    right = PAD_RIGHT if level == "lines" else PAD_LEFT
    return [(crop, text) for box, text in pairs
            for crop in [dark_on_light(cut(grey, padded_box(box, grey.shape[1], grey.shape[0], right)))] if crop.size]


def _truth_boxes(items, charset: str) -> list[tuple[Box, str]]:
    """(box, normalised text) of the truth lines or words that have both, and a box big enough to read."""
    out = []
    for item in items:
        text = normalise_text(" ".join(item.text.split()), charset)
        if item.box is not None and text and item.box.height >= 6 and item.box.width >= 4:
            out.append((item.box, text))
    return out


def split_words(grey: np.ndarray, doc: EvalDoc, charset: str = DEFAULT_CHARSET,
                min_contrast: float = 1.5) -> list[tuple[Box, str]]:
    """(word box, word) for the words of each truth line, for datasets that label lines only.

    A line of n words is cut at the n - 1 widest gaps between its ink columns, kept only where
    those gaps stand out (each at least `min_contrast` times the widest gap left inside a word
    and wider than a fifth of the line's height): print is spaced by the font, so a clear cut
    puts every letter in its word, and an unclear line (or one whose words come out implausibly
    wide or narrow for their letters) is left out rather than guessed. Truth boxes can end
    inside a line's first or last glyph; ink touching the box's ends is followed out. Only the
    pixels and the truth text decide, no net: the crops favour no model.
    """
    width = grey.shape[1]
    out = []
    for box, text in _truth_boxes(doc.lines, charset):
        reach = 0.6 * box.height
        wide = Box(max(0.0, box.x0 - reach), box.y0, min(float(width), box.x1 + reach), box.y1)
        crop = dark_on_light(cut(grey, wide))
        if crop.size == 0:
            continue
        x0 = int(wide.x0)
        words = text.split()
        spans = ink_spans(crop, len(words), (box.x0 - x0, box.x1 - x0), min_contrast)
        if spans is None or not _widths_fit(spans, words):
            continue
        out += [(Box(float(x0 + lo), box.y0, float(x0 + hi), box.y1), word)
                for (lo, hi), word in zip(spans, words)]
    return out


def _widths_fit(spans: list[tuple[int, int]], words: list[str], spread: float = 3.0) -> bool:
    """Each word's ink is about as wide per letter as the others' (within `spread` times the
    median): clear gaps in the wrong places (a handwritten line, a truth line that is not the
    print's) give a word of a few pixels beside one of many letters' width. Words of
    punctuation alone (":", "-") are narrow by nature and are not held to it."""
    per_letter = np.array([(hi - lo) / len(w) for (lo, hi), w in zip(spans, words) if any(c.isalnum() for c in w)])
    if len(per_letter) < 2:
        return True
    middle = float(np.median(per_letter))
    return bool(np.all(per_letter <= spread * middle) and np.all(per_letter >= middle / spread))


def ink_spans(crop: np.ndarray, count: int, inside: tuple[float, float] | None = None,
              min_contrast: float = 1.5) -> list[tuple[int, int]] | None:
    """`count` column ranges [lo, hi) of ink in a dark-on-light line crop, cut at its widest
    gaps; None where there is no ink or the cut is not clear. With `inside` (lo, hi), the ink
    runs within those columns, and those outside that touch them (gap under a fifth of the
    crop's height), are the line's."""
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    columns = np.flatnonzero(ink.sum(axis=0) > 0)
    if len(columns) == 0:
        return None
    breaks = np.flatnonzero(np.diff(columns) > 1)
    runs = np.stack([np.r_[columns[0], columns[breaks + 1]], np.r_[columns[breaks] + 1, columns[-1] + 1]], axis=1)
    touch = crop.shape[0] / 5
    if inside is not None:
        within = np.flatnonzero((runs[:, 1] > inside[0]) & (runs[:, 0] < inside[1]))
        if len(within) == 0:
            return None
        first, last = int(within[0]), int(within[-1])
        while first > 0 and runs[first, 0] - runs[first - 1, 1] < touch:
            first -= 1
        while last + 1 < len(runs) and runs[last + 1, 0] - runs[last, 1] < touch:
            last += 1
        runs = runs[first: last + 1]
    gaps = runs[1:, 0] - runs[:-1, 1]
    if len(gaps) < count - 1:
        return None
    order = np.argsort(-gaps, kind="stable")
    cut_after, rest = np.sort(order[: count - 1]), gaps[order[count - 1:]]
    if count > 1:
        narrowest_cut = gaps[cut_after].min()
        if narrowest_cut < touch or (len(rest) and narrowest_cut < min_contrast * rest.max()):
            return None
    starts = [int(runs[0, 0])] + [int(runs[k + 1, 0]) for k in cut_after]
    ends = [int(runs[k, 1]) for k in cut_after] + [int(runs[-1, 1])]
    return list(zip(starts, ends))


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
    """The truth word in the case the model read it, where the two agree on their letters.

    SROIE-style truth is upper-cased even where the receipt prints lower case; teaching the net
    that lower-case glyphs are capitals would spoil it on every other document. Only clean
    case patterns (lower, Title, UPPER) are taken over, letter by letter, so a reading that
    missed a mark still gives its case ("RECEIPT." read "Receipt" -> "Receipt."): those are
    the crops the net most needs to learn from. Anything else keeps the truth.
    """
    if not _agrees(truth, read):
        return truth
    cases = iter(c for c in read if c.isalpha())
    return "".join(next(cases) if c.isalpha() else c for c in truth)


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def _agrees(truth: str, read: str) -> bool:
    """The model read the truth word's letters (marks and digits aside), in a clean case
    pattern (lower, Title, UPPER)."""
    letters = _letters(truth)
    return (bool(letters) and letters.casefold() == _letters(read).casefold()
            and (read.islower() or read.istitle() or read.isupper()))


def case_is_known(truth: str, read: str) -> bool:
    """Whether `recase_word(truth, read)` can be trusted as the printed case.

    It can where the word has no cased letters, where the model's reading agrees with the truth
    (its case is then taken over), or where the truth is upper-cased and the model read mostly
    capitals (a misread letter does not make upper-case print lower-case). A word the model
    misread in lower case may be printed in lower case: its upper-cased truth would teach
    capitals for lower-case glyphs, so such a crop is better left out.
    """
    if truth.upper() == truth.lower() or _agrees(truth, read):
        return True
    uppers, lowers = sum(c.isupper() for c in read), sum(c.islower() for c in read)
    return truth.isupper() and uppers > lowers


def recase_labels(labels: list[str], read_texts: list[str],
                  skip_unsure: bool = False) -> tuple[list[str | None], int]:
    """Labels with the case of the model's reading word by word; also how many words changed.

    With `skip_unsure`, a label any of whose words' case is not known (`case_is_known`), or
    whose reading has a different number of words, becomes None: leave that crop out.
    """
    out, changed = [], 0
    for truth, read in zip(labels, read_texts):
        t_words, r_words = truth.split(" "), read.split(" ")
        if len(t_words) != len(r_words):
            out.append(None if skip_unsure else truth)
            continue
        if skip_unsure and not all(case_is_known(t, r) for t, r in zip(t_words, r_words)):
            out.append(None)
            continue
        words = [recase_word(t, r) for t, r in zip(t_words, r_words)]
        changed += sum(a != b for a, b in zip(words, t_words))
        out.append(" ".join(words))
    return out, changed
