"""Decode an input file (image or PDF) into RGB page images, checking limits before decoding.

The file type comes from its first bytes, never its name, so a misnamed file is read right
and a text file renamed `.png` is refused with a clear message. Sizes are checked from the
header (images) or the page box (PDFs) before any pixels are decoded: a decompression bomb
costs a header read, not the memory. Every failure is a typed `InputError` naming the file.
"""
from __future__ import annotations

import dataclasses
import io
import logging
import math
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps, ImageSequence

from lector.core.errors import BrokenPDF, EncryptedPDF, InputError, PageTooLarge, UnsupportedFormat

log = logging.getLogger(__name__)

DEFAULT_DPI = 300.0
# Resolutions outside this range are placeholders or mistakes, not a scan's real resolution.
MIN_SANE_DPI, MAX_SANE_DPI = 50.0, 1200.0
# Below this a PDF page is too coarse to read; a page that only fits the pixel limit at a
# lower resolution is refused rather than silently turned to mush.
MIN_PDF_RENDER_DPI = 50.0
# PDF's own implementation limit for a page side (200 inches); beyond it the page is absurd.
MAX_PDF_SIDE_PT = 14_400.0
# Pillow raises these for corrupt or truncated data; which one depends on the plugin.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error)
_BMP_HEADER_SIZES = (12, 40, 52, 56, 64, 108, 124)
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class EncodedImage:
    """A page's picture as the file stored it (JPEG or PNG bytes), kept where decoding those
    bytes gives exactly the page's pixels: no EXIF turn, no resampling, no transparency laid on
    white. A PDF writer can then embed the picture as it is instead of encoding it again."""

    format: str
    data: bytes


@dataclass(frozen=True, eq=False)
class PageImage:
    """One decoded page: uint8 RGB pixels (H x W x 3) and the resolution they were made at.

    `eq=False`: field-wise == would compare arrays elementwise and fail; identity is meant.
    `encoded` is the file's own compressed picture when it can stand for the pixels as is.
    """

    image: np.ndarray
    index: int
    dpi: float
    source: str
    encoded: EncodedImage | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def load_pages(path: str | Path, pdf_dpi: float = DEFAULT_DPI,
               max_pixels: int = 100_000_000) -> list[PageImage]:
    """All pages of an image or PDF file, as RGB page images (multi-page TIFF and PDF give several)."""
    return list(iter_pages(path, pdf_dpi=pdf_dpi, max_pixels=max_pixels))


def iter_pages(path: str | Path, pdf_dpi: float = DEFAULT_DPI,
               max_pixels: int = 100_000_000) -> Iterator[PageImage]:
    """Like `load_pages`, one page at a time, so a long PDF never holds every page in memory.

    The file is checked (exists, not empty, known type) before the first page is yielded.
    """
    path = Path(path)
    kind = _sniff(path)
    if kind == "PDF":
        return _pdf_pages(path, pdf_dpi, max_pixels)
    return _image_pages(path, kind, max_pixels)


def file_kind(path: str | Path) -> str:
    """What the file holds, from its first bytes: 'PDF' or an image format name ('PNG', 'JPEG'...).

    Raises the same typed errors as `load_pages` for a missing, empty or unknown file.
    """
    return _sniff(Path(path))


def image_from_array(array: np.ndarray, dpi: float = DEFAULT_DPI, source: str = "<array>") -> PageImage:
    """A page image from a NumPy array: grey (HxW or HxWx1), RGB (HxWx3) or RGBA (HxWx4).

    Takes uint8, bool, uint16 (scaled down) and float in [0, 1]. Channels are taken as RGB,
    not OpenCV's BGR. The pixels are copied, so the caller's array can change afterwards.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(f"array of shape {array.shape} is not a grey, RGB or RGBA image", source)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(f"array of shape {array.shape} has no pixels", source)
    array = _to_uint8(array, source)
    if array.ndim == 2:
        rgb = np.repeat(array[:, :, None], 3, axis=2)
    elif array.shape[2] == 4:
        rgb = _composite_on_white(array)
    else:
        rgb = np.ascontiguousarray(array).copy()
    return PageImage(image=rgb, index=0, dpi=_sane_dpi(dpi), source=source)


# --- what kind of file -------------------------------------------------------------------

def _sniff(path: Path) -> str:
    """The file's type from its first bytes: 'PDF' or a Pillow format name."""
    name = str(path)
    if not path.exists():
        raise InputError("no such file", name)
    if path.is_dir():
        raise InputError("is a directory, not a file", name)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror or err}", name) from err
    if size == 0:
        raise InputError("empty file (0 bytes)", name)
    kind = _kind_from_magic(head)
    if kind is None:
        raise UnsupportedFormat("not an image or PDF (unrecognised content)", name)
    return kind


