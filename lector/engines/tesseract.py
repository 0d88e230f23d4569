"""Tesseract behind Lector's `Engine` interface, so it is scored exactly as Lector's own engine is.

Tesseract is the baseline every Lector number is compared with, so this adapter does as little
as it can: it hands the image over unchanged, keeps Tesseract's own reading order and line
grouping (block, paragraph, line numbers), and only translates the result into the document
model. Anything cleverer here would make the baseline a different engine.
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import numpy as np

from lector.core.document import Line, Page, Word
from lector.core.errors import InputError, LectorError
from lector.core.geometry import Box


class TesseractEngine:
    """Reads a page with the `tesseract` program through pytesseract's `image_to_data`.

    `psm` is Tesseract's page segmentation mode (3: automatic layout, 6: one uniform block,
    11: sparse text); `oem` its engine mode (3: whatever the installed model offers, which for
    Debian's tessdata is the LSTM). `threads` caps Tesseract's OpenMP threads (OMP_THREAD_LIMIT
    for its process; None: its default of up to four). One by default: its threads spin while
    they wait, so beside any other busy process on two cores a receipt took 1.8 s instead of
    0.4 s, and batch work is better spread over pages. The binary and the languages are checked
    here, once, so a batch fails on its first line with a message that says what to install,
    not on every page.
    """

    name: str = "tesseract"

    def __init__(self, lang: str = "eng", psm: int = 3, oem: int = 3, timeout_s: float = 0.0,
                 threads: int | None = 1) -> None:
        try:
            import pytesseract
        except ImportError as exc:  # pytesseract is an optional (test/eval) dependency
            raise LectorError("the Tesseract engine needs pytesseract: pip install pytesseract") from exc
        self._pytesseract = pytesseract
        command = pytesseract.pytesseract.tesseract_cmd
        if shutil.which(command) is None:
            raise LectorError(f"the tesseract program ({command!r}) is not installed or not on PATH; "
                              "install it (Debian: apt-get install tesseract-ocr tesseract-ocr-eng)")
        try:
            self.version = str(pytesseract.get_tesseract_version())
            installed = set(pytesseract.get_languages(config=""))
        except pytesseract.TesseractNotFoundError as exc:
            raise LectorError(f"the tesseract program ({command!r}) could not be run") from exc
        missing = [code for code in lang.split("+") if code not in installed]
        if missing:
            raise LectorError(f"Tesseract has no language data for {', '.join(missing)}; "
                              f"installed: {', '.join(sorted(installed)) or 'none'}")
        self.lang = lang
        self.psm = psm
        self.oem = oem
        self.timeout_s = timeout_s
        self.threads = threads

    def __repr__(self) -> str:
        return f"TesseractEngine(lang={self.lang!r}, psm={self.psm}, oem={self.oem})"

    def read_page(self, image: np.ndarray, index: int = 0, dpi: float = 300.0) -> Page:
        """One page image in, one `Page` out; `seconds` is the wall time of the Tesseract call.

        `dpi` is recorded on the page but not passed to Tesseract: callers often only have a
        default to give, and Tesseract's own estimate from the text's x-height is better than a
        wrong figure (a 100 dpi scan declared as 300 dpi makes it drop small text).
        """
        picture = _to_pil(image)
        config = f"--psm {self.psm} --oem {self.oem}"
        started = time.perf_counter()
        try:
            with _omp_thread_limit(self.threads):     # the tesseract process inherits the environment
                data = self._pytesseract.image_to_data(picture, lang=self.lang, config=config,
                                                       output_type=self._pytesseract.Output.DICT,
                                                       timeout=self.timeout_s)
        except self._pytesseract.TesseractNotFoundError as exc:
            raise LectorError("the tesseract program disappeared while reading") from exc
        except self._pytesseract.TesseractError as exc:
            raise LectorError(f"Tesseract failed on page {index}: {exc}") from exc
        seconds = time.perf_counter() - started
        height, width = image.shape[:2]
        return Page(index=index, width=int(width), height=int(height), lines=lines_from_tesseract_data(data),
                    dpi=float(dpi), seconds=seconds,
                    meta={"engine": self.name, "tesseract_version": self.version,
                          "lang": self.lang, "psm": self.psm, "oem": self.oem, "threads": self.threads})


@contextmanager
def _omp_thread_limit(threads: int | None):
    """OMP_THREAD_LIMIT set to `threads` for the duration (unchanged for None), then restored."""
    if threads is None:
        yield
        return
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = before


def lines_from_tesseract_data(data: Mapping[str, Sequence]) -> tuple[Line, ...]:
    """Group `image_to_data` rows into Lines by Tesseract's (block, paragraph, line) numbers.

    Lines keep the order Tesseract emitted them in, which is its reading order. Rows without a
    word (level < 5), with confidence -1 (layout rows) or with blank text are dropped: Tesseract
    reports blank "words" for specks it could not read, and they are not text.
    """
    grouped: dict[tuple[int, int, int, int], list[Word]] = {}
    for i, text in enumerate(data["text"]):
        if int(data["level"][i]) != 5:
            continue
        confidence = float(data["conf"][i])
        text = str(text).strip()
        if confidence < 0 or not text:
            continue
        left, top = float(data["left"][i]), float(data["top"][i])
        box = Box(left, top, left + float(data["width"][i]), top + float(data["height"][i]))
        key = (int(data["page_num"][i]), int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        grouped.setdefault(key, []).append(Word(text=text, box=box, confidence=min(1.0, confidence / 100.0)))
    return tuple(Line.from_words(words) for words in grouped.values())


def _to_pil(image: np.ndarray):
    """The engine contract's uint8 grey or RGB array as a Pillow image (what pytesseract sends)."""
    from PIL import Image

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InputError(f"expected a uint8 NumPy image, got {getattr(image, 'dtype', type(image))}")
    if image.ndim == 2:
        return Image.fromarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        return Image.fromarray(np.ascontiguousarray(image))
    raise InputError(f"expected an HxW or HxWx3 image, got shape {image.shape}")
