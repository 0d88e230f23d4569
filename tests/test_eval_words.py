"""`lector eval-words` on crops rendered with known words, read by the shipped word net."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.cli import main
from lector.core.errors import InputError
from lector.eval.dataset import load_dataset, split_of
from lector.eval.misses import ROW_HEIGHT, SHEET_WIDTH, missed, sample_misses
from lector.eval.words import evaluate_words
from lector.recognize.preprocess import normalise_crop
from lector.recognize.recognizer import Recognizer, RecognizerConfig
from lector.synth.shards import load_shards, write_shard
from lector.train.real_crops import ink_spans

from conftest import EVALDATA

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORDS = ["TOTAL", "12.50", "Receipt", "CASH", "Change", "RM", "45.90", "Invoice", "Date", "QTY", "Price", "Thank",
         "you", "GST", "6.00", "Subtotal", "Amount", "Tax", "Card", "VISA", "Item", "Coffee", "Bread", "Milk",
         "Rounding", "0.05", "Discount", "Member", "Table", "Cashier"]


def _render(word: str) -> np.ndarray:
    """Dark print on white with a little margin, as the detector cuts a word."""
    font = ImageFont.truetype(SANS, 28)
    left, top, right, bottom = font.getbbox(word)
    image = Image.new("L", (right - left + 16, bottom - top + 12), 255)
    ImageDraw.Draw(image).text((8 - left, 6 - top), word, font=font, fill=20)
    return (normalise_crop(np.asarray(image)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    return [_render(w) for w in WORDS]


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(RecognizerConfig(threads=1))


def _crop_set(directory: Path, crops: list[np.ndarray], labels: list[str]) -> Path:
    write_shard(directory / "shard-00000.npz", crops, labels)
    return directory


def test_clear_words_are_read_and_the_curves_hold(tmp_path, crops, recognizer):
    blank = np.full((32, 64), 255, np.uint8)
    words = _crop_set(tmp_path / "words", crops + [blank, blank], WORDS + ["", ""])
    report = evaluate_words(words, recognizer, progress=False)
    assert (report.n, report.negatives) == (32, 2)
    assert report.swa >= 0.85 and report.swa_ci >= 0.9 and report.cer_ci <= 0.05     # 31/32 and 32/32 seen
    assert sum(b.count for b in report.bins) == report.n
    recalls = [p.recall for p in report.curve]
    assert all(a >= b for a, b in zip(recalls, recalls[1:])) and recalls[-1] <= recalls[0] <= 1
    kept = [p.kept for p in report.curve]
    assert kept[0] == 30 and all(a >= b for a, b in zip(kept, kept[1:]))        # blanks read as blank emit nothing
    assert all(0 <= p.precision <= 1 for p in report.curve if p.precision is not None)
    assert 0 <= report.ece <= 1 and report.max_gap is None                      # no bin holds 30 crops


def test_wrong_labels_score_zero(tmp_path, crops, recognizer):
    shifted = WORDS[1:] + WORDS[:1]
    report = evaluate_words(_crop_set(tmp_path / "wrong", crops, shifted), recognizer, progress=False)
    assert report.swa == report.swa_ci == 0 and report.cer > 0.5
    assert all(p.recall == 0 and p.precision in (0, None) for p in report.curve)
    assert all(b.accuracy in (0, None) for b in report.bins)


def test_cli_writes_table_plot_and_json(tmp_path, crops, capsys):
    words = _crop_set(tmp_path / "words", crops, WORDS)
    out = tmp_path / "out"
    assert main(["eval-words", str(words), "--limit", "12", "--threads", "1", "--plot", str(out / "words.png"),
                 "--json", str(out / "words.json")]) == 0
    assert "words" in capsys.readouterr().out
    assert json.loads((out / "words.json").read_text())[0]["n"] == 12
    assert cv2.imread(str(out / "words.png")) is not None


def test_misses_are_written_for_judging_by_eye(tmp_path, crops, capsys):
    """`--misses`: every misread crop in the TSV with an empty verdict, a seeded sample of them
    numbered and drawn on contact sheets; a crop read right is in neither."""
    labels = list(WORDS)
    labels[3], labels[7] = "CASK", "Invoices"              # two truths the pixels do not hold
    words = _crop_set(tmp_path / "words", crops, labels)
    out = tmp_path / "misses"
    assert main(["eval-words", str(words), "--threads", "1", "--misses", str(out), "--misses-sample", "1"]) == 0
    rows = list(csv.DictReader((out / "words.tsv").open(), delimiter="\t"))
    by_crop = {int(r["crop"]): r for r in rows}
    assert {3, 7} <= set(by_crop) and len(rows) <= 4            # the shipped net reads these clear words
    assert (by_crop[3]["truth"], by_crop[3]["reading"]) == ("CASK", "CASH")
    assert all(r["verdict"] == "" and 0 <= float(r["confidence"]) <= 1 for r in rows)
    assert sorted(r["sample"] for r in rows if r["sample"]) == ["0"]
    sheet = cv2.imread(str(out / "words-sheet-00.png"), cv2.IMREAD_GRAYSCALE)
    assert sheet.shape == (ROW_HEIGHT + 6, SHEET_WIDTH) and sheet.min() < 100   # one row, with ink drawn
    assert not (out / "words-sheet-01.png").exists()


def test_the_sample_of_misses_is_fixed_by_its_seed():
    misses = list(range(0, 1000, 3))
    first = sample_misses(misses, 50)
    assert first == sample_misses(misses, 50) == sorted(first) and set(first) <= set(misses)
    assert sample_misses(misses, 50, seed=12) != first
    assert sample_misses(misses[:10], 50) == misses[:10]
    assert missed(["Total", "CASH"], ["TOTAL", "CASH"]) == [] and missed(["Total"], ["TOTAL"], False) == [0]



def test_lexicon_repair_of_held_out_form_words_reads_more_of_them_right(tmp_path, recognizer, capsys):
    """`--repair` scores the readings after the pipeline's lexicon repair: on real held-out
    FUNSD words it turns more misreadings into the printed word than it spoils."""
    from lector.train.real_crops import truth_crops
    docs = [d for d in load_dataset(EVALDATA / "funsd_dev") if split_of(d.id) == "val"][:6]
    pairs = [p for d in docs for p in truth_crops(d, "words")]
    crop_set = _crop_set(tmp_path / "forms", [(normalise_crop(c) * 255).astype(np.uint8) for c, _ in pairs],
                         [t for _, t in pairs])
    assert len(pairs) >= 300
    from lector.postprocess.lexicon import Lexicon
    from lector.postprocess.repair import Repairer, RepairConfig
    greedy = evaluate_words(crop_set, recognizer, progress=False)
    repaired = evaluate_words(crop_set, recognizer, progress=False,
                              repairer=Repairer(Lexicon.load(), recognizer.charset, RepairConfig()))
    assert repaired.name == "forms+repair" and repaired.n == greedy.n
    assert repaired.swa_ci > greedy.swa_ci, (greedy.swa_ci, repaired.swa_ci)
    assert main(["eval-words", str(crop_set), "--repair", "--limit", "50", "--threads", "1"]) == 0
    assert "forms+repair" in capsys.readouterr().out


def test_a_second_look_at_doubtful_held_out_words_reads_more_of_them_right(tmp_path, capsys):
    """The recognizer's second look (doubtful crops read again wider and with paper after them,
    the most confident reading kept) turns more held-out receipt words right than it spoils,
    and `--second-look` asks for it."""
    from lector.recognize.recognizer import SECOND_LOOK, Recognizer, RecognizerConfig
    from lector.train.real_crops import truth_crops
    docs = [d for d in load_dataset(EVALDATA / "sroie_dev") if split_of(d.id) == "val"][:6]
    pairs = [p for d in docs for p in truth_crops(d, "split-words")]
    assert len(pairs) >= 300
    crop_set = _crop_set(tmp_path / "receipts", [(normalise_crop(c) * 255).astype(np.uint8) for c, _ in pairs],
                         [t for _, t in pairs])
    once = evaluate_words(crop_set, Recognizer(RecognizerConfig(threads=1)), progress=False)
    looked = evaluate_words(crop_set, Recognizer(RecognizerConfig(threads=1, second_look=SECOND_LOOK)), progress=False)
    assert looked.n == once.n and looked.swa_ci > once.swa_ci, (once.swa_ci, looked.swa_ci)
    assert main(["eval-words", str(crop_set), "--second-look", "--threads", "1"]) == 0
    assert f"{looked.swa_ci:.3f}" in capsys.readouterr().out


def test_a_directory_without_crops_is_an_input_error(tmp_path, recognizer):
    with pytest.raises(InputError):
        evaluate_words(tmp_path, recognizer, progress=False)


def test_crops_cli_cuts_truth_words_for_single_word_accuracy(tmp_path):
    """`lector crops --level words` cuts one crop per truth word box, by document like lines."""
    source = EVALDATA / "funsd_dev"
    docs = load_dataset(source)
    picked = [next(d for d in docs if split_of(d.id) == part) for part in ("train", "val")]
    dataset = tmp_path / "two_forms"
    for doc in picked:
        (dataset / "gt").mkdir(parents=True, exist_ok=True)
        (dataset / "images").mkdir(exist_ok=True)
        shutil.copy(source / "gt" / f"{doc.id}.json", dataset / "gt")
        shutil.copy(doc.image_path, dataset / "images")
    assert main(["crops", str(dataset), str(tmp_path / "words"), "--level", "words"]) == 0
    assert main(["crops", str(dataset), str(tmp_path / "lines")]) == 0
    manifest = json.loads((tmp_path / "words" / "manifest.json").read_text())
    assert manifest["level"] == "words"
    for part, doc in zip(("train", "val"), picked):
        words, word_labels = load_shards(tmp_path / "words" / part)
        lines, line_labels = load_shards(tmp_path / "lines" / part)
        truth = [" ".join(w.text.split()) for w in doc.words if w.box is not None and w.text.strip()]
        assert len(words) > len(lines) and set(word_labels) <= set(truth)
        assert np.mean([c.shape[1] for c in words]) < np.mean([c.shape[1] for c in lines])


def _line_image(words: list[str], gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A printed line of `words` `gap` px apart, and each word's ink columns [lo, hi)."""
    font = ImageFont.truetype(SANS, 28)
    image = Image.new("L", (40 + sum(font.getbbox(w)[2] + gap for w in words), 44), 255)
    draw, x, spans = ImageDraw.Draw(image), 20, []
    for word in words:
        draw.text((x, 6), word, font=font, fill=20)
        ink = np.flatnonzero((np.asarray(image) < 128).any(axis=0))
        spans.append((int(ink[ink >= x].min()), int(ink.max()) + 1))
        x += font.getbbox(word)[2] + gap
    return np.asarray(image), spans


