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
def test_word_boxes_span_the_ink_across_and_the_line_down(written: Written) -> None:
    """Each word's glyph box runs exactly from its ink's left to its right, and from its line's
    top to its bottom: one band per line, so readers keep the line together (test_pdf_matrix)."""
    extracted = pdftotext_words(written.pdf)
    truth = written.doc.words
    assert [text for text, _ in extracted] == [word.text for word in truth]
    points_per_pixel = PixelToPdf(height_px=HEIGHT, dpi=DPI).points_per_pixel
    lines = {word: line for line in written.doc.pages[0].lines for word in line.words}
    for (text, box), word in zip(extracted, truth):
        line = lines[word].box.scale(points_per_pixel)
        ink = word.box.scale(points_per_pixel)
        # pdftotext reports points measured from the top, so only the scale differs from pixels.
        assert box.x0 == pytest.approx(ink.x0, abs=0.01) and box.x1 == pytest.approx(ink.x1, abs=0.01), text
        assert box.y0 == pytest.approx(line.y0, abs=0.01) and box.y1 == pytest.approx(line.y1, abs=0.01), text


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


# --- page pictures: embedded as the file stored them -----------------------------------------

def _saved(tmp_path: Path, name: str, picture: Image.Image, **options) -> Path:
    path = tmp_path / name
    picture.save(path, **options)
    return path


def _only_image(pdf_path: Path, page: int = 0):
    import pikepdf
    pdf = pikepdf.open(pdf_path)
    (image,) = [value for _, value in pdf.pages[page].obj.Resources.XObject.items()]
    return pdf, image


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_jpeg_is_embedded_byte_for_byte(tmp_path: Path, mode: str) -> None:
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (120, 90, 3), dtype=np.uint8)).convert(mode)
    path = _saved(tmp_path, "scan.jpg", picture, quality=75, dpi=(150, 150))
    (page_image,) = load_pages(path)
    assert page_image.encoded is not None
    doc = Document(pages=(Page(index=0, width=90, height=120, lines=(), dpi=page_image.dpi),))
    write_searchable_pdf(doc, [page_image], tmp_path / "out.pdf")
    pdf, image = _only_image(tmp_path / "out.pdf")
    with pdf:
        assert image.read_raw_bytes() == path.read_bytes()
        assert image.Filter == "/DCTDecode"
        assert [float(v) for v in pdf.pages[0].mediabox] == [0, 0, 43.2, 57.6]  # 90 x 120 px at 150 dpi


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P"])
def test_png_data_is_embedded_unchanged_and_decodes_to_the_same_pixels(tmp_path: Path, mode: str) -> None:
    rng = np.random.default_rng(1)
    picture = Image.fromarray(rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)).convert(mode)
    path = _saved(tmp_path, "scan.png", picture)
    (page_image,) = load_pages(path)
    assert page_image.encoded is not None and page_image.dpi == 300.0
    doc = Document(pages=(Page(index=0, width=48, height=64, lines=(), dpi=300.0),))
    write_searchable_pdf(doc, [page_image], tmp_path / "out.pdf")
    pdf, image = _only_image(tmp_path / "out.pdf")
    with pdf:
        assert image.Filter == "/FlateDecode" and int(image.DecodeParms.Predictor) == 15
        import pikepdf
        decoded = np.asarray(pikepdf.PdfImage(image).as_pil_image().convert("RGB"))
    assert np.array_equal(decoded, page_image.image)
    assert [float(v) for v in pdf.pages[0].mediabox] == [0, 0, 11.52, 15.36]  # default 300 dpi


def test_pictures_that_were_changed_on_loading_are_encoded_afresh(tmp_path: Path) -> None:
    """A JPEG turned upright by its EXIF tag, or a PNG with transparency, is not the file's picture."""
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = _saved(tmp_path, "turned.jpg", Image.new("RGB", (40, 20), "white"), exif=exif)
    transparent = _saved(tmp_path, "alpha.png", Image.new("RGBA", (40, 20), (0, 0, 0, 0)))
    for path in (turned, transparent):
        (page_image,) = load_pages(path)
        assert page_image.encoded is None
        doc = Document(pages=(Page(index=0, width=page_image.width, height=page_image.height, lines=()),))
        write_searchable_pdf(doc, [page_image], tmp_path / "out.pdf")
        (back,) = load_pages(tmp_path / "out.pdf", pdf_dpi=300)
        assert back.image.shape == page_image.image.shape


