"""Runs an engine over an evaluation dataset and scores it with `lector.eval.metrics`.

Any `Engine` goes in (Tesseract and Lector alike), one `EvalReport` comes out: per document,
per category and overall. One document that fails (a corrupt image, an engine crash) is
recorded with its error and scored as an empty reading (zero predicted words), and the run goes
on: a benchmark that dies on document 212 of 313 tells nothing, and one that silently skips it
would flatter the engine.
"""
from __future__ import annotations

import logging
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lector.core.document import Page
from lector.engines.base import Engine
from lector.eval.dataset import EvalDoc, load_dataset, split_of
from lector.eval.metrics import (Counts, bag_of_words, edit_distance, predicted_text, predicted_tokens,
                                 sum_counts, truth_text, truth_tokens)

log = logging.getLogger(__name__)

OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class DocResult:
    """One document's tallies; `error` is set (and the prediction taken as empty) when it failed."""

    id: str
    category: str
    seconds: float | None
    exact: Counts
    folded: Counts
    edits: int
    truth_chars: int
    edits_folded: int
    truth_chars_folded: int
    error: str | None = None

    @property
    def cer(self) -> float:
        return _ratio(self.edits, self.truth_chars)


@dataclass(frozen=True, slots=True)
class Scores:
    """The scores of a group of documents (a category, or all of them).

    `folded` is case-insensitive, `exact` exact-case; both micro-averaged over documents.
    `cer` is micro (total edits / total truth characters), `mean_doc_cer` the mean of the
    documents' own CERs, which weighs a short receipt as much as a long one.
    """

    name: str
    pages: int
    errors: int
    exact: Counts
    folded: Counts
    cer: float
    cer_folded: float
    mean_doc_cer: float
    median_seconds: float | None

    def to_dict(self) -> dict:
        return {"name": self.name, "pages": self.pages, "errors": self.errors,
                "precision": self.folded.precision, "recall": self.folded.recall, "f1": self.folded.f1,
                "precision_exact": self.exact.precision, "recall_exact": self.exact.recall,
                "f1_exact": self.exact.f1, "cer": self.cer, "cer_case_insensitive": self.cer_folded,
                "mean_doc_cer": self.mean_doc_cer, "median_seconds_per_page": self.median_seconds,
                "counts": asdict(self.folded), "counts_exact": asdict(self.exact)}


@dataclass(frozen=True, slots=True)
class EvalReport:
    engine: str
    dataset: str
    docs: tuple[DocResult, ...]
    categories: tuple[Scores, ...]
    overall: Scores

    @property
    def errors(self) -> list[DocResult]:
        return [doc for doc in self.docs if doc.error is not None]

    def to_dict(self) -> dict:
        """JSON-ready: the summary first, then every document, so a regression can be traced."""
        return {"engine": self.engine, "dataset": self.dataset,
                "overall": self.overall.to_dict(),
                "categories": {scores.name: scores.to_dict() for scores in self.categories},
                "errors": [{"id": doc.id, "error": doc.error} for doc in self.errors],
                "docs": [{"id": doc.id, "category": doc.category, "seconds": doc.seconds, "error": doc.error,
                          "cer": doc.cer, "matches": doc.folded.matches, "matches_exact": doc.exact.matches,
                          "predicted": doc.folded.predicted, "truth": doc.folded.truth,
                          "edits": doc.edits, "truth_chars": doc.truth_chars}
                         for doc in self.docs]}


def evaluate(dataset_dir: str | Path, engine: Engine, limit: int | None = None, progress: bool = True,
             label: str | None = None, only: str | None = None) -> EvalReport:
    """Read every document of the dataset with `engine` and score it.

    `label` names the engine in the report (default `engine.name`), for comparing two
    configurations of one engine. Seconds are the wall time of `read_page` alone, not of
    decoding the image, so engines are timed on the same work.
    """
    from tqdm import tqdm

    docs = load_dataset(dataset_dir, limit=limit)
    if only:
        docs = [d for d in docs if split_of(d.id) == only]
    results: list[DocResult] = []
    bar = tqdm(docs, desc=f"{label or engine.name} on {Path(dataset_dir).name}", unit="page",
               file=sys.stderr, disable=not progress)
    for doc in bar:
        try:
            image = load_rgb(doc.image_path)
            started = time.perf_counter()
            page = engine.read_page(image, index=0)
            results.append(score_document(doc, page, seconds=time.perf_counter() - started))
        except Exception as exc:  # one bad document must not end the benchmark
            message = f"{type(exc).__name__}: {exc}"
            log.warning("document %s failed: %s", doc.id, message)
            results.append(score_document(doc, None, seconds=None, error=message))
            bar.set_postfix(errors=sum(r.error is not None for r in results))
    return build_report(label or engine.name, str(dataset_dir), results)


