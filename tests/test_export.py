"""Exporters, checked by reading their output back with independent tools.

The searchable-PDF fixture is a page image with words drawn by Pillow and a Document whose
word boxes are where Pillow put the ink; poppler (pdftotext, pdftoppm) and qpdf then judge
the PDF: words, order, spacing, boxes, validity, and an invisible text layer.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.core.document import Document, Line, Page, Word
from lector.core.geometry import Box, PixelToPdf
from lector.export.json_export import write_json
from lector.export.pdf_export import write_searchable_pdf
from lector.export.text_export import document_text, write_text
from lector.io.load import PageImage, image_from_array, load_pages

# Ascenders, descenders, x-height-only words and the non-ASCII characters the font must carry.
LINES = [
    ["Hello", "one", "quick", "gyp", "World"],
    ["£5", "at", "20°C", "on", "€12,", "maybe."],
    ["last", "line", "here"],
]
WIDTH, HEIGHT, DPI = 1700, 600, 200

needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="poppler-utils not installed")
needs_qpdf = pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf not installed")


@dataclass(frozen=True)
class Written:
    """A searchable PDF and what went into it."""

    doc: Document
    page_image: PageImage
    pdf: Path
    image_only_pdf: Path


def drawn_page(lines: list[list[str]], top: int = 60, gap: int = 30) -> tuple[PageImage, Page]:
    """A white page with `lines` drawn in black, and the Page whose word boxes are the ink boxes."""
    picture = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=44)
    document_lines = []
    for row, texts in enumerate(lines):
        x, y = 100, top + row * 110
        words = []
        for text in texts:
            draw.text((x, y), text, font=font, fill="black")
            words.append(Word(text, Box(*(float(v) for v in draw.textbbox((x, y), text, font=font))), 0.9))
            x = int(words[-1].box.x1) + gap
        document_lines.append(Line.from_words(words))
    page = Page(index=0, width=WIDTH, height=HEIGHT, lines=tuple(document_lines), dpi=DPI)
    return image_from_array(np.asarray(picture), dpi=DPI), page


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    folder = tmp_path_factory.mktemp("pdf")
    page_image, page = drawn_page(LINES)
    doc = Document(pages=(page,), source="drawn.png")
    pdf = folder / "searchable.pdf"
    write_searchable_pdf(doc, [page_image], pdf)
    blank = Document(pages=(Page(index=0, width=WIDTH, height=HEIGHT, lines=(), dpi=DPI),))
    image_only_pdf = folder / "image-only.pdf"
    write_searchable_pdf(blank, [page_image], image_only_pdf)
    return Written(doc, page_image, pdf, image_only_pdf)


def sample_document() -> Document:
    first = Page(index=0, width=800, height=600, dpi=300.0, seconds=0.25, meta={"engine": "lector"},
                 lines=(Line.from_words([Word("Café", Box(10, 20, 80, 44), 0.97),
                                         Word("€3.50", Box(90, 20, 160, 44.5), 0.6123)]),
                        Line.from_words([Word("second", Box(10, 60, 90, 80), 0.5)])))
    second = Page(index=1, width=800, height=600, lines=())
    return Document(pages=(first, second), source="scan.tif", engine="lector")


# --- JSON and text ------------------------------------------------------------------------

def test_json_round_trips_to_an_equal_document(tmp_path: Path) -> None:
    doc = sample_document()
    path = tmp_path / "out.json"
    write_json(doc, path)
    text = path.read_text(encoding="utf-8")
    assert "Café" in text  # UTF-8, not \\u escapes
    assert Document.from_json(json.loads(text)) == doc


def test_json_keeps_what_export_rounds_to(tmp_path: Path) -> None:
    """Export rounds boxes to 0.01 px and confidence to 4 places; reading back keeps that rounding."""
    word = Word("x", Box(1.23456, 2.0, 3.0, 4.98765), 0.123456)
    doc = Document(pages=(Page(index=0, width=10, height=10, lines=(Line.from_words([word]),)),))
    path = tmp_path / "out.json"
    write_json(doc, path)
    back = Document.from_json(json.loads(path.read_text(encoding="utf-8")))
    assert back.export() == doc.export()
    assert back.words[0].box == Box(1.23, 2.0, 3.0, 4.99) and back.words[0].confidence == 0.1235


def test_text_has_lines_in_order_and_pages_split_by_form_feed(tmp_path: Path) -> None:
    doc = sample_document()
    assert document_text(doc) == "Café €3.50\nsecond\n\f"
    path = tmp_path / "out.txt"
    write_text(doc, path)
    assert path.read_text(encoding="utf-8").split("\f") == ["Café €3.50\nsecond\n", ""]


def test_writers_leave_no_temporary_files(tmp_path: Path) -> None:
    write_json(sample_document(), tmp_path / "a.json")
    write_text(sample_document(), tmp_path / "a.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.txt"]


# --- searchable PDF ------------------------------------------------------------------------

@needs_poppler
@pytest.mark.parametrize("mode", ["-raw", None, "-layout"])
def test_pdftotext_gives_words_in_order_with_single_spaces(written: Written, mode: str | None) -> None:
    text = pdftotext(written.pdf, *([mode] if mode else []))
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines() if line.strip()]
    assert lines == [" ".join(words) for words in LINES]


@needs_poppler
def test_word_boxes_land_on_the_ink(written: Written) -> None:
    extracted = pdftotext_words(written.pdf)
    truth = written.doc.words
    assert [text for text, _ in extracted] == [word.text for word in truth]
    points_per_pixel = PixelToPdf(height_px=HEIGHT, dpi=DPI).points_per_pixel
    for (text, box), word in zip(extracted, truth):
        # pdftotext reports points measured from the top, so only the scale differs from pixels.
        assert box.iou(word.box.scale(points_per_pixel)) >= 0.7, text
    for line in written.doc.pages[0].lines:
        boxes = [box for _, box in extracted[:len(line.words)]]
        extracted = extracted[len(line.words):]
        for left, right in zip(boxes, boxes[1:]):
            assert left.x1 <= right.x0 + 0.01, "a word runs into the next one"


@needs_qpdf
def test_qpdf_finds_no_errors(written: Written) -> None:
    result = subprocess.run(["qpdf", "--check", str(written.pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


@needs_poppler
def test_text_layer_is_invisible(written: Written, tmp_path: Path) -> None:
    with_text = pdftoppm(written.pdf, tmp_path / "with")
    without_text = pdftoppm(written.image_only_pdf, tmp_path / "without")
    assert with_text.shape == without_text.shape
    assert np.abs(with_text.astype(int) - without_text.astype(int)).max() <= 1


def test_page_size_and_picture_follow_the_image(written: Written) -> None:
    """Reading the PDF back at the page's dpi gives the page image again (JPEG at quality 90)."""
    (page,) = load_pages(written.pdf, pdf_dpi=DPI)
    assert (page.width, page.height) == (WIDTH, HEIGHT)
    difference = np.abs(page.image.astype(int) - written.page_image.image.astype(int))
    assert difference.mean() < 3