def test_ink_spans_cut_a_line_into_its_words_at_the_spaces():
    grey, spans = _line_image(["TOTAL", "RM", "12.50"], gap=18)
    found = ink_spans(grey, 3)
    assert found is not None and len(found) == 3
    for (lo, hi), (true_lo, true_hi) in zip(found, spans):
        assert abs(lo - true_lo) <= 1 and abs(hi - true_hi) <= 1
    # one word only: the whole ink; more words than the print has gaps for: no cut
    assert ink_spans(grey, 1) == [(spans[0][0], spans[2][1])]
    assert ink_spans(grey, 9) is None
    # words set so tight that a space is no wider than the gaps between letters: left out
    tight, _ = _line_image(["TOTAL", "RM"], gap=2)
    assert ink_spans(tight, 2) is None


def test_ink_spans_follow_a_glyph_the_truth_box_cuts():
    grey, spans = _line_image(["CASH", "45.90"], gap=18)
    # the truth box ends in the middle of the last glyph, as some SROIE boxes do
    cut_short = (spans[0][0], spans[1][1] - 6)
    found = ink_spans(grey, 2, inside=cut_short)
    assert found is not None and found[1][1] == spans[1][1]


def test_split_words_box_funsd_lines_where_its_truth_words_are():
    """FUNSD labels both: lines cut into words at their ink gaps land on the truth word boxes."""
    from lector.train.real_crops import split_words
    docs = load_dataset(EVALDATA / "funsd_dev", limit=6)
    hits, total = 0, 0
    for doc in docs:
        grey = cv2.imread(str(doc.image_path), cv2.IMREAD_GRAYSCALE)
        truth = [w for w in doc.words if w.box is not None]
        for box, text in split_words(grey, doc):
            total += 1
            # FUNSD's word boxes are looser than the ink: the centres must fall inside each other
            centre = (box.x0 + box.x1) / 2
            hits += any(w.text.strip() == text and w.box.y0 < box.y1 and box.y0 < w.box.y1
                        and w.box.x0 <= centre <= w.box.x1 and box.x0 <= (w.box.x0 + w.box.x1) / 2 <= box.x1
                        for w in truth)
    assert total >= 200 and hits / total >= 0.97, (hits, total)