def _kind_from_magic(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    # "BM" alone is too weak a signature; the DIB header size must be one of the known ones.
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack("<I", head[14:18])[0] in _BMP_HEADER_SIZES:
        return "BMP"
    # The PDF spec lets the header sit anywhere in the first 1024 bytes.
    if b"%PDF-" in head:
        return "PDF"
    return None


# --- images --------------------------------------------------------------------------------

def _image_pages(path: Path, kind: str, max_pixels: int) -> Iterator[PageImage]:
    name = str(path)
    with _open_image(path, kind, max_pixels) as image:
        # Only TIFF pages are document pages; GIF and WebP frames are animation, we take the first.
        frames = ImageSequence.Iterator(image) if kind == "TIFF" else [image]
        for index, frame in enumerate(frames):
            what = f"{kind} image" if index == 0 else f"TIFF page {index + 1}"
            _check_pixels(frame.size, max_pixels, name, what)
            page = _decode_frame(frame, index, name, kind, max_pixels)
            if kind in _PASS_THROUGH_MODES and _stands_for_pixels(frame, page, kind):
                page = dataclasses.replace(page, encoded=EncodedImage(kind, path.read_bytes()))
            yield page


# Pillow modes whose JPEG or PNG data decode, in any PDF viewer, to what Lector decoded.
_PASS_THROUGH_MODES = {"JPEG": ("L", "RGB"), "PNG": ("1", "L", "RGB", "P")}


def _stands_for_pixels(frame: Image.Image, page: PageImage, kind: str) -> bool:
    """Whether the file's bytes, embedded as they are, show exactly `page`'s pixels."""
    if frame.mode not in _PASS_THROUGH_MODES[kind] or (frame.width, frame.height) != (page.width, page.height):
        return False
    if frame.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return False  # the pixels were turned upright; the file's are not
    if kind == "PNG" and (frame.info.get("interlace") or "transparency" in frame.info):
        return False
    return True


def _open_image(path: Path, kind: str, max_pixels: int) -> Image.Image:
    """Open (header only) with Pillow restricted to the sniffed format; bombs become PageTooLarge."""
    name = str(path)
    try:
        with warnings.catch_warnings():
            # Our own limit (checked next, from the same header) is the one that counts.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=[kind])
    except Image.DecompressionBombError as err:
        raise _over_pillow_limit(kind, err, name) from err
    except (Image.UnidentifiedImageError, *_DECODE_ERRORS) as err:
        raise InputError(f"corrupt {kind} file, cannot read its header ({_first_line(err)})",
                         name) from err
    try:
        _check_pixels(image.size, max_pixels, name, f"{kind} image")
    except InputError:
        image.close()
        raise
    return image


def _decode_frame(frame: Image.Image, index: int, name: str, kind: str, max_pixels: int) -> PageImage:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched Pillow to fill truncated images with grey; we would OCR the grey.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; Lector needs truncated "
                           "images to raise")
    try:
        frame.load()
        dpi_x, dpi_y = _image_dpi(frame)
        upright = ImageOps.exif_transpose(frame)
        rgb = _to_rgb(upright)
    except Image.DecompressionBombError as err:
        raise _over_pillow_limit(kind, err, name) from err
    except _DECODE_ERRORS as err:
        raise InputError(f"truncated or corrupt {kind} image ({_first_line(err)})", name) from err
    rgb, dpi = _square_pixels(rgb, dpi_x, dpi_y, max_pixels, name)
    return PageImage(image=np.array(rgb, dtype=np.uint8), index=index, dpi=dpi, source=name)


def _over_pillow_limit(kind: str, err: Exception, name: str) -> PageTooLarge:
    """Pillow's hard limit (twice MAX_IMAGE_PIXELS) can refuse before our own check runs."""
    return PageTooLarge(f"{kind} image is over Pillow's decompression-bomb limit ({_first_line(err)})", name)


def _image_dpi(image: Image.Image) -> tuple[float, float]:
    """The (x, y) resolution the file declares, or the default where it is missing or absurd."""
    declared = image.info.get("dpi")
    try:
        dpi_x, dpi_y = (float(v) for v in declared)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return DEFAULT_DPI, DEFAULT_DPI
    if not (_is_sane_dpi(dpi_x) and _is_sane_dpi(dpi_y)):
        return DEFAULT_DPI, DEFAULT_DPI
    return dpi_x, dpi_y