def test_black_and_white_page_is_kept_exactly(tmp_path: Path) -> None:
    """A bilevel scan is stored as 1-bit Flate, so no JPEG noise: it renders back identical."""
    page_image, page = drawn_page(LINES[:1])
    bilevel = image_from_array(page_image.image.min(axis=2) > 128, dpi=DPI)
    path = tmp_path / "bw.pdf"
    write_searchable_pdf(Document(pages=(page,)), [bilevel], path)
    (back,) = load_pages(path, pdf_dpi=DPI)
    assert np.mean(back.image != bilevel.image) < 0.001
    assert path.stat().st_size < 20_000


def test_pages_and_images_must_match(tmp_path: Path) -> None:
    page_image, page = drawn_page(LINES[:1])
    with pytest.raises(ValueError):
        write_searchable_pdf(Document(pages=(page, page)), [page_image], tmp_path / "x.pdf")
    smaller = image_from_array(page_image.image[:100], dpi=DPI)
    with pytest.raises(ValueError):
        write_searchable_pdf(Document(pages=(page,)), [smaller], tmp_path / "x.pdf")


# --- helpers --------------------------------------------------------------------------------

def pdftotext(pdf: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdftotext_words(pdf: Path) -> list[tuple[str, Box]]:
    """Each word pdftotext finds, with its box in points from the page's top-left."""
    html = pdftotext(pdf, "-bbox")
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    unescape = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
    words = []
    for match in re.finditer(pattern, html):
        text = re.sub(r"&\w+;", lambda m: unescape.get(m.group(0), m.group(0)), match.group(5))
        words.append((text, Box(*(float(v) for v in match.group(1, 2, 3, 4)))))
    return words


def pdftoppm(pdf: Path, prefix: Path) -> np.ndarray:
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(prefix)], check=True)
    return np.asarray(Image.open(f"{prefix}.png").convert("RGB"))
