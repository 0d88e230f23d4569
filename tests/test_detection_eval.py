"""Detection evaluation: the metrics on cases worked out by hand, and whole runs on a small
dataset rendered here (known boxes) and, when present, on a few sroie_dev pages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from lector.core.errors import LectorError
from lector.core.geometry import Box, union_all
from lector.eval.detection import (character_centres, covered_area, evaluate_detection, format_detection_table,
                                   match_one_to_one, points_inside)
from lector.synth.page import photo_like, render_receipt

EVALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "evaldata"


# --- metrics, by hand -----------------------------------------------------------------------------

def test_one_to_one_matching_takes_the_best_iou_first_and_each_box_once():
    truth = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], float)
    found = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 26, 10], [80, 0, 90, 10]], float)
    counts = match_one_to_one(truth, found)
    # truth 0 matches found 0 (IoU 1) and not also found 1; truth 1 matches found 2 (IoU 0.6)
    assert (counts.matched, counts.truth, counts.detected) == (2, 3, 4)
    assert counts.to_dict()["recall"] == pytest.approx(2 / 3) and counts.to_dict()["precision"] == 0.5
    assert match_one_to_one(truth, np.zeros((0, 4))).matched == 0


def test_covered_area_counts_overlapping_detections_once():
    truth = np.array([[0, 0, 10, 10], [100, 100, 110, 110]], float)
    found = np.array([[0, 0, 5, 10], [3, 0, 8, 10], [-50, -50, 1, 1], [105, 105, 200, 200]], float)
    covered, total = covered_area(truth, found)
    assert total == 200 and covered == 8 * 10 + 5 * 5       # [0, 8) x [0, 10) once, and a corner of the second


def test_character_centres_skip_spaces_and_fall_inside_their_slots():
    centres = character_centres([("AB C", Box(0, 0, 40, 10))])
    assert centres[:, 0].tolist() == [5.0, 15.0, 35.0] and set(centres[:, 1]) == {5.0}
    assert points_inside(centres, np.array([[0, 0, 20, 10]], float)) == 2


# --- whole runs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered_dataset(tmp_path_factory) -> Path:
    """Three receipts in the evaldata format: one truth line per run of words (item name,
    price), word boxes too; the last one photographed with a 4 degree tilt."""
    root = tmp_path_factory.mktemp("rendered")
    (root / "images").mkdir()
    (root / "gt").mkdir()
    for k, seed in enumerate((1, 2, 3)):
        image, words = render_receipt(seed=seed)
        if k == 2:
            image, words = photo_like(image, words, seed=seed, tilt_deg=4.0)
        runs: dict[tuple[int, bool], list] = {}
        for w in words:
            runs.setdefault((w.line, w.box.x0 > image.shape[1] / 2), []).append(w)
        lines = [{"text": " ".join(w.text for w in ws), "box": union_all(w.box for w in ws).as_list(), "poly": None}
                 for _, ws in sorted(runs.items())]
        truth = {"id": f"{k:03d}", "category": "receipt", "width": image.shape[1], "height": image.shape[0],
                 "lines": lines, "words": [{"text": w.text, "box": w.box.as_list()} for w in words]}
        cv2.imwrite(str(root / "images" / f"{k:03d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        (root / "gt" / f"{k:03d}.json").write_text(json.dumps(truth))
    return root


def test_lector_detection_on_rendered_receipts(rendered_dataset):
    report = evaluate_detection(rendered_dataset, engine="lector")
    assert report["pages"] == 3 and report["errors"] == []
    assert report["char_coverage"] >= 0.97 and report["coverage_padded"] >= 0.95
    assert report["lines"]["recall"] >= 0.9 and report["lines"]["precision"] >= 0.8
    assert report["words"]["recall"] >= 0.85
    assert report["median_cpu_ms_per_page"] > 0 and report["median_ms_per_megapixel"] > 0
    assert len(report["docs"]) == 3 and json.loads(json.dumps(report)) == report
    table = format_detection_table(report)
    assert "lector" in table and "coverage" in table


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract program is not installed")
def test_tesseract_is_scored_the_same_way(rendered_dataset):
    report = evaluate_detection(rendered_dataset, engine="tesseract", limit=1)
    assert report["engine"] == "tesseract" and report["pages"] == 1 and report["errors"] == []
    assert report["char_coverage"] > 0.5
    lector = evaluate_detection(rendered_dataset, engine="lector", limit=1)
    assert "tesseract" in format_detection_table([lector, report])


def test_a_page_that_cannot_be_read_is_recorded_and_the_run_goes_on(rendered_dataset, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(rendered_dataset, broken)
    (broken / "images" / "001.png").write_bytes(b"not an image")
    report = evaluate_detection(broken, engine="lector")
    assert report["pages"] == 3 and [e["id"] for e in report["errors"]] == ["001"]
    assert 0 < report["lines"]["recall"] < 1


def test_unknown_engine_is_refused(rendered_dataset):
    with pytest.raises(LectorError, match="unknown detection engine"):
        evaluate_detection(rendered_dataset, engine="paddle")


@pytest.mark.skipif(not (EVALDATA / "sroie_dev").is_dir(), reason="../shared/evaldata/sroie_dev is not present")
def test_sroie_pages_are_covered():
    report = evaluate_detection(EVALDATA / "sroie_dev", limit=6)
    assert report["errors"] == []
    assert report["char_coverage"] >= 0.93 and report["lines"]["recall"] >= 0.7