def test_several_images_make_one_multi_page_pdf(tmp_path: Path) -> None:
    pages = [drawn_page(LINES[:1]), drawn_page(LINES[1:])]
    doc = Document(pages=tuple(Page(index=i, width=p.width, height=p.height, lines=p.lines, dpi=p.dpi)
                               for i, (_, p) in enumerate(pages)))
    write_searchable_pdf(doc, [image for image, _ in pages], tmp_path / "two.pdf")
    assert [len(words) for words in _pdftotext_pages(tmp_path / "two.pdf")] == [5, 9]


def _pdftotext_pages(path: Path) -> list[list[str]]:
    return [page.split() for page in pdftotext(path).split("\f")[:-1]]


# --- the text layer's parts ------------------------------------------------------------------

def test_glyphless_font_is_a_valid_truetype_font_with_matching_metrics() -> None:
    import io as _io

    from fontTools.ttLib import TTFont

    from lector.export.glyphless_font import ADVANCE, ASCENT, DESCENT, glyphless_font
    font = TTFont(_io.BytesIO(glyphless_font()), checkChecksums=2)  # raises on a bad checksum
    assert font["head"].unitsPerEm == 1000 and ASCENT - DESCENT == 1000
    assert (font["hhea"].ascent, font["hhea"].descent) == (ASCENT, DESCENT)
    assert (font["OS/2"].sTypoAscender, font["OS/2"].sTypoDescender) == (ASCENT, DESCENT)
    assert (font["OS/2"].usWinAscent, font["OS/2"].usWinDescent) == (ASCENT, -DESCENT)
    assert {name: font["hmtx"][name][0] for name in font.getGlyphOrder()} == {".notdef": ADVANCE, "space": ADVANCE}
    glyph = font["glyf"]["space"]
    assert (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax) == (0, DESCENT, ADVANCE, ASCENT)
    assert font["OS/2"].fsType == 0  # installable: may be embedded
    assert len(glyphless_font()) < 1000


def test_to_unicode_cmap_maps_every_code_back() -> None:
    from lector.export.text_layer import to_unicode_cmap
    cmap = to_unicode_cmap({"a": 1, "€": 2, "𝔘": 3, " ": 4}).decode("ascii")
    assert "<0001> <0061>" in cmap and "<0002> <20AC>" in cmap and "<0003> <D835DD18>" in cmap
    assert "<0004> <0020>" in cmap and "4 beginbfchar" in cmap
    many = to_unicode_cmap({chr(0x4E00 + i): i + 1 for i in range(250)}).decode("ascii")
    assert many.count("beginbfchar") == 3 and "100 beginbfchar" in many and "50 beginbfchar" in many


def test_runs_fit_each_word_and_the_gaps_between() -> None:
    from lector.export.text_layer import DESCENT_EM, LayerConfig, line_runs
    to_pdf = PixelToPdf(height_px=1000, dpi=72)  # one pixel is one point
    line = Line.from_words([Word("ab", Box(10, 100, 50, 120), 0.9), Word("c", Box(60, 95, 70, 120), 0.9),
                            Word("de", Box(71, 100, 90, 120), 0.9)])
    runs = line_runs(line, to_pdf, LayerConfig(min_word_gap=0.2))
    assert [run.text for run in runs] == ["ab", " ", "c", " ", "de"]
    assert {run.font_size for run in runs} == {25.0} and {run.baseline for run in runs} == {880 - DESCENT_EM * 25}
    assert (runs[0].x, runs[0].x + runs[0].advance) == (10, 50)       # a wide gap: the box exactly
    assert runs[1].x == 50 and runs[1].x + runs[1].advance == 60      # the space ends where "c" starts
    # "c" and "de" are 1 pt apart; 5 pt (0.2 of 25) are opened, half from each side.
    assert runs[2].x + runs[2].advance == pytest.approx(68)
    assert runs[4].x == pytest.approx(73)
    assert runs[3].x == runs[2].x + runs[2].advance and runs[3].x + runs[3].advance == pytest.approx(runs[4].x)
    for run in runs:
        assert run.box.y0 == pytest.approx(880) and run.box.y1 == pytest.approx(905)


