"""Text layers on existing PDFs: on the right spot whatever the page's boxes, turn and unit.

Each fixture page shows a scan: a picture of known words that fills the page's crop box and is
placed so that it reads upright after the page's /Rotate (the placement matrices are written out
here by hand for each turn, and a poppler rendering checks that the page really shows the
picture upright). The page is rendered through PdfSource, its words are found in the pixels by
a plain ink finder, the layer is added, and poppler, pdfplumber, PDFium and MuPDF must find
each word where the picture shows it. The page must look exactly as before, its own content
streams must be untouched, and qpdf must find the file sound.
"""
from __future__ import annotations

import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfgen import canvas

from lector.core.document import Line, Page, Word
from lector.core.errors import EncryptedPDF, InputError, PageTooLarge
from lector.core.geometry import Box
from lector.export.pdf_export import write_searchable_pdf
from lector.io.load import PageImage, image_from_array
from lector.io.pdf_source import PageText, PdfSource
from lector.pdf_ocr import Action, PdfMode, layer_pdf, ocr_pdf, parse_page_ranges, plan_pages
from pdf_readers import WORD_READERS, _user_to_display_top_left, pdftotext_pages
from test_pdf_matrix import render_pages

TOOLS = ("pdftotext", "pdftoppm", "mutool", "qpdf")
pytestmark = pytest.mark.skipif(not all(shutil.which(tool) for tool in TOOLS),
                                reason="needs poppler-utils, mupdf-tools and qpdf")
WORDS = [["Invoice", "number", "XK"], ["paid", "on", "Monday", "March"]]
RENDER_DPI = 150  # the pictures are drawn at 150 pixels per inch too


@dataclass(frozen=True)
class Case:
    name: str
    mediabox: tuple[float, float, float, float]
    cropbox: tuple[float, float, float, float] | None
    rotate: int
    user_unit: float = 1.0


CASES = [
    Case("plain", (0, 0, 612, 792), None, 0),
    Case("rotate-90-cropped", (0, 0, 612, 792), (50, 60, 560, 700), 90),
    Case("rotate-180-offset", (100, 200, 712, 992), (150, 250, 650, 900), 180),
    Case("rotate-270-negative", (-300, -400, 312, 392), (-250, -300, 250, 300), 270),
    Case("userunit-2", (0, 0, 306, 396), (20, 30, 290, 380), 0, 2.0),
    Case("rotate-90-userunit-2", (0, 0, 306, 396), (10, 10, 300, 390), 90, 2.0),
]


# --- fixtures -------------------------------------------------------------------------------

