"""The viewer matrix: every PDF reader we can run must read the text layer back exactly.

Pages are drawn with known words (DejaVu Sans, through Pillow) and the Document is built by hand
with each word's box: the ink's left and right, the line's top and bottom (as Lector's own
pipeline gives them). The searchable PDF is then read by poppler (pdftotext plain, -raw,
-layout, -bbox), pdfminer.six and pdfplumber, PDFium (pypdfium2), MuPDF (mutool), and by a
position-only word finder that ignores the space characters (Apple Preview's way). Each must
give the words in order with every word boundary right, and each word's glyph box must lie on
its truth box. The layer must be invisible (same pixels with and without it, in three
renderers), and qpdf must find the file sound. A debug rendering with the layer made visible
is kept under out/ for people to look at.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.core.document import Document, Line, Page, Word
from lector.core.geometry import Box
from lector.export.pdf_export import write_searchable_pdf
from lector.io.load import PageImage, image_from_array
from pdf_readers import TEXT_READERS, WORD_READERS, PageItems

ROOT = Path(__file__).resolve().parents[1]
FONT = "DejaVuSans.ttf"
TOOLS = ("pdftotext", "pdftoppm", "mutool", "qpdf")
pytestmark = pytest.mark.skipif(not all(shutil.which(tool) for tool in TOOLS),
                                reason="needs poppler-utils, mupdf-tools and qpdf")

# Each page: (dpi, font size in px, gap between words in px, lines of words).
PAGES = [
    (200, 44, 26, [
        ["Hello", "one", "quick", "gyp", "World"],
        ["£5", "at", "20°C", "on", "€12,", "maybe."],
        ["naïve", "Ωmega", "a", "I", "→", "x²", "Straße"],
        ["the", "same", "the", "same", "the"],          # repeated words on one line
    ]),
    (150, 80, 40, [
        ["Heading", "with", "ascenders", "and", "x"],    # x-height words beside capitals, at 38 pt
        ["𝔘nicode", "beyond", "the", "BMP"],
    ]),
]
# A line whose words nearly touch: the layer opens a gap (shortening both words), so word
# boundaries stay right everywhere, at the cost of some box overlap.
TIGHT = (150, 40, 3, [["tightly", "set", "words", "on", "a", "line"]])
MIN_IOU, MIN_IOU_TIGHT = 0.9, 0.75


@dataclass(frozen=True)
class Fixture:
    doc: Document
    images: list[PageImage]
    pdf: Path
    image_only_pdf: Path
    truth: list[list[tuple[str, Box]]]  # per page: (word, box in points from the top-left)
    tight_pages: set[int]


def drawn_page(index: int, dpi: int, size: int, gap: int, lines: list[list[str]]) -> tuple[PageImage, Page]:
    """A white page with the words drawn in black; word boxes span the ink across, the line down."""
    font = ImageFont.truetype(FONT, size)
    width = max(int(sum(font.getlength(w) + gap for w in words)) for words in lines) + 200
    height = 100 + len(lines) * int(size * 1.9)
    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    document_lines = []
    for row, texts in enumerate(lines):
        x, y = 80, 50 + row * int(size * 1.9)
        ink = []
        for text in texts:
            draw.text((x, y), text, font=font, fill="black")
            ink.append(Box(*(float(v) for v in draw.textbbox((x, y), text, font=font))))
            x = int(ink[-1].x1) + gap
        top, bottom = min(b.y0 for b in ink), max(b.y1 for b in ink)
        words = [Word(text, Box(b.x0, top, b.x1, bottom), 0.9) for text, b in zip(texts, ink)]
        document_lines.append(Line.from_words(words))
    page = Page(index=index, width=width, height=height, lines=tuple(document_lines), dpi=dpi)
    return image_from_array(np.asarray(picture), dpi=dpi), page


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    folder = tmp_path_factory.mktemp("matrix")
    specs = PAGES + [TIGHT]
    drawn = [drawn_page(index, *spec) for index, spec in enumerate(specs)]
    images = [image for image, _ in drawn]
    doc = Document(pages=tuple(page for _, page in drawn), source="drawn")
    pdf = folder / "searchable.pdf"
    write_searchable_pdf(doc, images, pdf)
    blank = Document(pages=tuple(Page(index=p.index, width=p.width, height=p.height, lines=(), dpi=p.dpi)
                                 for p in doc.pages))
    image_only_pdf = folder / "image-only.pdf"
    write_searchable_pdf(blank, images, image_only_pdf)
    truth = [[(word.text, word.box.scale(72.0 / page.dpi)) for word in page.words] for page in doc.pages]
    return Fixture(doc, images, pdf, image_only_pdf, truth, {len(specs) - 1})


@pytest.mark.parametrize("reader", sorted(TEXT_READERS))
def test_text_readers_give_the_words_in_order(fixture: Fixture, reader: str) -> None:
    pages = TEXT_READERS[reader](fixture.pdf)
    assert len(pages) == len(fixture.truth)
    for words, truth in zip(pages, fixture.truth):
        assert words == [text for text, _ in truth]


@pytest.mark.parametrize("reader", sorted(WORD_READERS))
def test_word_readers_give_the_words_in_order_on_their_boxes(fixture: Fixture, reader: str) -> None:
    pages: list[PageItems] = WORD_READERS[reader](fixture.pdf)
    assert len(pages) == len(fixture.truth)
    for number, (found, truth, page) in enumerate(zip(pages, fixture.truth, fixture.doc.pages)):
        assert [word.text for word in found.items] == [text for text, _ in truth], f"page {number + 1}"
        # Readers that apply /UserUnit measure in other points; fractions of the page agree.
        width_pt, height_pt = page.width * 72.0 / page.dpi, page.height * 72.0 / page.dpi
        minimum = MIN_IOU_TIGHT if number in fixture.tight_pages else MIN_IOU
        for word, (text, box) in zip(found.items, truth):
            iou = found.relative(word.box).iou(Box(box.x0 / width_pt, box.y0 / height_pt,
                                                   box.x1 / width_pt, box.y1 / height_pt))
            assert iou >= minimum, f"page {number + 1}: {text!r} IoU {iou:.3f}"


def test_every_word_boundary_is_right_on_the_tight_line_too(fixture: Fixture) -> None:
    """Counted the way the issue counts: 100% of boundaries, by every reader."""
    (page,) = fixture.tight_pages
    truth = [text for text, _ in fixture.truth[page]]
    for name, reader in {**WORD_READERS}.items():
        assert [w.text for w in reader(fixture.pdf)[page].items] == truth, name
    for name, reader in TEXT_READERS.items():
        assert reader(fixture.pdf)[page] == truth, name


@pytest.mark.parametrize("renderer", ["poppler", "pdfium", "mupdf"])
def test_the_layer_is_invisible(fixture: Fixture, tmp_path: Path, renderer: str) -> None:
    with_layer = render_pages(fixture.pdf, tmp_path / "with", renderer)
    without_layer = render_pages(fixture.image_only_pdf, tmp_path / "without", renderer)
    assert len(with_layer) == len(without_layer) == len(fixture.truth)
    for shown, plain in zip(with_layer, without_layer):
        assert shown.shape == plain.shape
        assert np.array_equal(shown, plain)


def test_qpdf_finds_no_errors(fixture: Fixture) -> None:
    result = subprocess.run(["qpdf", "--check", str(fixture.pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_debug_layer_is_visible_and_kept_as_an_artefact(fixture: Fixture, tmp_path: Path) -> None:
    """The debug PDF shows the boxes and words in red; its first page is kept under out/."""
    debug_pdf = tmp_path / "debug.pdf"
    write_searchable_pdf(fixture.doc, fixture.images, debug_pdf, debug=True)
    shown = render_pages(debug_pdf, tmp_path / "debug", "poppler", dpi=100)[0]
    plain = render_pages(fixture.image_only_pdf, tmp_path / "plain", "poppler", dpi=100)[0]
    red = (shown[:, :, 0] > 180) & (shown[:, :, 1] < 90) & (shown[:, :, 2] < 90)
    assert red.sum() > 500 and not (plain[:, :, 0] - plain[:, :, 1] > 100).any()
    artefact = ROOT / "out" / "text-layer-debug.png"
    artefact.parent.mkdir(exist_ok=True)
    Image.fromarray(shown).save(artefact)
    assert artefact.stat().st_size > 0


# --- helpers ------------------------------------------------------------------------------

def render_pages(pdf: Path, prefix: Path, renderer: str, dpi: int = 72) -> list[np.ndarray]:
    """Every page as RGB pixels, by poppler (pdftoppm), PDFium or MuPDF (mutool draw)."""
    prefix.mkdir(parents=True, exist_ok=True)
    if renderer == "poppler":
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix / "p")], check=True)
    elif renderer == "mupdf":
        subprocess.run(["mutool", "draw", "-q", "-r", str(dpi), "-o", str(prefix / "p-%03d.png"), str(pdf)],
                       check=True, capture_output=True)
    else:
        import pypdfium2 as pdfium
        document = pdfium.PdfDocument(str(pdf))
        for number, page in enumerate(document):
            page.render(scale=dpi / 72).to_pil().convert("RGB").save(prefix / f"p-{number:03d}.png")
            page.close()
        document.close()
    return [np.asarray(Image.open(path).convert("RGB")) for path in sorted(prefix.glob("p-*.png"))]