def test_recasing_takes_the_models_case_and_leaves_out_words_of_unknown_case():
    from lector.train.real_crops import recase_labels
    truths = ["TOTAL", "DATE:", "12.50", ":", "INVOICE", "CASHIER", "TAN WOON", "RM 5", "RECEIPT.", "SDN.BHD", "NO:"]
    reads = ["Total", "Date:", "12.5O", "", "INV0ICE", "cashler", "tan woon", "RM5", "Receipt", "Sdn Bhd.", "No."]
    kept, changed = recase_labels(truths, reads, skip_unsure=True)
    # agreed words take the model's case; words without letters are always safe; an upper-case
    # reading with a misread letter still says the print is upper case
    assert kept[:5] == ["Total", "Date:", "12.50", ":", "INVOICE"]
    # misread in lower case: the print may be lower case, so the crop is left out, as is a
    # line whose reading has a different number of words
    assert kept[5] is None and kept[7] is None and kept[9] is None
    # a mark the model missed or misread does not hide the case of the letters it read
    assert kept[8] == "Receipt." and kept[10] == "No:"
    assert kept[6] == "tan woon" and changed == 6
    kept_all, _ = recase_labels(truths, reads)
    assert kept_all[5] == "CASHIER" and kept_all[7] == "RM 5"


