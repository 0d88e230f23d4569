"""Evaluation: the metrics on cases worked out by hand, and the whole loop on rendered pages.

The tiny datasets are rendered here with known words and boxes and read by the real Tesseract,
so what is checked is what a benchmark run does, not a stand-in.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.core.errors import InputError, LectorError
from lector.core.geometry import Box
from lector.engines.base import Engine
from lector.engines.tesseract import TesseractEngine
from lector.eval.dataset import EvalDoc, TruthLine, TruthWord, load_dataset
from lector.eval.metrics import (Counts, bag_of_words, cer, reading_order_text, sum_counts, truth_text,
                                 truth_tokens)
from lector.eval.runner import evaluate, format_comparison, format_table, load_rgb

EVALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "evaldata"


# --- metrics, by hand ---------------------------------------------------------------------------

def test_bag_of_words_matches_a_multiset_not_a_set():
    # A: truth 2, predicted 1 -> 1 match; B: truth 1, predicted 2 -> 1; C and D unmatched.
    counts = bag_of_words(["A", "A", "B", "C"], ["A", "B", "B", "D"], case_sensitive=True)
    assert counts == Counts(matches=2, predicted=4, truth=4)
    assert counts.precision == 0.5 and counts.recall == 0.5 and counts.f1 == 0.5


def test_bag_of_words_repeated_truth_token_matched_as_often_as_predicted():
    counts = bag_of_words(["1.00", "1.00", "1.00"], ["1.00", "1.00"], case_sensitive=True)
    assert counts == Counts(matches=2, predicted=2, truth=3)
    assert counts.precision == 1.0 and counts.recall == pytest.approx(2 / 3)


def test_case_insensitive_and_exact_differ_only_in_case():
    truth, predicted = ["TOTAL", "12.50", "Cash"], ["Total", "12.50", "CASH", "x"]
    assert bag_of_words(truth, predicted, case_sensitive=True) == Counts(1, 4, 3)
    assert bag_of_words(truth, predicted, case_sensitive=False) == Counts(3, 4, 3)


def test_empty_prediction_scores_zero_without_dividing_by_zero():
    counts = bag_of_words(["HELLO", "WORLD"], [], case_sensitive=False)
    assert counts == Counts(matches=0, predicted=0, truth=2)
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)
    assert Counts().f1 == 0.0


def test_micro_average_sums_counts_before_dividing():
    # doc 1: P 3/4, R 3/3; doc 2: P 1/1, R 1/5. Micro: P 4/5, R 4/8 (macro P would be 0.875).
    total = sum_counts([Counts(3, 4, 3), Counts(1, 1, 5)])
    assert total == Counts(4, 5, 8)
    assert total.precision == pytest.approx(0.8)
    assert total.recall == pytest.approx(0.5)
    assert total.f1 == pytest.approx(2 * 0.8 * 0.5 / 1.3)


def test_cer_is_levenshtein_over_truth_length():
    assert cer("kitten", "sitting") == pytest.approx(3 / 6)  # k->s, e->i, +g
    assert cer("TOTAL 12.50", "TOTAL 12.50") == 0.0
    assert cer("abc", "") == 1.0
    assert cer("", "") == 0.0 and cer("", "junk") == 1.0


def test_reading_order_sorts_by_centre_y_then_x():
    lines = [("second right", Box(200, 100, 300, 120)),
             ("first", Box(0, 0, 100, 20)),
             ("second left", Box(0, 100, 100, 120))]
    assert reading_order_text(lines) == "first second left second right"


def test_reading_order_keeps_file_order_where_boxes_are_null():
    assert reading_order_text([("Gates, Myers", None), ("Invoice", None)]) == "Gates, Myers Invoice"


def test_truth_tokens_from_lines_else_words():
    with_lines = EvalDoc("a", "receipt", Path("a.png"), 10, 10,
                         lines=(TruthLine("TOTAL  12.50", Box(0, 5, 9, 6)), TruthLine("CASH", Box(0, 0, 9, 1))),
                         words=(TruthWord("ignored", None),))
    assert truth_tokens(with_lines) == ["TOTAL", "12.50", "CASH"]
    assert truth_text(with_lines) == "CASH TOTAL  12.50"
    words_only = EvalDoc("b", "form", Path("b.png"), 10, 10, lines=(),
                         words=(TruthWord("800/424-", Box(0, 0, 4, 1)), TruthWord("9876", Box(5, 0, 9, 1))))
    assert truth_tokens(words_only) == ["800/424-", "9876"]


# --- a tiny dataset rendered on the spot -------------------------------------------------------

def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def render_page(lines: list[str], size=(1000, 360)) -> tuple[Image.Image, list[dict], list[dict]]:
    """A white page with large black text; returns it with the truth lines and words (ink boxes)."""
    font = _font(64)
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    truth_lines, truth_words = [], []
    for row, text in enumerate(lines):
        x, y, boxes = 60, 60 + 140 * row, []
        for word in text.split():
            box = list(draw.textbbox((x, y), word, font=font))
            draw.text((x, y), word, font=font, fill="black")
            truth_words.append({"text": word, "box": box})
            boxes.append(box)
            x = box[2] + int(font.getlength(" "))
        line_box = [boxes[0][0], min(b[1] for b in boxes), boxes[-1][2], max(b[3] for b in boxes)]
        truth_lines.append({"text": text, "box": line_box, "poly": None})
    return page, truth_lines, truth_words


def write_doc(root: Path, doc_id: str, category: str, lines: list[str], with_lines: bool = True) -> dict:
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "gt").mkdir(parents=True, exist_ok=True)
    page, truth_lines, truth_words = render_page(lines)
    page.save(root / "images" / f"{doc_id}.png")
    truth = {"id": doc_id, "category": category, "width": page.width, "height": page.height,
             "lines": truth_lines if with_lines else [], "words": truth_words}
    (root / "gt" / f"{doc_id}.json").write_text(json.dumps(truth))
    return truth


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    write_doc(root, "r001", "receipt", ["HELLO WORLD", "TOTAL 12.50"])
    write_doc(root, "f001", "form", ["INVOICE 2024", "PAID"], with_lines=False)
    return root


@pytest.fixture(scope="module")
def tesseract() -> TesseractEngine:
    return TesseractEngine()


def test_load_dataset_reads_truth_and_finds_images(tiny_dataset):
    docs = load_dataset(tiny_dataset)
    assert [d.id for d in docs] == ["f001", "r001"]  # sorted by id, so limit=N is stable
    receipt = docs[1]
    assert receipt.category == "receipt" and receipt.image_path.name == "r001.png"
    assert (receipt.width, receipt.height) == (1000, 360)
    assert [line.text for line in receipt.lines] == ["HELLO WORLD", "TOTAL 12.50"]
    assert all(isinstance(line.box, Box) for line in receipt.lines)
    assert truth_tokens(receipt) == ["HELLO", "WORLD", "TOTAL", "12.50"]
    assert truth_tokens(docs[0]) == ["INVOICE", "2024", "PAID"]  # words only
    assert [d.id for d in load_dataset(tiny_dataset, limit=1)] == ["f001"]


def test_load_dataset_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_dataset(tmp_path / "absent")
    (tmp_path / "images").mkdir()
    with pytest.raises(InputError, match="no gt/ folder"):
        load_dataset(tmp_path)
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "x.json").write_text("{not json")
    with pytest.raises(InputError, match="malformed") as raised:
        load_dataset(tmp_path)
    assert raised.value.path.endswith("x.json")
    (tmp_path / "gt" / "x.json").write_text(json.dumps({"id": "x", "width": 1, "height": 1, "lines": []}))
    with pytest.raises(InputError, match="no image"):
        load_dataset(tmp_path)


# --- the Tesseract engine, for real ----------------------------------------------------------

def test_tesseract_finds_the_words_where_they_are(tesseract, tiny_dataset):
    assert isinstance(tesseract, Engine)
    truth = json.loads((tiny_dataset / "gt" / "r001.json").read_text())
    image = np.asarray(Image.open(tiny_dataset / "images" / "r001.png").convert("RGB"))
    page = tesseract.read_page(image, index=3, dpi=150.0)
    assert (page.index, page.width, page.height, page.dpi) == (3, 1000, 360, 150.0)
    assert page.seconds > 0
    assert [line.text for line in page.lines] == ["HELLO WORLD", "TOTAL 12.50"]
    found = {word.text: word for word in page.words}
    for expected in truth["words"]:
        word = found[expected["text"]]
        assert word.box.iou(Box.from_list(expected["box"])) > 0.7, (word, expected)
        assert 0.5 < word.confidence <= 1.0


def test_tesseract_reads_a_grey_image(tesseract, tiny_dataset):
    grey = np.asarray(Image.open(tiny_dataset / "images" / "r001.png").convert("L"))
    assert "TOTAL" in tesseract.read_page(grey).text


def test_tesseract_rejects_an_image_that_is_not_uint8(tesseract):
    with pytest.raises(InputError, match="uint8"):
        tesseract.read_page(np.zeros((20, 20), dtype=np.float32))


def test_missing_tesseract_binary_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no tesseract on PATH
    with pytest.raises(LectorError, match="not installed"):
        TesseractEngine()


def test_tesseract_runs_with_its_thread_limit_and_leaves_the_environment(monkeypatch, tmp_path, tiny_dataset):
    """The tesseract process sees OMP_THREAD_LIMIT=threads (a wrapper script records it and runs
    the real program); the caller's environment is as it was afterwards."""
    import pytesseract
    seen = tmp_path / "omp.txt"
    wrapper = tmp_path / "tesseract"
    wrapper.write_text(f'#!/bin/sh\necho "${{OMP_THREAD_LIMIT:-unset}}" >> {seen}\nexec {shutil.which("tesseract")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(wrapper))
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    image = load_rgb(load_dataset(tiny_dataset)[1].image_path)
    limited, default = TesseractEngine(threads=1), TesseractEngine(threads=None)
    seen.write_text("")                    # the constructors ran it too (version, languages)
    page = limited.read_page(image)
    assert seen.read_text().split() == ["1"] and "HELLO" in page.text
    assert "OMP_THREAD_LIMIT" not in os.environ
    seen.write_text("")
    default.read_page(image)
    assert seen.read_text().split() == ["unset"]


def test_missing_language_is_a_clear_error():
    with pytest.raises(LectorError, match="no language data for xyz"):
        TesseractEngine(lang="eng+xyz")


# --- the whole evaluation loop ----------------------------------------------------------------

def test_evaluate_scores_tesseract_near_perfect_on_clean_text(tesseract, tiny_dataset):
    report = evaluate(tiny_dataset, tesseract, progress=False)
    assert report.engine == "tesseract" and report.errors == []
    assert report.overall.pages == 2
    assert report.overall.folded.truth == 7
    assert report.overall.folded.f1 >= 0.99 and report.overall.exact.f1 >= 0.99
    assert report.overall.cer <= 0.05 and report.overall.mean_doc_cer <= 0.05
    assert report.overall.median_seconds > 0
    assert [s.name for s in report.categories] == ["form", "receipt"]

    table = format_table(report)
    first_cells = [line.split()[0] for line in table.splitlines() if line.split()]
    assert first_cells.index("form") < first_cells.index("receipt") < first_cells.index("overall")
    for column in ("pages", "F1 exact", "CER", "s/page"):
        assert column in table
    data = json.loads(json.dumps(report.to_dict()))
    assert data["overall"]["pages"] == 2 and set(data["categories"]) == {"form", "receipt"}
    assert len(data["docs"]) == 2


def test_a_corrupt_image_is_an_error_and_the_rest_is_still_scored(tesseract, tmp_path):
    write_doc(tmp_path, "good", "receipt", ["HELLO WORLD", "TOTAL 12.50"])
    write_doc(tmp_path, "broken", "receipt", ["SHOULD NOT", "BE READ"])
    (tmp_path / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")

    report = evaluate(tmp_path, tesseract, progress=False)
    assert [doc.id for doc in report.errors] == ["broken"]
    assert report.overall.errors == 1 and report.overall.pages == 2
    good = next(doc for doc in report.docs if doc.id == "good")
    assert good.error is None and good.folded.f1 >= 0.99
    broken = report.errors[0]
    assert broken.folded == Counts(matches=0, predicted=0, truth=4) and broken.cer == 1.0
    # the failed page counts as an empty reading: recall halves, precision does not suffer
    assert report.overall.folded.recall == pytest.approx(0.5, abs=0.01)
    assert report.overall.folded.precision >= 0.99
    assert "broken" in json.dumps(report.to_dict()["errors"])


def test_format_comparison_puts_engines_side_by_side(tesseract, tiny_dataset):
    first = evaluate(tiny_dataset, tesseract, limit=1, progress=False, label="tesseract-psm3")
    second = evaluate(tiny_dataset, TesseractEngine(psm=6), limit=1, progress=False, label="tesseract-psm6")
    table = format_comparison([first, second])
    rows = [line for line in table.splitlines() if line.startswith(("form", "overall"))]
    assert len(rows) == 4
    assert sum("tesseract-psm3" in row for row in rows) == 2
    assert sum("tesseract-psm6" in row for row in rows) == 2


# --- the shared development data, when present ---------------------------------------------------

@pytest.mark.skipif(not (EVALDATA / "sroie_dev").is_dir(),
                    reason=f"shared evaluation data not found at {EVALDATA / 'sroie_dev'}")
def test_sroie_dev_loads_313_receipts_with_truth():
    docs = load_dataset(EVALDATA / "sroie_dev")
    assert len(docs) == 313
    assert all(doc.category == "receipt" and doc.image_path.is_file() for doc in docs)
    assert all(truth_tokens(doc) for doc in docs)


def test_bucket_tuning_prefers_the_fewest_repairs_among_near_ties():
    from lector.eval.tune import best_pair
    rows = [{"keep_above": 1.01, "drop_below": 0.3, "mean_f1": 0.7991},
            {"keep_above": 0.9, "drop_below": 0.3, "mean_f1": 0.7958},
            {"keep_above": 0.9, "drop_below": 0.35, "mean_f1": 0.7948},
            {"keep_above": 0.75, "drop_below": 0.3, "mean_f1": 0.7900}]
    assert best_pair(rows) == rows[1]
    assert best_pair(rows, tolerance=0.0) == rows[0]


def test_bucket_tuning_never_lets_one_dataset_pay_for_a_cheaper_tie():
    from lector.eval.tune import best_pair

    def row(keep, sroie, funsd):
        return {"keep_above": keep, "drop_below": 0.25, "sroie_dev": {"f1": sroie}, "funsd_dev": {"f1": funsd},
                "mean_f1": round((sroie + funsd) / 2, 4)}
    best, forms_pay, even = row(0.9, 0.9154, 0.7750), row(0.8, 0.9158, 0.7687), row(0.85, 0.9150, 0.7735)
    assert best_pair([best, forms_pay]) == best              # mean within 0.005, but funsd 0.0063 lower
    assert best_pair([best, forms_pay, even]) == even        # within 0.005 on each: the cheaper one