def load_rgb(path: Path) -> np.ndarray:
    """A dataset image as HxWx3 uint8 RGB, in the pixels its truth boxes refer to (no EXIF turn)."""
    from PIL import Image

    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"), dtype=np.uint8)


def score_document(doc: EvalDoc, page: Page | None, seconds: float | None, error: str | None = None) -> DocResult:
    """Tallies for one document; `page=None` (a failed read) scores as an empty reading."""
    truth = truth_tokens(doc)
    predicted = predicted_tokens(page) if page is not None else []
    reference = truth_text(doc)
    hypothesis = predicted_text(page) if page is not None else ""
    return DocResult(id=doc.id, category=doc.category, seconds=seconds,
                     exact=bag_of_words(truth, predicted, case_sensitive=True),
                     folded=bag_of_words(truth, predicted, case_sensitive=False),
                     edits=edit_distance(reference, hypothesis), truth_chars=len(reference),
                     edits_folded=edit_distance(reference.casefold(), hypothesis.casefold()),
                     truth_chars_folded=len(reference.casefold()), error=error)


def build_report(engine: str, dataset: str, results: list[DocResult]) -> EvalReport:
    names = sorted({result.category for result in results})
    categories = tuple(summarize(name, [r for r in results if r.category == name]) for name in names)
    return EvalReport(engine=engine, dataset=dataset, docs=tuple(results), categories=categories,
                      overall=summarize(OVERALL, results))


def summarize(name: str, results: list[DocResult]) -> Scores:
    """Micro-averaged scores of a group; the median time counts only pages that were read."""
    times = [r.seconds for r in results if r.seconds is not None and r.error is None]
    return Scores(name=name, pages=len(results), errors=sum(r.error is not None for r in results),
                  exact=sum_counts(r.exact for r in results), folded=sum_counts(r.folded for r in results),
                  cer=_ratio(sum(r.edits for r in results), sum(r.truth_chars for r in results)),
                  cer_folded=_ratio(sum(r.edits_folded for r in results),
                                    sum(r.truth_chars_folded for r in results)),
                  mean_doc_cer=statistics.fmean(r.cer for r in results) if results else 0.0,
                  median_seconds=statistics.median(times) if times else None)


def _ratio(edits: int, truth_chars: int) -> float:
    """Edits per truth character, with the same empty-truth rule as `metrics.cer`."""
    if truth_chars == 0:
        return 0.0 if edits == 0 else 1.0
    return edits / truth_chars


# --- tables for people --------------------------------------------------------------------------

_COLUMNS = ("pages", "P", "R", "F1", "F1 exact", "CER", "CER ci", "s/page", "errors")
_LEGEND = ("P, R, F1: bag of words, case-insensitive, micro-averaged over documents; F1 exact: same, "
           "exact case.\nCER: reading-order character error rate, exact case (CER ci: case-insensitive), "
           "total edits / total truth characters; s/page: median.")


def _cells(scores: Scores) -> list[str]:
    seconds = "-" if scores.median_seconds is None else f"{scores.median_seconds:.2f}"
    return [str(scores.pages), f"{scores.folded.precision:.3f}", f"{scores.folded.recall:.3f}",
            f"{scores.folded.f1:.3f}", f"{scores.exact.f1:.3f}", f"{scores.cer:.3f}", f"{scores.cer_folded:.3f}",
            seconds, str(scores.errors)]


def format_table(report: EvalReport) -> str:
    """One row per category, then "overall"."""
    rows = [[scores.name, *_cells(scores)] for scores in (*report.categories, report.overall)]
    title = f"{report.engine} on {Path(report.dataset).name}"
    return f"{title}\n{_render(['category', *_COLUMNS], rows, text_columns=1)}\n{_LEGEND}"


def format_comparison(reports: list[EvalReport]) -> str:
    """Several engines' reports in one table: for each category, one row per engine."""
    names = sorted({scores.name for report in reports for scores in report.categories}) + [OVERALL]
    rows: list[list[str]] = []
    for name in names:
        for report in reports:
            scores = report.overall if name == OVERALL else next(
                (s for s in report.categories if s.name == name), None)
            if scores is not None:
                rows.append([name, report.engine, *_cells(scores)])
    datasets = sorted({Path(report.dataset).name for report in reports})
    return (f"{' vs '.join(r.engine for r in reports)} on {', '.join(datasets)}\n"
            f"{_render(['category', 'engine', *_COLUMNS], rows, text_columns=2)}\n{_LEGEND}")


def _render(header: list[str], rows: list[list[str]], text_columns: int) -> str:
    """Plain aligned columns: text left-aligned, numbers right-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) if i < text_columns else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