def scan_picture(width: int, height: int, lines: list[list[str]] = WORDS) -> tuple[Image.Image, list[list[Box]]]:
    """Words drawn big on white; returns the picture and each word's box (ink across, line band down)."""
    picture = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(picture)
    size = min(height // 16, width // 14)
    font = ImageFont.truetype("DejaVuSans.ttf", size)
    drawn = []
    for row, words in enumerate(lines):
        x, y = width // 10, height // 6 + row * size * 2
        spans = []
        for text in words:
            draw.text((x, y), text, font=font, fill=0)
            spans.append(draw.textbbox((x, y), text, font=font))
            x = int(spans[-1][2]) + size * 7 // 10
        drawn.append(spans)
    # Each word's ink as the ink finder below sees it (dark = under 128), inside Pillow's box.
    dark = np.asarray(picture) < 128
    boxes = []
    for spans in drawn:
        ink = []
        for x0, y0, x1, y1 in spans:
            rows, columns = np.nonzero(dark[y0:y1, x0:x1])
            ink.append(Box(float(x0 + columns.min()), float(y0 + rows.min()),
                           float(x0 + columns.max() + 1), float(y0 + rows.max() + 1)))
        top, bottom = min(b.y0 for b in ink), max(b.y1 for b in ink)
        boxes.append([Box(b.x0, top, b.x1, bottom) for b in ink])
    return picture, boxes


def placement(case: Case) -> tuple[float, ...]:
    """The `cm` that lays the picture's unit square over the crop box so it reads upright once
    the page is turned by /Rotate (clockwise). Written out per turn, independently of Lector."""
    x0, y0, x1, y1 = case.cropbox or case.mediabox
    width, height = x1 - x0, y1 - y0
    return {0: (width, 0, 0, height, x0, y0),
            90: (0, height, -width, 0, x1, y0),
            180: (-width, 0, 0, -height, x1, y1),
            270: (0, -height, width, 0, x0, y1)}[case.rotate]


def display_size(case: Case) -> tuple[float, float]:
    """The shown page's size in points."""
    x0, y0, x1, y1 = case.cropbox or case.mediabox
    width, height = (x1 - x0) * case.user_unit, (y1 - y0) * case.user_unit
    return (height, width) if case.rotate in (90, 270) else (width, height)


def scan_pdf(path: Path, case: Case, pixels_per_point: float = 150 / 72) -> list[list[Box]]:
    """A one-page PDF of `case` showing a scan; returns word boxes as fractions of the shown page."""
    width_pt, height_pt = display_size(case)
    width, height = round(width_pt * pixels_per_point), round(height_pt * pixels_per_point)
    picture, boxes = scan_picture(width, height)
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    page.obj.MediaBox = pikepdf.Array(case.mediabox)
    if case.cropbox:
        page.obj.CropBox = pikepdf.Array(case.cropbox)
    if case.rotate:
        page.obj.Rotate = case.rotate
    if case.user_unit != 1.0:
        page.obj.UserUnit = case.user_unit
    image = pdf.make_stream(zlib.compress(picture.tobytes()), Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Image, Width=width, Height=height,
                            ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                            Filter=pikepdf.Name.FlateDecode)
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Scan=image))
    matrix = " ".join(f"{v:.4f}" for v in placement(case))
    # Deliberately unbalanced (a q left open, a colour and matrix set): the layer must cope.
    page.obj.Contents = pdf.make_stream(f"q {matrix} cm /Scan Do Q q 0.5 0 0 0.5 0 0 cm 1 0 0 rg\n".encode())
    pdf.save(path)
    return [[Box(b.x0 / width, b.y0 / height, b.x1 / width, b.y1 / height) for b in line] for line in boxes]


def ink_words(image: PageImage, lines: list[list[str]] = WORDS) -> Page:
    """Find the words in the pixels (dark runs, split where the gap is over a third of the line
    height) and name them with `lines`, in reading order: a real, if plain, reader."""
    dark = image.image.min(axis=2) < 128
    rows = np.flatnonzero(dark.any(axis=1))
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 3) + 1)
    assert len(bands) == len(lines), f"found {len(bands)} lines of ink"
    page_lines = []
    for band, texts in zip(bands, lines):
        top, bottom = float(band[0]), float(band[-1] + 1)
        columns = np.flatnonzero(dark[band[0]:band[-1] + 1].any(axis=0))
        runs = np.split(columns, np.flatnonzero(np.diff(columns) > (bottom - top) / 3) + 1)
        assert len(runs) == len(texts), f"found {len(runs)} words, not {len(texts)}"
        page_lines.append(Line.from_words([Word(text, Box(float(run[0]), top, float(run[-1] + 1), bottom), 0.9)
                                           for run, text in zip(runs, texts)]))
    return Page(index=image.index, width=image.width, height=image.height, lines=tuple(page_lines),
                dpi=image.dpi)


@dataclass(frozen=True)
class Layered:
    case: Case
    source: Path
    output: Path
    truth: list[list[Box]]


@pytest.fixture(scope="module", params=CASES, ids=[case.name for case in CASES])
def layered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Layered:
    case: Case = request.param
    folder = tmp_path_factory.mktemp(case.name)
    source = folder / "scan.pdf"
    truth = scan_pdf(source, case)
    with PdfSource(source) as pdf:
        plans = plan_pages(pdf, PdfMode.SKIP)
        assert [plan.action for plan in plans] == [Action.LAYER]
        result = layer_pdf(pdf, plans, ink_words, dpi=RENDER_DPI)
    assert not result.problems
    output = folder / "layered.pdf"
    output.write_bytes(result.pdf)
    return Layered(case, source, output, truth)


# --- the layer on existing pages ---------------------------------------------------------------

def test_fixture_page_shows_the_scan_upright(layered: Layered, tmp_path: Path) -> None:
    """Checks the test's own placement matrices: poppler shows the picture the right way up."""
    (shown,) = render_pages(layered.source, tmp_path / "shown", "poppler", dpi=40)
    width, height = shown.shape[1], shown.shape[0]
    picture, _ = scan_picture(width, height)
    difference = np.abs(shown[:, :, 0].astype(int) - np.asarray(picture).astype(int))
    assert difference.mean() < 12


