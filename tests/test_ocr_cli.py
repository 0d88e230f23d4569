"""`lector ocr` on PDFs and images: every output written, PDFs kept as they were, bad pages reported.

The tiny random model reads nothing worth keeping, so these tests are about plumbing: which
files appear, what the PDF keeps of the input, exit codes and messages. Where the words matter
(the layer itself) see test_pdf_matrix.py and test_pdf_overlay.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image
from reportlab.pdfgen import canvas

pytestmark = pytest.mark.skipif(not shutil.which("qpdf"), reason="needs qpdf")


def run_lector(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lector.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def three_page_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Page 1 a scan (an image), page 2 born-digital text, page 3 another scan."""
    folder = tmp_path_factory.mktemp("cli")
    scan = folder / "scan.png"
    Image.fromarray(np.random.default_rng(1).integers(180, 256, (400, 300), dtype=np.uint8)).save(scan)
    path = folder / "three.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(300, 400))
    drawing.drawImage(str(scan), 0, 0, 300, 400)
    drawing.showPage()
    drawing.drawString(40, 300, "Born digital text")
    drawing.showPage()
    drawing.drawImage(str(scan), 0, 0, 300, 400)
    drawing.showPage()
    drawing.save()
    return path


def test_pdf_in_gives_every_format_and_keeps_the_pages(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    stem = tmp_path / "out" / "doc"
    run = run_lector("ocr", three_page_pdf, "-o", stem, "--model", model, "--formats", "json,txt,pdf,hocr,alto",
                     "--sidecar", tmp_path / "side.txt", "--debug-layer", "--dpi", "100")
    assert run.returncode == 0, run.stderr
    for suffix in (".json", ".txt", ".pdf", ".hocr", ".alto.xml", ".debug.pdf"):
        assert (tmp_path / "out" / f"doc{suffix}").is_file(), suffix
    assert (tmp_path / "side.txt").read_text() == (tmp_path / "out" / "doc.txt").read_text()
    doc = json.loads((tmp_path / "out" / "doc.json").read_text())
    assert [p["index"] for p in doc["pages"]] == [0, 1, 2]
    assert doc["pages"][1]["meta"] == {"skipped": "page has visible text"}
    assert [p["meta"].get("pdf_layer") for p in doc["pages"]] == ["layer", None, "layer"]
    assert [p["width"] for p in doc["pages"]] == [417, 417, 417]  # 300 pt at 100 dpi
    with pikepdf.open(three_page_pdf) as before, pikepdf.open(stem.with_suffix(".pdf")) as after:
        assert len(after.pages) == 3
        assert before.pages[1].obj.Contents.read_bytes() == after.pages[1].obj.Contents.read_bytes()
    assert subprocess.run(["qpdf", "--check", str(stem.with_suffix(".pdf"))], capture_output=True).returncode == 0
    ElementTree.parse(stem.with_suffix(".alto.xml"))
    ElementTree.parse(stem.with_suffix(".hocr"))


def test_pages_option(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    run = run_lector("ocr", three_page_pdf, "-o", tmp_path / "x", "--model", model, "--pages", "3",
                     "--formats", "json", "--dpi", "72")
    assert run.returncode == 0, run.stderr
    assert [p["index"] for p in json.loads((tmp_path / "x.json").read_text())["pages"]] == [2]


def test_huge_page_is_named_and_the_rest_done(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    huge = tmp_path / "huge.pdf"
    with pikepdf.open(three_page_pdf) as pdf:
        pdf.pages[2].obj.MediaBox = pikepdf.Array([0, 0, 20000, 20000])
        pdf.save(huge)
    run = run_lector("ocr", huge, "-o", tmp_path / "h", "--model", model, "--dpi", "72")
    assert run.returncode == 3, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("lector:")]
    assert len(errors) == 1 and "page 3" in errors[0] and str(huge) in errors[0]
    doc = json.loads((tmp_path / "h.json").read_text())
    assert doc["pages"][0]["meta"].get("pdf_layer") == "layer" and "error" in doc["pages"][2]["meta"]
    assert len(pikepdf.open(tmp_path / "h.pdf").pages) == 3


def test_encrypted_pdf_exits_8_and_zero_pages_exits_2(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(three_page_pdf) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user=""))
    run = run_lector("ocr", locked, "-o", tmp_path / "l", "--model", model)
    assert run.returncode == 8 and run.stderr.count("\n") == 1 and "encrypted" in run.stderr
    empty = tmp_path / "empty.pdf"
    pikepdf.new().save(empty)
    run = run_lector("ocr", empty, "-o", tmp_path / "e", "--model", model)
    assert run.returncode == 2 and "no pages" in run.stderr


def test_output_never_overwrites_the_input(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    copy = tmp_path / "same.pdf"
    shutil.copy(three_page_pdf, copy)
    run = run_lector("ocr", copy, "-o", tmp_path / "same", "--model", model)
    assert run.returncode != 0 and "overwrite" in run.stderr
    assert copy.read_bytes() == three_page_pdf.read_bytes()


def test_images_merge_into_one_pdf_with_the_jpeg_kept(tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    rng = np.random.default_rng(2)
    jpeg, png = tmp_path / "a.jpg", tmp_path / "b.png"
    Image.fromarray(rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)).save(jpeg, quality=80, dpi=(150, 150))
    Image.fromarray(rng.integers(0, 256, (100, 100), dtype=np.uint8)).save(png)
    run = run_lector("ocr", jpeg, png, "--merge", "-o", tmp_path / "book", "--model", model,
                     "--formats", "pdf,hocr")
    assert run.returncode == 0, run.stderr
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert len(pdf.pages) == 2
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 96, 144]  # 200 x 300 px at 150 dpi
        assert [round(float(v)) for v in pdf.pages[1].mediabox] == [0, 0, 24, 24]  # 100 px at 300 dpi
        image = pdf.pages[0].obj.Resources.XObject.Im0
        assert image.read_raw_bytes() == jpeg.read_bytes()
    pages = ElementTree.parse(tmp_path / "book.hocr").getroot().iter("{http://www.w3.org/1999/xhtml}div")
    assert len(list(pages)) == 2


def test_unknown_format_is_a_clear_error(three_page_pdf: Path, tmp_path: Path, tiny_model) -> None:
    _, model = tiny_model
    run = run_lector("ocr", three_page_pdf, "-o", tmp_path / "u", "--model", model, "--formats", "pdf,docx")
    assert run.returncode != 0 and "docx" in run.stderr and run.stderr.count("\n") == 1


def test_reading_switches_reach_the_pipeline() -> None:
    from lector.cli import _pipeline_config, build_parser
    defaults = _pipeline_config(build_parser().parse_args(["ocr", "page.png"]))
    assert defaults.straighten and defaults.repair and defaults.rectify is not None
    switched = _pipeline_config(build_parser().parse_args(["eval", "data", "--no-straighten", "--no-repair",
                                                           "--no-rectify", "--decoder", "beam"]))
    assert not switched.straighten and not switched.repair and switched.rectify is None
    assert switched.recognizer.decoder == "beam"