def test_text_is_cleaned_of_controls_and_empty_words_dropped() -> None:
    from lector.export.text_layer import clean_text, line_runs
    assert clean_text("a\tb\x00c\n") == "a bc"
    line = Line.from_words([Word("", Box(0, 0, 5, 5), 0.9), Word("ok", Box(10, 0, 20, 5), 0.9)])
    assert [run.text for run in line_runs(line, PixelToPdf(height_px=10, dpi=72))] == ["ok"]


# --- hOCR and ALTO ---------------------------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def test_hocr_parses_back_to_the_document(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ElementTree

    from lector.export.hocr import write_hocr
    doc = sample_document()
    write_hocr(doc, tmp_path / "out.hocr")
    root = ElementTree.parse(tmp_path / "out.hocr").getroot()
    capabilities = root.find(f"{XHTML}head/{XHTML}meta[@name='ocr-capabilities']").get("content").split()
    pages = [div for div in root.iter(f"{XHTML}div") if div.get("class") == "ocr_page"]
    assert len(pages) == 2 and {"ocr_page", "ocr_line", "ocrx_word"} <= set(capabilities)
    assert "bbox 0 0 800 600" in pages[0].get("title") and "ppageno 0" in pages[0].get("title")
    words = [span for span in pages[0].iter(f"{XHTML}span") if span.get("class") == "ocrx_word"]
    assert [w.text for w in words] == ["Café", "€3.50", "second"]
    assert words[0].get("title") == "bbox 10 20 80 44; x_wconf 97"
    assert words[1].get("title") == "bbox 90 20 160 45; x_wconf 61"
    lines = [span for span in pages[0].iter(f"{XHTML}span") if span.get("class") == "ocr_line"]
    assert [len([s for s in line if s.get("class") == "ocrx_word"]) for line in lines] == [2, 1]
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    assert "".join(lines[0].itertext()) == "Café €3.50"


def test_alto_is_valid_and_parses_back(tmp_path: Path) -> None:
    from lxml import etree

    from lector.export.alto import write_alto
    doc = Document(pages=sample_document().pages + (Page(index=2, width=100, height=50, lines=(
        Line.from_words([Word('a<b & "c"', Box(1, 2, 30, 20), 1.2), Word("\x07", Box(40, 2, 50, 20), 0.5)]),)),),
        source="scan & co.tif")
    write_alto(doc, tmp_path / "out.xml")
    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "alto-4-lector-subset.xsd")))
    tree = etree.parse(str(tmp_path / "out.xml"))
    schema.assertValid(tree)
    pages = tree.getroot().findall(f"{ALTO}Layout/{ALTO}Page")
    assert [p.get("PHYSICAL_IMG_NR") for p in pages] == ["1", "2", "3"]
    strings = pages[0].findall(f".//{ALTO}String")
    assert [s.get("CONTENT") for s in strings] == ["Café", "€3.50", "second"]
    assert [(s.get("HPOS"), s.get("VPOS"), s.get("WIDTH"), s.get("HEIGHT")) for s in strings[:2]] == [
        ("10", "20", "70", "24"), ("90", "20", "70", "25")]
    assert [s.get("WC") for s in strings] == ["0.9700", "0.6123", "0.5000"]
    (space,) = pages[0].findall(f".//{ALTO}SP")
    assert (space.get("HPOS"), space.get("WIDTH")) == ("80", "10")
    assert pages[1].find(f".//{ALTO}TextBlock") is None  # a page without words has no block
    assert [s.get("CONTENT") for s in pages[2].iter(f"{ALTO}String")] == ['a<b & "c"']  # the control word is dropped
    assert pages[2].find(f".//{ALTO}String").get("WC") == "1.0000"
    assert tree.getroot().find(f".//{ALTO}fileName").text == "scan & co.tif"