# Which page box each reader measures from: poppler's -bbox and pdfplumber the media box, PDFium
# and MuPDF the crop box. Either way the page is turned by /Rotate as a viewer shows it.
READER_FRAMES = {"pdftotext-bbox": "media", "pdfplumber": "media", "pdfium": "crop", "mupdf": "crop",
                 "position-only/mupdf": "crop"}


@pytest.mark.parametrize("reader", sorted(READER_FRAMES))
def test_words_are_found_where_the_scan_shows_them(layered: Layered, reader: str) -> None:
    (found,) = WORD_READERS[reader](layered.output)
    assert [word.text for word in found.items] == [w for line in WORDS for w in line]
    case = layered.case
    frame = case.mediabox if READER_FRAMES[reader] == "media" else (case.cropbox or case.mediabox)
    if READER_FRAMES[reader] == "media" and case.rotate:
        return  # how poppler and pdfminer place a turned media box is their own affair: order only
    for word, box in zip(found.items, [box for line in layered.truth for box in line]):
        expected = expected_box(case, box, frame)
        iou = found.relative(word.box).iou(expected)
        assert iou >= 0.9, f"{word.text}: IoU {iou:.3f} ({found.relative(word.box)} vs {expected})"


def expected_box(case: Case, picture_box: Box, frame: tuple[float, ...]) -> Box:
    """Where a box of the picture (fractions, y down) is shown, as fractions of `frame` turned by
    /Rotate: through the test's own placement matrix to user space, then onto the frame."""
    a, b, c, d, e, f = placement(case)
    corners = [(u, 1 - v) for u in (picture_box.x0, picture_box.x1) for v in (picture_box.y0, picture_box.y1)]
    xs = [a * u + c * v + e for u, v in corners]
    ys = [b * u + d * v + f for u, v in corners]
    user = Box(min(xs), min(ys), max(xs), max(ys))
    left, bottom, right, top = frame
    shown = _user_to_display_top_left(user, left, bottom, right, top, case.rotate)
    width, height = right - left, top - bottom
    if case.rotate in (90, 270):
        width, height = height, width
    return Box(shown.x0 / width, shown.y0 / height, shown.x1 / width, shown.y1 / height)


@pytest.mark.parametrize("renderer", ["poppler", "pdfium", "mupdf"])
def test_page_looks_exactly_as_before(layered: Layered, tmp_path: Path, renderer: str) -> None:
    (before,) = render_pages(layered.source, tmp_path / "before", renderer, dpi=50)
    (after,) = render_pages(layered.output, tmp_path / "after", renderer, dpi=50)
    assert np.array_equal(before, after)


def test_original_content_streams_are_untouched(layered: Layered) -> None:
    with pikepdf.open(layered.source) as before, pikepdf.open(layered.output) as after:
        original = before.pages[0].obj.Contents.read_bytes()
        streams = after.pages[0].obj.Contents
        assert isinstance(streams, pikepdf.Array)
        assert original in [stream.read_bytes() for stream in streams]
        for key in ("/MediaBox", "/CropBox", "/Rotate", "/UserUnit"):
            assert repr(before.pages[0].obj.get(key)) == repr(after.pages[0].obj.get(key))


