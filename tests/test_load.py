"""Decoding inputs: every bad input raises its typed error naming the file; good inputs give RGB pages.

Fixtures are real files made in tmp_path: images saved by Pillow, PDFs by reportlab and pikepdf,
then damaged the way files get damaged (cut short, xref offsets wrong, a header that lies).
"""
from __future__ import annotations

import io
import re
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from lector.core.errors import (BrokenPDF, EncryptedPDF, InputError, PageTooLarge,
                                UnsupportedFormat)
from lector.io.load import PageImage, image_from_array, load_pages


def noise_image(width: int = 240, height: int = 160, seed: int = 0) -> Image.Image:
    """Random pixels: an encoder cannot squeeze them, so half the file is half the picture."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def letter_pdf(path: Path, pages: int = 2) -> Path:
    """A real PDF of US-letter pages (612 x 792 pt) with a line of text on each."""
    drawing = canvas.Canvas(str(path), pagesize=(612, 792))
    for number in range(pages):
        drawing.drawString(72, 700, f"Page {number + 1} of the fixture")
        drawing.showPage()
    drawing.save()
    return path


def expect_error(error_type: type[InputError], path: Path, fragment: str, **kwargs) -> InputError:
    with pytest.raises(error_type) as caught:
        load_pages(path, **kwargs)
    err = caught.value
    assert err.path == str(path)
    assert str(path) in str(err)
    assert fragment in str(err)
    assert "\n" not in str(err)
    return err


# --- bad inputs ---------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    err = expect_error(InputError, tmp_path / "nope.png", "no such file")
    assert err.exit_code == 2


def test_directory(tmp_path: Path) -> None:
    expect_error(InputError, tmp_path, "directory")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    expect_error(InputError, path, "empty")


def test_text_file_is_unsupported_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("Shopping list:\n- eggs\n- milk\n")
    err = expect_error(UnsupportedFormat, path, "not an image or PDF")
    assert err.exit_code == 2


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image_raises_instead_of_returning_grey(tmp_path: Path, fmt: str) -> None:
    whole = io.BytesIO()
    noise_image().save(whole, format=fmt)
    data = whole.getvalue()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    err = expect_error(InputError, path, "truncated")
    assert not isinstance(err, (UnsupportedFormat, PageTooLarge))


def test_image_header_too_large_is_refused_without_decoding(tmp_path: Path) -> None:
    """A 10x10 PNG whose IHDR claims 20000 x 6000 (120 Mpx): refused from the header alone."""
    data = bytearray(_png_bytes(Image.new("L", (10, 10), 255)))
    _patch_png_size(data, 20_000, 6_000)
    path = tmp_path / "bomb.png"
    path.write_bytes(bytes(data))
    started = time.perf_counter()
    err = expect_error(PageTooLarge, path, "20000 x 6000")
    assert time.perf_counter() - started < 0.5
    assert err.exit_code == 3


def test_image_over_pillows_own_bomb_limit_is_page_too_large(tmp_path: Path) -> None:
    """Past twice Pillow's MAX_IMAGE_PIXELS, Pillow itself refuses; that too is PageTooLarge."""
    data = bytearray(_png_bytes(Image.new("L", (10, 10), 255)))
    _patch_png_size(data, 30_000, 30_000)
    path = tmp_path / "bigger-bomb.png"
    path.write_bytes(bytes(data))
    expect_error(PageTooLarge, path, "decompression-bomb", max_pixels=10**10)


def test_tiff_page_over_limit(tmp_path: Path) -> None:
    frames = [Image.new("L", (100, 100), 200), Image.new("L", (400, 400), 200)]
    path = tmp_path / "two-sizes.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    expect_error(PageTooLarge, path, "TIFF page 2", max_pixels=50_000)


def test_pdf_with_broken_xref_is_repaired(tmp_path: Path) -> None:
    data = letter_pdf(tmp_path / "good.pdf").read_bytes()
    xref_at = data.rindex(b"\nxref\n")
    tail = re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 17), data[xref_at:])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n999999", tail)
    assert tail != data[xref_at:]
    path = tmp_path / "broken-xref.pdf"
    path.write_bytes(data[:xref_at] + tail)
    pages = load_pages(path, pdf_dpi=72)
    assert [(p.width, p.height) for p in pages] == [(612, 792), (612, 792)]