def _square_pixels(image: Image.Image, dpi_x: float, dpi_y: float, max_pixels: int,
                   name: str) -> tuple[Image.Image, float]:
    """Resample non-square pixels (fax TIFFs: 204 x 98 dpi) to the finer resolution.

    Downstream stages and the PDF page size assume one dpi for both axes.
    """
    if abs(dpi_x - dpi_y) <= 0.01 * max(dpi_x, dpi_y):
        return image, dpi_x
    dpi = max(dpi_x, dpi_y)
    size = (max(1, round(image.width * dpi / dpi_x)), max(1, round(image.height * dpi / dpi_y)))
    _check_pixels(size, max_pixels, name, f"image resampled to square pixels at {dpi:.0f} dpi")
    return image.resize(size, Image.Resampling.BILINEAR), dpi


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB; transparency is laid on white, as if printed on paper."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # Pillow keeps 16-bit greys as 16-bit ("I;16") or 32-bit ("I") integers of 0..65535.
        samples = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
        return Image.fromarray(_to_uint8(samples, "<image>")).convert("RGB")
    if image.mode == "F":
        samples = np.nan_to_num(np.asarray(image, dtype=np.float32))
        scale = 255.0 if samples.size and samples.max() <= 1.0 else 1.0
        return Image.fromarray(np.clip(samples * scale, 0, 255).round().astype(np.uint8)).convert("RGB")
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or image.has_transparency_data:
        rgba = np.asarray(image.convert("RGBA"))
        return Image.fromarray(_composite_on_white(rgba), mode="RGB")
    return image.convert("RGB")


# --- PDFs -------------------------------------------------------------------------------

def _pdf_pages(path: Path, pdf_dpi: float, max_pixels: int) -> Iterator[PageImage]:
    name = str(path)
    document, repaired = _open_pdf(path)
    try:
        _init_forms(document, name)
        index = 0
        while index < len(document):
            try:
                page = document[index]
            except pdfium.PdfiumError as err:
                if repaired:
                    raise BrokenPDF(f"cannot load page {index + 1} ({_first_line(err)})", name) from err
                # A damaged page tree (a /Count that overstates the pages) is what qpdf rebuilds.
                log.warning("%s: PDFium cannot load page %d; re-reading a repaired copy", name, index + 1)
                document.close()
                document, repaired = pdfium.PdfDocument(_repair_pdf(path)), True
                _init_forms(document, name)
                continue
            yield _render_pdf_page(page, index, pdf_dpi, max_pixels, name)
            index += 1
    finally:
        document.close()


def _init_forms(document: pdfium.PdfDocument, name: str) -> None:
    """Filled-in form fields are part of the page a reader sees, so render them."""
    try:
        document.init_forms()
    except pdfium.PdfiumError:
        log.debug("%s: could not initialise PDF forms; rendering without them", name)


def _open_pdf(path: Path) -> tuple[pdfium.PdfDocument, bool]:
    """Open with PDFium; if it refuses, let qpdf (via pikepdf) diagnose and rebuild the file.

    PDFium's error code is not trusted to tell why it refused: it reports a stale code for a
    PDF with no pages. qpdf says reliably whether a password is needed or the file has no pages.
    Returns the document and whether it is the repaired copy.
    """
    name = str(path)
    try:
        return pdfium.PdfDocument(path), False
    except pdfium.PdfiumError as err:
        log.info("%s: PDFium cannot open the PDF (%s); trying a repair", name, _first_line(err))
    repaired = _repair_pdf(path)
    try:
        return pdfium.PdfDocument(repaired), True
    except pdfium.PdfiumError as err:
        raise BrokenPDF(f"cannot parse PDF, even after repair ({_first_line(err)})", name) from err


def _repair_pdf(path: Path) -> bytes:
    """qpdf reconstructs a lost or wrong xref table on open; saving writes a clean file."""
    name = str(path)
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                raise InputError("PDF has no pages", name)
            buffer = io.BytesIO()
            pdf.save(buffer)
    except pikepdf.PasswordError as err:
        raise EncryptedPDF("PDF is encrypted and needs a password", name) from err
    except (pikepdf.PdfError, *_DECODE_ERRORS) as err:
        raise BrokenPDF(f"cannot parse PDF ({_first_line(err, name)})", name) from err
    return buffer.getvalue()


def _render_pdf_page(page: pdfium.PdfPage, index: int, pdf_dpi: float,
                     max_pixels: int, name: str) -> PageImage:
    try:
        width_pt, height_pt = page.get_size()  # after /Rotate, as the page is displayed
        dpi = _pdf_render_dpi(width_pt, height_pt, pdf_dpi, max_pixels, index, name)
    except BaseException:
        page.close()
        raise
    return render_pdfium_page(page, index, dpi, name)


