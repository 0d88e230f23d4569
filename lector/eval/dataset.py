"""Reads an evaluation dataset in the shared evaldata format (see ../shared/evaldata/README.md).

    <dataset>/images/<id>.<jpg|png>
    <dataset>/gt/<id>.json    {"id", "category", "width", "height", "lines": [...], "words": [...]}

The truth is read into plain frozen values and nothing else: the images are only located here,
not decoded, so that loading 300 documents' truth is instant and a broken image is the failure of
that one document at evaluation time rather than of the whole dataset.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lector.core.errors import InputError
from lector.core.geometry import Box

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


@dataclass(frozen=True, slots=True)
class TruthLine:
    """One labelled line; `box` is None where only the page's text (in reading order) is known."""

    text: str
    box: Box | None


@dataclass(frozen=True, slots=True)
class TruthWord:
    text: str
    box: Box | None


@dataclass(frozen=True, slots=True)
class EvalDoc:
    id: str
    category: str
    image_path: Path
    width: int
    height: int
    lines: tuple[TruthLine, ...]
    words: tuple[TruthWord, ...]


def load_dataset(directory: str | Path, limit: int | None = None) -> list[EvalDoc]:
    """Every document of a dataset, sorted by id; `limit` keeps the first N of that order.

    Sorting by id makes `limit=5` the same five documents on every machine and for every
    engine, so small runs compare.
    """
    root = Path(directory)
    if not root.is_dir():
        raise InputError("evaluation dataset folder not found", path=str(root))
    truth_dir = root / "gt"
    if not truth_dir.is_dir():
        raise InputError("not an evaluation dataset: it has no gt/ folder", path=str(root))
    truth_files = sorted(truth_dir.glob("*.json"))
    if not truth_files:
        raise InputError("the dataset's gt/ folder holds no .json files", path=str(truth_dir))
    if limit is not None:
        truth_files = truth_files[: max(0, limit)]
    return [read_truth_file(path, root / "images") for path in truth_files]


def read_truth_file(path: Path, images_dir: Path) -> EvalDoc:
    """One gt/<id>.json as an `EvalDoc`; a malformed file is an InputError naming that file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        doc_id = str(data.get("id", path.stem))
        lines = tuple(TruthLine(text=str(line["text"]), box=_box_or_none(line.get("box")))
                      for line in data.get("lines") or [])
        words = tuple(TruthWord(text=str(word["text"]), box=_box_or_none(word.get("box")))
                      for word in data.get("words") or [])
        width, height = int(data["width"]), int(data["height"])
        category = str(data.get("category", "unknown"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"malformed truth file: {exc}", path=str(path)) from exc
    return EvalDoc(id=doc_id, category=category, image_path=_find_image(images_dir, doc_id, path),
                   width=width, height=height, lines=lines, words=words)


def _box_or_none(values) -> Box | None:
    return None if values is None else Box.from_list(values)


def _find_image(images_dir: Path, doc_id: str, truth_path: Path) -> Path:
    for suffix in IMAGE_SUFFIXES:
        for candidate in (images_dir / f"{doc_id}{suffix}", images_dir / f"{doc_id}{suffix.upper()}"):
            if candidate.is_file():
                return candidate
    raise InputError(f"no image for document {doc_id!r} in {images_dir}", path=str(truth_path))


def split_of(doc_id: str) -> str:
    """'val' or 'train': every other document by numeric id is held out from fine-tuning.

    The split is by document, never by line, and the same for every dataset and tool.
    """
    digits = "".join(ch for ch in doc_id if ch.isdigit())
    held_out = (int(digits) // 2) % 2 == 1 if digits else sum(map(ord, doc_id)) % 2 == 1
    return "val" if held_out else "train"