def test_pdf_whose_page_tree_overstates_its_pages_is_repaired(tmp_path: Path) -> None:
    """PDFium believes /Count 7 and fails on page 3; the qpdf-repaired copy has the real 2."""
    data = letter_pdf(tmp_path / "good.pdf").read_bytes()
    assert data.count(b"/Count 2") == 1
    path = tmp_path / "count7.pdf"
    path.write_bytes(data.replace(b"/Count 2", b"/Count 7"))
    pages = load_pages(path, pdf_dpi=72)
    assert [p.index for p in pages] == [0, 1]


@pytest.mark.parametrize("cut", [0.3, None])
def test_unparseable_pdf_is_broken(tmp_path: Path, cut: float | None) -> None:
    """A PDF cut short before any object's end, or a PDF header over garbage: BrokenPDF."""
    data = letter_pdf(tmp_path / "good.pdf").read_bytes()
    path = tmp_path / "broken.pdf"
    path.write_bytes(data[: int(len(data) * cut)] if cut else b"%PDF-1.4\n" + b"garbage " * 200)
    err = expect_error(BrokenPDF, path, "cannot parse PDF")
    assert err.exit_code == 2


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = letter_pdf(tmp_path / "plain.pdf")
    path = tmp_path / "locked.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner-pw", user="secret"))
    err = expect_error(EncryptedPDF, path, "password")
    assert err.exit_code == 8


def test_pdf_without_pages(tmp_path: Path) -> None:
    path = tmp_path / "zero.pdf"
    pikepdf.Pdf.new().save(path)
    expect_error(InputError, path, "PDF has no pages")


def test_pdf_page_lowered_dpi_to_fit_limit(tmp_path: Path) -> None:
    path = letter_pdf(tmp_path / "letter.pdf", pages=1)
    (page,) = load_pages(path, pdf_dpi=300, max_pixels=2_000_000)
    assert page.width * page.height <= 2_000_000
    assert 140 < page.dpi < 300
    assert page.width == pytest.approx(612 * page.dpi / 72, abs=1)


def test_pdf_page_that_only_fits_at_a_useless_dpi(tmp_path: Path) -> None:
    path = letter_pdf(tmp_path / "letter.pdf", pages=1)
    expect_error(PageTooLarge, path, "dpi", max_pixels=100_000)


def test_absurd_pdf_page_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(20_000, 500))
    drawing.showPage()
    drawing.save()
    expect_error(PageTooLarge, path, "20000 x 500 pt")


# --- good inputs --------------------------------------------------------------------------

def test_png_pixels_come_back_exactly(tmp_path: Path) -> None:
    picture = noise_image()
    path = tmp_path / "page.png"
    picture.save(path)
    (page,) = load_pages(path)
    assert isinstance(page, PageImage)
    assert page.image.dtype == np.uint8 and page.image.shape == (160, 240, 3)
    assert np.array_equal(page.image, np.asarray(picture))
    assert (page.index, page.dpi, page.source) == (0, 300.0, str(path))


def test_jpeg_dpi_is_read(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    noise_image().save(path, dpi=(200, 200), quality=90)
    (page,) = load_pages(path)
    assert page.dpi == pytest.approx(200)
    assert page.image.shape == (160, 240, 3)


def test_absurd_dpi_falls_back_to_default(tmp_path: Path) -> None:
    path = tmp_path / "odd.png"
    noise_image().save(path, dpi=(5, 5))
    assert load_pages(path)[0].dpi == 300.0


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    noise_image().save(path, format="PNG")
    assert load_pages(path)[0].image.shape == (160, 240, 3)


def test_multipage_tiff_gives_each_page(tmp_path: Path) -> None:
    frames = [Image.new("L", (300, 200), 0), Image.new("L", (300, 200), 255)]
    path = tmp_path / "pages.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    pages = load_pages(path)
    assert [p.index for p in pages] == [0, 1]
    assert all(p.image.shape == (200, 300, 3) and p.dpi == pytest.approx(150) for p in pages)
    assert pages[0].image.max() == 0 and pages[1].image.min() == 255


def test_fax_resolution_is_resampled_to_square_pixels(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    Image.new("1", (408, 98), 1).save(path, dpi=(204, 98))
    (page,) = load_pages(path)
    assert (page.width, page.height, page.dpi) == (408, 204, pytest.approx(204))


def test_pdf_pages_render_at_300_dpi(tmp_path: Path) -> None:
    pages = load_pages(letter_pdf(tmp_path / "two.pdf"))
    assert [p.index for p in pages] == [0, 1]
    for page in pages:
        assert page.image.shape == (3300, 2550, 3) and page.image.dtype == np.uint8
        assert page.dpi == 300.0
        assert page.image.min() < 100 < 250 < np.median(page.image)  # black text on white


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((20, 30, 4), dtype=np.uint8)
    rgba[:, :15] = (255, 0, 0, 255)  # opaque red
    rgba[:, 15:] = (0, 0, 0, 0)  # fully transparent
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    (page,) = load_pages(path)
    assert page.image.shape == (20, 30, 3)
    assert tuple(page.image[0, 0]) == (255, 0, 0)
    assert tuple(page.image[0, 29]) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "1", "P"])