def render_pdfium_page(page: pdfium.PdfPage, index: int, dpi: float, name: str,
                       user_unit: float = 1.0) -> PageImage:
    """Render (and close) one PDFium page at `dpi` as an RGB PageImage."""
    try:
        bitmap = page.render(scale=_render_scale(dpi) * user_unit, rev_byteorder=True,
                             fill_color=(255, 255, 255, 255))
        try:
            pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)  # copy: the bitmap's buffer is freed
        finally:
            bitmap.close()
    except pdfium.PdfiumError as err:
        raise BrokenPDF(f"cannot render page {index + 1} ({_first_line(err)})", name) from err
    finally:
        page.close()
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return PageImage(image=np.ascontiguousarray(pixels[:, :, :3]), index=index, dpi=dpi, source=name)


def _pdf_render_dpi(width_pt: float, height_pt: float, pdf_dpi: float, max_pixels: int,
                    index: int, name: str) -> float:
    """The requested dpi, lowered where the page would otherwise render over `max_pixels`."""
    if not (width_pt > 0 and height_pt > 0 and math.isfinite(width_pt * height_pt)):
        raise BrokenPDF(f"page {index + 1} has no area ({width_pt} x {height_pt} pt)", name)
    if max(width_pt, height_pt) > MAX_PDF_SIDE_PT:
        raise PageTooLarge(f"page {index + 1} is {width_pt:.0f} x {height_pt:.0f} pt, over PDF's "
                           f"{MAX_PDF_SIDE_PT:.0f} pt limit for a side", name)
    dpi = float(pdf_dpi)
    while _rendered_pixels(width_pt, height_pt, dpi) > max_pixels:
        # The square-root estimate ignores PDFium's rounding up of each side; shave until it fits.
        dpi = min(dpi * 0.999, 72.0 * math.sqrt(max_pixels / (width_pt * height_pt)))
        if dpi < MIN_PDF_RENDER_DPI:
            raise PageTooLarge(f"page {index + 1} ({width_pt:.0f} x {height_pt:.0f} pt) would need under "
                               f"{MIN_PDF_RENDER_DPI:.0f} dpi to fit {max_pixels} pixels", name)
    if dpi != pdf_dpi:
        log.info("%s: page %d rendered at %.1f dpi to stay under %d pixels", name, index + 1, dpi, max_pixels)
    return dpi


def _render_scale(dpi: float) -> float:
    """Pixels per point, nudged down so PDFium's ceil() does not add a row for float noise.

    612 pt at 300 dpi is 2550 px, but 612 * (300 / 72) is 2550.0000000000005 and would give 2551;
    and PDFium reports page sizes as 32-bit floats (4.8 pt comes back as 4.80000019), so the
    nudge is a few float32 steps, not a float64 one.
    """
    return dpi / 72.0 * (1.0 - 1e-6)


def _rendered_pixels(width_pt: float, height_pt: float, dpi: float) -> int:
    scale = _render_scale(dpi)
    return math.ceil(width_pt * scale) * math.ceil(height_pt * scale)


# --- small shared helpers -----------------------------------------------------------------

def _check_pixels(size: tuple[int, int], max_pixels: int, name: str, what: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InputError(f"{what} has no pixels ({width} x {height})", name)
    if width * height > max_pixels:
        raise PageTooLarge(f"{what} is {width} x {height} = {width * height} pixels, over the "
                           f"limit of {max_pixels}", name)


def _to_uint8(array: np.ndarray, name: str) -> np.ndarray:
    """8-bit pixels from the dtypes scanners and libraries produce (16-bit, bool, float 0..1)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if array.size and (not np.isfinite(array).all() or array.min() < 0.0 or array.max() > 1.0):
            raise InputError("float image values must be finite and in [0, 1]", name)
        return np.round(array * 255.0).astype(np.uint8)
    raise InputError(f"cannot use an image array of dtype {array.dtype}", name)


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    rgb = rgba[:, :, :3].astype(np.uint16)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def _is_sane_dpi(dpi: float) -> bool:
    return math.isfinite(dpi) and MIN_SANE_DPI <= dpi <= MAX_SANE_DPI


def _sane_dpi(dpi: float) -> float:
    return float(dpi) if _is_sane_dpi(float(dpi)) else DEFAULT_DPI


def _first_line(err: BaseException, name: str = "") -> str:
    """The first line of a library's message, without the file name it may repeat."""
    text = str(err).strip() or type(err).__name__
    line = text.splitlines()[0]
    return line[len(name) + 2:] if name and line.startswith(f"{name}: ") else line