def test_a_word_crop_stops_short_of_the_next_word_on_its_line(tmp_path):
    """Segments take half a text height of page on the right (blank: segments stand 1.5 heights
    apart); a word cut from a line takes a quarter, or it would hold its neighbour's first letter."""
    from lector.eval.dataset import EvalDoc
    from lector.train.real_crops import truth_crops
    image, spans = _line_image(["TOTAL", "AMOUNT"], gap=11)          # 11 px: about a third of the height
    (tmp_path / "images").mkdir()
    Image.fromarray(image).save(tmp_path / "images" / "line.png")
    ink_rows = np.flatnonzero((image < 128).any(axis=1))
    top, bottom = int(ink_rows.min()), int(ink_rows.max()) + 1
    words = [{"text": text, "box": [lo, top, hi, bottom]} for text, (lo, hi) in zip(("TOTAL", "AMOUNT"), spans)]
    gt = {"id": "line", "category": "receipt", "width": image.shape[1], "height": image.shape[0],
          "lines": [{"text": "TOTAL AMOUNT", "box": [spans[0][0], top, spans[1][1], bottom], "poly": None}],
          "words": words}
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "line.json").write_text(json.dumps(gt))
    doc = load_dataset(tmp_path)[0]
    assert isinstance(doc, EvalDoc)
    (first, label), _ = truth_crops(doc, "words")
    assert label == "TOTAL"
    height = bottom - top
    # the crop is the word plus a quarter height each side, and no column of the next word
    assert first.shape[1] == round(spans[0][1] + 0.25 * height) - round(spans[0][0] - 0.25 * height)
    assert round(spans[0][1] + 0.25 * height) <= spans[1][0]
    (line, _), = truth_crops(doc, "lines")
    assert line.shape[1] == round(spans[1][1] + 0.5 * height) - round(spans[0][0] - 0.25 * height)
