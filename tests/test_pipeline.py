"""End to end with the shipped word net: a rendered receipt with known words comes back read,
with word boxes on the words, through the Python API, the CLI and the searchable PDF."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

import lector
from lector.pipeline import LectorEngine

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "models" / "wordnet.onnx"


@pytest.fixture(scope="module")
def engine():
    assert SHIPPED_MODEL.is_file(), "the shipped model models/wordnet.onnx is missing"
    return LectorEngine()


def _recall(truth: list[str], predicted: list[str]) -> float:
    t, p = Counter(w.casefold() for w in truth), Counter(w.casefold() for w in predicted)
    return sum((t & p).values()) / max(1, sum(t.values()))


def test_reads_most_words_of_a_photographed_receipt(engine, receipt):
    image, words = receipt
    page = engine.read_page(image)
    predicted = [w.text for w in page.words]
    assert _recall([w.text for w in words], predicted) >= 0.8, predicted
    # each truth word that was read has a box on it
    boxes = {}
    for w in page.words:
        boxes.setdefault(w.text.casefold(), []).append(w.box)
    hits = [max(t.box.iou(b) for b in boxes[t.text.casefold()]) for t in words if t.text.casefold() in boxes]
    assert np.median(hits) >= 0.6 and np.mean(np.array(hits) >= 0.5) >= 0.8
    assert all(0.0 <= w.confidence <= 1.0 for w in page.words)


def test_python_api_reads_arrays_and_files_alike(engine, receipt, tmp_path):
    image, _ = receipt
    path = tmp_path / "receipt.png"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    from_file = lector.read(path, engine)
    from_array = lector.read(image, engine)
    assert from_file.text == from_array.text and len(from_file.pages) == 1
    assert lector.Document.from_json(json.loads(json.dumps(from_file.export()))).text == from_file.text


def test_cli_writes_json_text_and_a_searchable_pdf(receipt, tmp_path):
    image, words = receipt
    path = tmp_path / "receipt.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    out = tmp_path / "out" / "receipt"
    run = subprocess.run([sys.executable, "-m", "lector.cli", "ocr", str(path), "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.with_suffix(".json").read_text())
    text = out.with_suffix(".txt").read_text()
    assert doc["pages"][0]["width"] == image.shape[1] and text.strip()
    pdf_text = subprocess.run(["pdftotext", "-raw", str(out.with_suffix(".pdf")), "-"],
                              capture_output=True, text=True, check=True).stdout
    # the PDF layer holds the same words, lines in the same order, one space between words
    assert [line.split() for line in pdf_text.split("\n") if line.strip()] == \
        [line.split() for line in text.split("\n") if line.strip()]
    assert "  " not in pdf_text.strip()
    assert _recall([w.text for w in words], pdf_text.split()) >= 0.8


def test_photo_is_flattened_read_and_boxes_map_back_to_the_photo(engine):
    """A receipt photographed at 20 degrees on a table: read after rectification, and each word's
    box lands on that word in the original photo (the known page-to-photo transform)."""
    from lector.synth.page import render_receipt
    from lector.synth.photo import PhotoConfig, photo_of_page
    page, words = render_receipt(seed=21, font_size=26)
    photo = photo_of_page(page, seed=3, config=PhotoConfig(curl=(0.0, 0.0), shadow_chance=0.0), tilt_deg=20)
    read = engine.read_page(photo.image)
    assert (read.width, read.height) == (photo.image.shape[1], photo.image.shape[0])
    assert "rectified" in read.meta
    predicted = [w.text for w in read.words]
    assert _recall([w.text for w in words], predicted) >= 0.7, predicted
    boxes = {}
    for w in read.words:
        boxes.setdefault(w.text.casefold(), []).append(w.box)
    hits = [max(photo.map_page_box(t.box).iou(b) for b in boxes[t.text.casefold()])
            for t in words if t.text.casefold() in boxes]
    assert np.median(hits) >= 0.5


def test_no_rectify_reads_the_photo_as_it_is(receipt):
    from lector.pipeline import PipelineConfig
    image, _ = receipt
    plain = LectorEngine(PipelineConfig(rectify=None)).read_page(image)
    assert "rectified" not in plain.meta and plain.width == image.shape[1]
