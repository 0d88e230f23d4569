"""Lector's own engine: a composition of the stages, image -> Page, and `read()` for documents.

    page image -> rectify (photo flattening, deskew, light; orientation: quarter turns before
               detection) -> grey -> detect (lines of segments) -> crop (wide ones in overlapping pieces)
               -> recognize (text + CTC spans) -> re-assemble pieces -> confidence buckets
               (keep / lexicon repair / drop) -> Wordinator (word boxes) -> page noise gate -> Page
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from lector.core.document import Document, Line, Page, Word
from lector.detect.crops import (CHOP_WIDTH, chop_box, cut, dark_on_light, needs_straightening, padded_box,
                                 split_by_polarity, straighten)
from lector.detect.mser import DetectorConfig, Segment, detect_lines
from lector.io.load import PageImage, image_from_array, iter_pages
from lector.photo.orientation import OrientationClassifier, OrientationConfig
from lector.photo.rectify import RectifyConfig, page_to_original, rectify
from lector.postprocess.assemble import assemble_readings
from lector.postprocess.lexicon import DEFAULT_LEXICON, Lexicon
from lector.postprocess.page_gate import gate_page
from lector.postprocess.repair import Repairer, RepairConfig
from lector.postprocess.wordinator import word_confidences, words_from_reading
from lector.recognize.recognizer import Recognizer, RecognizerConfig


@dataclass(frozen=True)
class PipelineConfig:
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    recognizer: RecognizerConfig = field(default_factory=RecognizerConfig)
    drop_below: float | None = None   # words less confident are noise; None: the model card's value
    keep_above: float | None = None   # words at least this confident are kept as read; None: the card's
    repair: bool = True               # lexicon repair of the words between the two thresholds
    lexicon_path: Path = DEFAULT_LEXICON
    page_min_word_chars: int = 3      # a page without a word this long (letters/digits) is read as empty; 0: off
    chop_width: int = CHOP_WIDTH      # crops wider than this (px at the net's input height) are read in pieces
    straighten: bool = True           # resample the crop of a sloped row level before reading (detect.crops)
    drop_lone_marks: bool = True      # a crop read as one letter or mark alone is kept only above keep_above
    split_polarity: bool = True       # a segment with light and dark words is read as runs of one polarity
    rectify: RectifyConfig | None = field(default_factory=RectifyConfig)   # None: read the image as it is
    orientation: OrientationConfig | None = field(default_factory=OrientationConfig)  # None: never turn pages


# with rectification off, orientation alone: no page finding, no deskew, no light
ORIENTATION_ONLY = RectifyConfig(find_page=False, deskew=False, light="off")


def _lone_mark(text: str) -> bool:
    """One letter or mark read alone in its crop: on photos of crumpled paper mostly a crease or
    a speck ("*", "/", "i"), which the net reads with middle confidence. Kept only in the keep
    bucket; a lone digit (a quantity in its column) is a word like any other. Model v11, same
    run, held-out: photos 0.8458 -> 0.8486 (marks) -> 0.8506 (and letters), receipts 0.9067 ->
    0.9083 -> 0.9092, forms 0.7736 -> 0.7766 -> 0.7786; digits as well: 0.8500 / 0.9083 / 0.7786."""
    text = text.strip()
    return len(text) == 1 and not text.isdigit()


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)


class LectorEngine:
    """Loads the word net once; `read_page` is safe to call for many pages."""

    name = "lector"

    def __init__(self, config: PipelineConfig = PipelineConfig()):
        self.config = config
        self.recognizer = Recognizer(config.recognizer)
        thresholds = self.recognizer.card.get("thresholds", {})
        self.drop_below = thresholds.get("drop_below", 0.35) if config.drop_below is None else config.drop_below
        self.keep_above = thresholds.get("keep_above", 0.9) if config.keep_above is None else config.keep_above
        self.repairer = (Repairer(Lexicon.load(config.lexicon_path), self.recognizer.charset,
                                  RepairConfig(keep_above=self.keep_above)) if config.repair else None)
        self.orientation = None if config.orientation is None else OrientationClassifier(config.orientation)

    def read_page(self, image: np.ndarray, index: int = 0, dpi: float = 300.0) -> Page:
        """Read one page image; boxes refer to `image` even when a photo was flattened first."""
        started = time.perf_counter()
        if self.config.rectify is None and self.orientation is None:
            return self._read_upright(image, index, dpi, started)
        # scans come back unchanged (identity) unless the orientation step turns them
        rectified = rectify(image, self.config.rectify or ORIENTATION_ONLY, orientation=self.orientation)
        page = self._read_upright(rectified.image, index, dpi, started)
        return replace(page_to_original(page, rectified), seconds=time.perf_counter() - started)

    def _read_upright(self, image: np.ndarray, index: int, dpi: float, started: float) -> Page:
        grey = to_grey(image)
        height, width = grey.shape
        text_lines = detect_lines(grey, self.config.detector)
        # one crop per segment; one too wide for the recognizer is read in overlapping pieces
        pieces: list[np.ndarray] = []
        segments = []          # (line number, crop box, crop, chops, index of its first piece)
        for line_no, text_line in enumerate(text_lines):
            for segment in (run for whole in text_line.segments for run in self._polarity_runs(grey, whole)):
                box = padded_box(segment.box, width, height)
                crop = dark_on_light(cut(grey, box))
                if crop.size == 0:
                    continue
                chops = chop_box(box, self.config.chop_width, self.recognizer.input_height)
                segments.append((line_no, box, crop, chops, len(pieces)))
                if len(chops) == 1:
                    # the Wordinator boxes words on `crop`; only the net sees the levelled band
                    level = self.config.straighten and needs_straightening(box, segment.slope)
                    pieces.append(straighten(crop, segment.slope) if level else crop)
                else:
                    pieces.extend(dark_on_light(cut(grey, chop.box)) for chop in chops)
        readings = self.recognizer.read(pieces)
        words_by_line: dict[int, list[Word]] = {}
        calibrate = self.recognizer.calibration
        for owner, box, crop, chops, first in segments:
            own = readings[first: first + len(chops)]
            reading = own[0] if len(chops) == 1 else assemble_readings(
                own, chops, [pieces[first + k].shape[1] for k in range(len(chops))], crop.shape[1])
            # confidence buckets: below drop_below noise; up to keep_above repaired; the rest kept as read
            if self.config.drop_lone_marks and _lone_mark(reading.text) and reading.confidence < self.keep_above:
                continue
            confidences = word_confidences(reading, calibrate)
            if self.repairer is not None:
                reading, confidences = self.repairer.repair(reading, confidences)
            for word, bucket_confidence in zip(words_from_reading(reading, crop, box, calibrate), confidences):
                word = replace(word, confidence=max(word.confidence, bucket_confidence))
                if word.confidence >= self.drop_below:
                    words_by_line.setdefault(owner, []).append(word)
        lines = gate_page(tuple(Line.from_words(words_by_line[k]) for k in sorted(words_by_line)),
                          self.config.page_min_word_chars)
        return Page(index=index, width=width, height=height, lines=lines, dpi=dpi,
                    seconds=time.perf_counter() - started,
                    meta={"engine": self.name, "model": str(self.config.recognizer.model_path.name)})

    def _polarity_runs(self, grey: np.ndarray, segment: Segment) -> tuple[Segment, ...]:
        return split_by_polarity(grey, segment) if self.config.split_polarity else (segment,)

    def read_document(self, pages: list[PageImage] | object, source: str = "") -> Document:
        return Document(pages=tuple(self.read_page(p.image, p.index, p.dpi) for p in pages),
                        source=source, engine=self.name)


def read(source: str | Path | np.ndarray, engine: LectorEngine | None = None) -> Document:
    """OCR an image or PDF file, or an image array, into a Document."""
    engine = engine or LectorEngine()
    if isinstance(source, np.ndarray):
        return engine.read_document([image_from_array(source)], source="<array>")
    return engine.read_document(iter_pages(source), source=str(source))
