"""OCR of an existing PDF: render each page, read it, and put the words back on the original page.

    PDF -> PdfSource (qpdf opens and repairs; PDFium renders) -> plan: which pages to read
        -> page image at --dpi -> engine.read_page -> Page -> text layer onto the page (pdf_overlay)
        -> Document (JSON, text, hOCR, ALTO) and the PDF with its layers

Pages that already have text are handled by `mode`, as OCRmyPDF's flags do:
- `skip` (default): left exactly as they are, not read (`--skip-text`).
- `force`: read, and their content replaced by the rendering plus our layer, so wrong text and
  vector content go (`--force-ocr`). Pages without text are layered as usual, not rasterised.
- `redo`: an earlier invisible OCR layer is stripped and replaced by ours (`--redo-ocr`); pages
  with visible (born-digital) text are left as they are, as in `skip`.
One page that cannot be done (too large to render, an engine failure) is reported and left as
it was; the other pages are still done.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable

import numpy as np

from lector.core.document import Document, Page
from lector.core.errors import InputError, LectorError
from lector.core.geometry import PdfPageFrame
from lector.export.pdf_export import save_pdf
from lector.export.pdf_overlay import add_debug_layer, add_text_layer, rasterise_page, strip_invisible_text
from lector.export.text_layer import LayerConfig, LayerFont, debug_font
from lector.io.load import DEFAULT_DPI
from lector.io.pdf_source import PageText, PdfSource

log = logging.getLogger(__name__)

# What reads a page: (RGB pixels, page index, dpi) -> Page. LectorEngine.read_page is one.
PageReader = Callable[[np.ndarray, int, float], Page]


class PdfMode(str, Enum):
    SKIP = "skip"
    FORCE = "force"
    REDO = "redo"


class Action(str, Enum):
    LAYER = "layer"            # read; layer added on top of the page as it is
    RASTERISE = "rasterise"    # read; content replaced by the rendering plus the layer
    REDO = "redo"              # earlier invisible layer stripped; read; new layer added
    SKIP = "skip"              # left as it is


@dataclass(frozen=True)
class PagePlan:
    index: int
    frame: PdfPageFrame
    text: PageText
    action: Action

    @property
    def reason(self) -> str:
        return {Action.SKIP: f"page has {self.text.value} text", Action.LAYER: "no text",
                Action.RASTERISE: f"{self.text.value} text replaced", Action.REDO: "invisible text replaced"}[self.action]


@dataclass
class PdfOcrResult:
    """The document read (one Page per planned page, skipped ones empty) and the PDF(s) written."""

    document: Document
    pdf: bytes
    debug_pdf: bytes | None = None
    problems: list[LectorError] = field(default_factory=list)


def parse_page_ranges(text: str) -> set[int]:
    """`--pages` as 0-based page indexes: "1-3,5,9-" (1-based, inclusive, open end allowed)."""
    pages: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            start = int(first) if first.strip() else 1
            end = (int(last) if last.strip() else 1_000_000) if dash else start
        except ValueError:
            raise InputError(f"--pages: {part!r} is not a page number or range like 2-5") from None
        if start < 1 or end < start:
            raise InputError(f"--pages: {part!r} is not a range of pages counted from 1")
        pages.update(range(start - 1, min(end, 1_000_000)))
    if not pages:
        raise InputError("--pages: no pages given")
    return pages


def plan_pages(source: PdfSource, mode: PdfMode, page_numbers: set[int] | None = None) -> list[PagePlan]:
    """What to do with each page in `page_numbers` (all when None), in page order."""
    indexes = range(len(source)) if page_numbers is None else sorted(i for i in page_numbers if i < len(source))
    if page_numbers is not None and not indexes:
        raise InputError(f"--pages: none of the pages asked for is in this {len(source)}-page PDF",
                         str(source.path))
    plans = []
    for index in indexes:
        info = source.page_info(index)
        if info.text is PageText.NONE:
            action = Action.LAYER
        elif mode is PdfMode.FORCE:
            action = Action.RASTERISE
        elif mode is PdfMode.REDO and info.text is PageText.INVISIBLE:
            action = Action.REDO
        else:
            action = Action.SKIP
        plans.append(PagePlan(index, info.frame, info.text, action))
    return plans


def ocr_pdf(path: str | Path, read_page: PageReader, mode: PdfMode = PdfMode.SKIP,
            page_numbers: set[int] | None = None, dpi: float = DEFAULT_DPI,
            max_pixels: int = 100_000_000, debug: bool = False,
            config: LayerConfig = LayerConfig()) -> PdfOcrResult:
    """OCR the PDF at `path`; the original stays untouched, the result comes back as bytes."""
    with PdfSource(path) as source:
        return layer_pdf(source, plan_pages(source, mode, page_numbers),
                         lambda image: read_page(image.image, image.index, image.dpi),
                         dpi=dpi, max_pixels=max_pixels, debug=debug, config=config)


def layer_pdf(source: PdfSource, plans: list[PagePlan], read: Callable, dpi: float = DEFAULT_DPI,
              max_pixels: int = 100_000_000, debug: bool = False,
              config: LayerConfig = LayerConfig()) -> PdfOcrResult:
    """Carry out `plans` on `source`: `read(page_image) -> Page` gives each read page's words."""
    name = str(source.path)
    pdf = source.pdf
    font = LayerFont(pdf)
    pages: list[Page] = []
    done: list[tuple[PagePlan, Page]] = []
    problems: list[LectorError] = []
    for plan in plans:
        if plan.action is Action.SKIP:
            pages.append(_empty_page(plan, dpi, {"skipped": plan.reason}))
            continue
        try:
            image = source.render(plan.index, dpi=dpi, max_pixels=max_pixels, frame=plan.frame)
            page = read(image)
        except LectorError as err:
            problems.append(_page_problem(err, plan, name))
            pages.append(_empty_page(plan, dpi, {"error": err.message}))
            continue
        except Exception as err:  # one page's failure never sinks the document
            what = f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
            problems.append(LectorError(f"page {plan.index + 1}: internal error: {what}; page left as it was", name))
            pages.append(_empty_page(plan, dpi, {"error": what}))
            continue
        pdf_page = pdf.pages[plan.index]
        if plan.action is Action.RASTERISE:
            rasterise_page(pdf, pdf_page, image, page, plan.frame, font, config)
        else:
            if plan.action is Action.REDO:
                removed = strip_invisible_text(pdf, pdf_page)
                log.info("%s: page %d: removed %d invisible text operators", name, plan.index + 1, removed)
            add_text_layer(pdf, pdf_page, page, plan.frame, font, config)
        page = dataclasses.replace(page, meta={**page.meta, "pdf_layer": plan.action.value})
        pages.append(page)
        done.append((plan, page))
    font.finish()
    result = PdfOcrResult(document=Document(pages=tuple(pages), source=name,
                                            engine=_engine_name(pages)),
                          pdf=save_pdf(pdf), problems=problems)
    if debug:
        helvetica = debug_font(pdf)
        for plan, page in done:
            add_debug_layer(pdf, pdf.pages[plan.index], page, plan.frame, helvetica, config)
        result.debug_pdf = save_pdf(pdf)
    return result


def _empty_page(plan: PagePlan, dpi: float, meta: dict) -> Page:
    """A page in the document that was not read: its size at `dpi`, no lines, and why."""
    width, height = plan.frame.rendered_size(dpi)
    return Page(index=plan.index, width=max(1, round(width)), height=max(1, round(height)), lines=(),
                dpi=dpi, meta=meta)


def _page_problem(err: LectorError, plan: PagePlan, name: str) -> LectorError:
    """The page's error, saying the page was left as it was; the error's type (exit code) is kept."""
    message = err.message if "page" in err.message else f"page {plan.index + 1}: {err.message}"
    problem = type(err)(f"{message}; page left as it was", name)
    return problem


def _engine_name(pages: list[Page]) -> str:
    for page in pages:
        if "engine" in page.meta:
            return str(page.meta["engine"])
    return "lector"