def test_qpdf_finds_no_errors(layered: Layered) -> None:
    result = subprocess.run(["qpdf", "--check", str(layered.output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendering_has_the_requested_resolution(layered: Layered) -> None:
    """Pixels per inch of the page's real size, /UserUnit included."""
    with PdfSource(layered.source) as pdf:
        image = pdf.render(0, dpi=RENDER_DPI)
    width_pt, height_pt = display_size(layered.case)
    assert image.dpi == RENDER_DPI
    assert abs(image.width - width_pt * RENDER_DPI / 72) <= 1
    assert abs(image.height - height_pt * RENDER_DPI / 72) <= 1


# --- pages that already have text: skip, force, redo --------------------------------------

@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages: a scan without text, born-digital text, and a scan with an old OCR layer."""
    folder = tmp_path_factory.mktemp("mixed")
    scan = folder / "scan.pdf"
    scan_pdf(scan, CASES[0])
    text = folder / "text.pdf"
    drawing = canvas.Canvas(str(text), pagesize=(612, 792))
    drawing.setFont("Helvetica", 24)
    drawing.drawString(72, 700, "Visible born digital text")
    drawing.save()
    picture, _ = scan_picture(850, 1100)
    old_words = Line.from_words([Word("old", Box(100, 100, 200, 140), 0.9), Word("layer", Box(220, 100, 330, 140), 0.9)])
    old = folder / "old-ocr.pdf"
    write_searchable_pdf_page(old, picture, Page(index=0, width=850, height=1100, lines=(old_words,), dpi=100))
    mixed = folder / "mixed.pdf"
    with pikepdf.new() as pdf:
        for part in (scan, text, old):
            with pikepdf.open(part) as other:
                pdf.pages.extend(other.pages)
        pdf.save(mixed)
    return mixed


def write_searchable_pdf_page(path: Path, picture: Image.Image, page: Page) -> None:
    write_searchable_pdf(_doc(page), [image_from_array(np.asarray(picture), dpi=page.dpi)], path)


def _doc(page: Page):
    from lector.core.document import Document
    return Document(pages=(page,))


def fresh_words(image: PageImage) -> Page:
    """A reader that finds the same three words on any page (what matters here is where they go)."""
    line = Line.from_words([Word(text, Box(60 + 160 * i, 80, 200 + 160 * i, 120), 0.9)
                            for i, text in enumerate(["fresh", "words", "here"])])
    return Page(index=image.index, width=image.width, height=image.height, lines=(line,), dpi=image.dpi)


@pytest.mark.parametrize("mode,actions", [
    (PdfMode.SKIP, [Action.LAYER, Action.SKIP, Action.SKIP]),
    (PdfMode.FORCE, [Action.LAYER, Action.RASTERISE, Action.RASTERISE]),
    (PdfMode.REDO, [Action.LAYER, Action.SKIP, Action.REDO]),
])
def test_mode_decides_what_happens_to_pages_with_text(mixed_pdf: Path, mode: PdfMode, actions: list) -> None:
    with PdfSource(mixed_pdf) as pdf:
        assert [pdf.page_info(i).text for i in range(3)] == [PageText.NONE, PageText.VISIBLE, PageText.INVISIBLE]
        assert [plan.action for plan in plan_pages(pdf, mode)] == actions


def test_redo_replaces_the_old_layer_and_keeps_visible_text(mixed_pdf: Path, tmp_path: Path) -> None:
    result = ocr_pdf(mixed_pdf, lambda pixels, index, dpi: fresh_words(
        PageImage(pixels, index, dpi, "")), mode=PdfMode.REDO, dpi=72)
    output = tmp_path / "redo.pdf"
    output.write_bytes(result.pdf)
    pages = pdftotext_pages(output)
    assert pages[0] == ["fresh", "words", "here"]
    assert pages[1] == ["Visible", "born", "digital", "text"]
    assert pages[2] == ["fresh", "words", "here"]  # "old layer" is gone
    assert [p.meta.get("pdf_layer") for p in result.document.pages] == ["layer", None, "redo"]
    with pikepdf.open(mixed_pdf) as before, pikepdf.open(output) as after:
        assert before.pages[1].obj.Contents.read_bytes() == after.pages[1].obj.Contents.read_bytes()
    for renderer in ("poppler", "mupdf"):
        before_pixels = render_pages(mixed_pdf, tmp_path / f"b-{renderer}", renderer, dpi=30)
        after_pixels = render_pages(output, tmp_path / f"a-{renderer}", renderer, dpi=30)
        assert all(np.array_equal(b, a) for b, a in zip(before_pixels, after_pixels))


def test_force_rasterises_pages_with_text(mixed_pdf: Path, tmp_path: Path) -> None:
    result = ocr_pdf(mixed_pdf, lambda pixels, index, dpi: fresh_words(
        PageImage(pixels, index, dpi, "")), mode=PdfMode.FORCE, dpi=100)
    output = tmp_path / "force.pdf"
    output.write_bytes(result.pdf)
    assert pdftotext_pages(output) == [["fresh", "words", "here"]] * 3
    before = render_pages(mixed_pdf, tmp_path / "before", "poppler", dpi=30)
    after = render_pages(output, tmp_path / "after", "poppler", dpi=30)
    for old, new in zip(before, after):  # the page still looks the same, now as a picture
        assert old.shape == new.shape
        assert np.abs(old.astype(int) - new.astype(int)).mean() < 3


def test_pages_option_limits_the_pages_read(mixed_pdf: Path) -> None:
    assert parse_page_ranges("1,3-") == set(range(0, 1)) | set(range(2, 1_000_000))
    result = ocr_pdf(mixed_pdf, lambda pixels, index, dpi: fresh_words(PageImage(pixels, index, dpi, "")),
                     page_numbers={0}, dpi=72)
    assert [page.index for page in result.document.pages] == [0]
    with pytest.raises(InputError):
        parse_page_ranges("3-1")
    with pytest.raises(InputError):
        ocr_pdf(mixed_pdf, lambda *a: None, page_numbers={7})


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["secret", ""])
def test_encrypted_pdf_is_refused_with_exit_code_8(mixed_pdf: Path, tmp_path: Path, user: str) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(mixed_pdf) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user=user))
    with pytest.raises(EncryptedPDF) as caught:
        PdfSource(locked)
    assert caught.value.exit_code == 8 and str(locked) in str(caught.value)


def test_broken_xref_is_repaired(tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    scan_pdf(good, CASES[0])
    data = good.read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data.replace(b"startxref", b"startxref\n1").replace(b"xref\n0 ", b"xref\n9 "))
    result = ocr_pdf(broken, lambda pixels, index, dpi: ink_words(PageImage(pixels, index, dpi, "")), dpi=72)
    output = tmp_path / "out.pdf"
    output.write_bytes(result.pdf)
    assert pdftotext_pages(output) == [[w for line in WORDS for w in line]]
    assert subprocess.run(["qpdf", "--check", str(output)], capture_output=True).returncode == 0


def test_pdf_without_pages(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    pikepdf.new().save(empty)
    with pytest.raises(InputError, match="no pages"):
        PdfSource(empty)


def test_one_huge_page_is_reported_and_the_others_done(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan_pdf(scan, CASES[0])
    huge = tmp_path / "huge.pdf"
    with pikepdf.open(scan) as pdf:
        pdf.pages.append(pdf.pages[0])
        pdf.pages.append(pdf.pages[0])
        pdf.pages[1].obj.MediaBox = pikepdf.Array([0, 0, 20000, 20000])
        pdf.save(huge)
    result = ocr_pdf(huge, lambda pixels, index, dpi: ink_words(PageImage(pixels, index, dpi, "")), dpi=72)
    assert len(result.problems) == 1
    (problem,) = result.problems
    assert isinstance(problem, PageTooLarge) and problem.exit_code == 3 and "page 2" in str(problem)
    output = tmp_path / "out.pdf"
    output.write_bytes(result.pdf)
    words = [w for line in WORDS for w in line]
    assert pdftotext_pages(output) == [words, [], words]
    assert "error" in result.document.pages[1].meta


def test_redo_strips_an_old_layer_inside_a_form_xobject(tmp_path: Path) -> None:
    """OCRmyPDF puts its layer in a Form XObject; redo finds it there too."""
    scan = tmp_path / "scan.pdf"
    scan_pdf(scan, CASES[0])
    with pikepdf.open(scan) as pdf:
        helvetica = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                         BaseFont=pikepdf.Name.Helvetica))
        form = pdf.make_stream(b"BT 3 Tr /F1 30 Tf 72 600 Td (ancient words) Tj ET BT 0 Tr /F1 10 Tf 72 50 Td (kept) Tj ET",
                               Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                               BBox=pikepdf.Array([0, 0, 612, 792]),
                               Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica)))
        page = pdf.pages[0]
        page.obj.Resources.XObject.OldOCR = form
        page.contents_add(pdf.make_stream(b"Q q /OldOCR Do Q"))
        pdf.save(tmp_path / "old.pdf")
    with PdfSource(tmp_path / "old.pdf") as source:
        assert source.page_info(0).text is PageText.VISIBLE  # "kept" is visible text
    with pikepdf.open(tmp_path / "old.pdf") as pdf:
        from lector.export.pdf_overlay import strip_invisible_text
        assert strip_invisible_text(pdf, pdf.pages[0]) == 1
        pdf.save(tmp_path / "stripped.pdf")
    assert pdftotext_pages(tmp_path / "stripped.pdf") == [["kept"]]