def test_grey_binary_and_palette_become_rgb(tmp_path: Path, mode: str) -> None:
    grey = np.tile(np.array([0, 255], dtype=np.uint8), (10, 10))
    path = tmp_path / f"{mode}.png"
    Image.fromarray(grey).convert(mode).save(path)
    (page,) = load_pages(path)
    assert page.image.shape == (10, 20, 3)
    assert np.array_equal(page.image[:, :, 0], grey) and np.array_equal(page.image[:, :, 2], grey)


def test_sixteen_bit_grey_is_scaled_to_eight(tmp_path: Path) -> None:
    samples = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(samples).save(path)
    (page,) = load_pages(path)
    assert page.image[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways; the camera says rotate 90 degrees clockwise to view
    path = tmp_path / "phone.jpg"
    noise_image(240, 160).save(path, exif=exif)
    (page,) = load_pages(path)
    assert page.image.shape == (240, 160, 3)


def test_image_from_array_accepts_grey_rgb_rgba_and_floats() -> None:
    grey = np.full((4, 5), 7, dtype=np.uint8)
    assert image_from_array(grey).image.shape == (4, 5, 3)
    rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    page = image_from_array(rgb, dpi=150)
    assert page.dpi == 150 and page.image is not rgb
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    assert image_from_array(rgba).image.min() == 255  # transparent black is white paper
    assert image_from_array(np.ones((4, 5), dtype=bool)).image.min() == 255
    assert image_from_array(np.full((4, 5), 0.5)).image.max() == 128


@pytest.mark.parametrize("array", [np.zeros((4, 5, 2), np.uint8), np.zeros((0, 5), np.uint8),
                                   np.full((4, 5), 3.0), np.zeros(5, np.uint8)])
def test_image_from_array_refuses_what_is_not_an_image(array: np.ndarray) -> None:
    with pytest.raises(InputError):
        image_from_array(array)


# --- helpers --------------------------------------------------------------------------------

def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _patch_png_size(data: bytearray, width: int, height: int) -> None:
    """Rewrite IHDR's width and height and fix its CRC, so the header is valid but lies."""
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))


# --- the file's own picture, kept for the PDF writer ----------------------------------------

def test_jpeg_and_png_keep_their_bytes_when_they_are_the_pixels(tmp_path: Path) -> None:
    jpeg, png = tmp_path / "a.jpg", tmp_path / "b.png"
    noise_image().save(jpeg, quality=80)
    noise_image().save(png)
    for path, kind in ((jpeg, "JPEG"), (png, "PNG")):
        (page,) = load_pages(path)
        assert page.encoded is not None and page.encoded.format == kind
        assert page.encoded.data == path.read_bytes()


@pytest.mark.parametrize("name,save", [
    ("turned.jpg", lambda image, path: image.save(path, exif=_orientation(6))),
    ("alpha.png", lambda image, path: image.convert("RGBA").save(path)),
    ("palette-transparent.png", lambda image, path: image.convert("P").save(path, transparency=0)),
    ("page.tif", lambda image, path: image.save(path)),
    ("fax.png", lambda image, path: image.save(path, dpi=(200, 100))),
])
def test_no_bytes_kept_where_the_pixels_differ_from_the_file(tmp_path: Path, name: str, save) -> None:
    path = tmp_path / name
    save(noise_image(), path)
    (page,) = load_pages(path)
    assert page.encoded is None


def test_file_kind_comes_from_the_content(tmp_path: Path) -> None:
    from lector.io.load import file_kind
    path = tmp_path / "really-a-pdf.png"
    path.write_bytes(letter_pdf(tmp_path / "x.pdf", pages=1).read_bytes())
    assert file_kind(path) == "PDF"
    with pytest.raises(InputError):
        file_kind(tmp_path / "missing.pdf")


def _orientation(value: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif
