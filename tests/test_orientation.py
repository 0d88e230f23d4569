"""Page orientation: a rendered receipt turned four ways comes back upright, read, with its word
boxes on the turned image; an upright page with little text is left alone; the JSON says what
was done. Uses the shipped models/orientation.onnx."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from lector.core.geometry import Box
from lector.photo.orientation import DEFAULT_MODEL, OrientationClassifier, OrientationConfig, decide
from lector.pipeline import LectorEngine, PipelineConfig


@pytest.fixture(scope="module")
def classifier():
    assert DEFAULT_MODEL.is_file(), "the shipped model models/orientation.onnx is missing"
    return OrientationClassifier()


@pytest.fixture(scope="module")
def receipt_page():
    from lector.synth.page import render_receipt
    return render_receipt(seed=21, font_size=26)


@pytest.fixture(scope="module")
def engine():
    return LectorEngine()


def _recall(truth: list[str], predicted: list[str]) -> float:
    t, p = Counter(w.casefold() for w in truth), Counter(w.casefold() for w in predicted)
    return sum((t & p).values()) / max(1, sum(t.values()))


def test_decision_rule_is_biased_to_upright():
    assert decide(np.array([0.4, 0.0, 0.6, 0.0]), margin=1.0) == 0        # better, not by the margin
    assert decide(np.array([0.05, 0.9, 0.05, 0.0]), margin=1.0) == 1
    assert decide(np.array([0.2, 0.0, 0.0, 0.8]), margin=2.0) == 0
    assert decide(np.array([0.01, 0.0, 0.0, 0.99]), margin=2.0) == 3


@pytest.mark.parametrize("turned", [0, 1, 2, 3])
def test_classifier_finds_the_turn_of_a_rendered_receipt(classifier, receipt_page, turned):
    image, _ = receipt_page
    grey = np.ascontiguousarray(np.rot90(image[:, :, 0], turned))   # `turned` clockwise turns make it upright
    estimate = classifier.estimate(grey)
    assert estimate.quarter_turns == turned, estimate
    assert estimate.confidence > 0.5 and estimate.lines >= 3


def test_upright_page_with_little_text_is_left_alone(classifier):
    import cv2
    page = np.full((1100, 850), 250, np.uint8)
    cv2.putText(page, "Total 12", (300, 500), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 2)
    estimate = classifier.estimate(page)
    assert estimate.quarter_turns == 0
    assert classifier.estimate(np.full((600, 400), 255, np.uint8)).quarter_turns == 0


@pytest.mark.parametrize("turned", [1, 2, 3])
def test_turned_receipt_is_read_upright_with_boxes_on_the_turned_image(engine, receipt_page, turned):
    page, words = receipt_page
    image = np.ascontiguousarray(np.rot90(page, turned))
    read = engine.read_page(image)
    assert read.meta["orientation"]["rotation"] == 90 * turned
    assert (read.width, read.height) == (image.shape[1], image.shape[0])
    predicted = [w.text for w in read.words]
    assert _recall([w.text for w in words], predicted) >= 0.8, predicted
    # each truth word, turned with the image, has a read box on it (boxes refer to the input)
    boxes: dict[str, list[Box]] = {}
    for w in read.words:
        boxes.setdefault(w.text.casefold(), []).append(w.box)
    hits = []
    for truth in words:
        if truth.text.casefold() not in boxes:
            continue
        box, width, height = truth.box, page.shape[1], page.shape[0]
        for _ in range(turned):
            box, width, height = Box(box.y0, width - box.x1, box.y1, width - box.x0), height, width
        hits.append(max(box.iou(b) for b in boxes[truth.text.casefold()]))
    assert np.median(hits) >= 0.5


def test_json_reports_the_rotation_and_its_confidence(engine, receipt_page):
    from lector.core.document import Document
    page, _ = receipt_page
    upright = engine.read_page(page)
    turned = engine.read_page(np.ascontiguousarray(np.rot90(page, 2)))
    doc = json.loads(json.dumps(Document(pages=(upright, turned), source="t", engine="lector").export()))
    first, second = (p["meta"]["orientation"] for p in doc["pages"])
    assert first["rotation"] == 0 and second["rotation"] == 180
    assert 0.5 < second["confidence"] <= 1.0
    assert set(second["probabilities"]) == {"0", "90", "180", "270"}


def test_rotate_pages_off_reads_the_image_as_it_is(receipt_page):
    page, _ = receipt_page
    image = np.ascontiguousarray(np.rot90(page, 2))
    read = LectorEngine(PipelineConfig(orientation=None)).read_page(image)
    assert "orientation" not in read.meta
    # a margin nothing can beat keeps every page as it is, but still reports the estimate
    kept = LectorEngine(PipelineConfig(orientation=OrientationConfig(margin=1e9))).read_page(image)
    assert kept.meta["orientation"]["rotation"] == 0 and kept.meta["orientation"]["most_likely"] == 180
