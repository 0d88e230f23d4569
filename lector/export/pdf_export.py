"""Searchable PDF from page images: each page the picture, with the words as an invisible layer.

The page is the image's size at its resolution (the loader's dpi, 300 when the file does not
say). The picture is embedded as the file stored it where PDF can take it (JPEG as DCT data,
PNG's deflated rows with their PNG predictors, as img2pdf does): no second lossy encoding and
no growth. Other pictures are encoded once: black-and-white as 1-bit Flate (exact), grey and
colour as JPEG at quality 90. The text layer is `text_layer`'s, the same one existing PDFs get.

Built with pikepdf (qpdf) rather than reportlab or fpdf2: pikepdf is the one of the three that
also edits existing PDFs (the overlay needs it), so new and existing PDFs get their layer from
the same code; it writes each stream once, as given (JPEG and PNG data pass through, where
reportlab decodes and re-encodes pictures); and the font objects, widths and ToUnicode map are
exactly the ones `text_layer` lays out with, not a library's own subset and mapping.
"""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image

from lector.core.document import Document, Page
from lector.core.geometry import PixelToPdf
from lector.export._atomic import write_atomically
from lector.export.text_layer import (LayerConfig, LayerFont, debug_font, debug_operators,
                                      layer_operators, page_runs)
from lector.io.load import EncodedImage, PageImage

JPEG_QUALITY = 90
LAYER_FONT = "FLector"
DEBUG_FONT = "FLectorDebug"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOURS = {0: 1, 2: 3, 3: 1}  # PNG colour type -> components per pixel (grey, RGB, palette)


def write_searchable_pdf(doc: Document, page_images: list[PageImage], path: str | Path,
                         debug: bool = False, config: LayerConfig = LayerConfig()) -> None:
    """Write `doc` as a searchable PDF, one page per page image (the images the words were read on).

    `debug` makes the layer visible (red word boxes and text) for checking alignment by eye.
    """
    write_atomically(path, searchable_pdf_bytes(doc, page_images, debug=debug, config=config))


def searchable_pdf_bytes(doc: Document, page_images: list[PageImage], debug: bool = False,
                         config: LayerConfig = LayerConfig()) -> bytes:
    if len(doc.pages) != len(page_images):
        raise ValueError(f"{len(doc.pages)} document pages but {len(page_images)} page images")
    pdf = pikepdf.Pdf.new()
    font = LayerFont(pdf)
    helvetica = debug_font(pdf) if debug else None
    for page, page_image in zip(doc.pages, page_images):
        _add_page(pdf, font, helvetica, page, page_image, config)
    font.finish()
    return save_pdf(pdf)


def save_pdf(pdf: pikepdf.Pdf) -> bytes:
    """The PDF's bytes: compressed, object streams, and a deterministic /ID (same input, same bytes)."""
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=True, deterministic_id=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _add_page(pdf: pikepdf.Pdf, font: LayerFont, helvetica: pikepdf.Object | None, page: Page,
              page_image: PageImage, config: LayerConfig) -> None:
    if (page_image.width, page_image.height) != (page.width, page.height):
        raise ValueError(f"page {page.index}: image is {page_image.width} x {page_image.height} px "
                         f"but the page was read at {page.width} x {page.height} px")
    to_pdf = PixelToPdf(height_px=page.height, dpi=page.dpi)
    width_pt, height_pt = to_pdf.page_size(page.width)
    runs = page_runs(page, to_pdf, config)
    content = picture_operators(width_pt, height_pt) + layer_operators(runs, font, LAYER_FONT)
    fonts = pikepdf.Dictionary({f"/{LAYER_FONT}": font.font})
    if helvetica is not None:
        content += debug_operators(runs, DEBUG_FONT)
        fonts[f"/{DEBUG_FONT}"] = helvetica
    pdf_page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    pdf_page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture_xobject(pdf, page_image)),
                                                Font=fonts)
    pdf_page.obj.Contents = pdf.make_stream(zlib.compress(content), Filter=pikepdf.Name.FlateDecode)


def picture_operators(width_pt: float, height_pt: float, name: str = "Im0") -> bytes:
    """Draw image XObject `name` over the whole page (display points)."""
    return f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm /{name} Do Q\n".encode("ascii")


def picture_xobject(pdf: pikepdf.Pdf, page_image: PageImage) -> pikepdf.Stream:
    """The page picture: the file's own JPEG or PNG data where possible, else encoded once."""
    if page_image.encoded is not None:
        stream = _pass_through(pdf, page_image.encoded, page_image.width, page_image.height)
        if stream is not None:
            return stream
    return _encoded_xobject(pdf, page_image.image)


def _pass_through(pdf: pikepdf.Pdf, encoded: EncodedImage, width: int, height: int) -> pikepdf.Stream | None:
    """An image XObject holding `encoded` as it is, or None where PDF cannot take it so."""
    if encoded.format == "JPEG":
        with Image.open(io.BytesIO(encoded.data)) as header:
            if header.size != (width, height) or header.mode not in ("L", "RGB"):
                return None
            grey = header.mode == "L"
        return pdf.make_stream(encoded.data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                               Width=width, Height=height, BitsPerComponent=8,
                               ColorSpace=pikepdf.Name.DeviceGray if grey else pikepdf.Name.DeviceRGB,
                               Filter=pikepdf.Name.DCTDecode)
    if encoded.format == "PNG":
        return _png_xobject(pdf, encoded.data, width, height)
    return None


def _png_xobject(pdf: pikepdf.Pdf, data: bytes, width: int, height: int) -> pikepdf.Stream | None:
    """PNG's zlib data is PDF's FlateDecode with PNG predictors: the IDAT chunks go in unchanged.

    Taken for 8-bit grey and RGB, 1-bit grey and palette images, not interlaced, without
    transparency (those the loader already turned away, and anything else is encoded afresh).
    """
    chunks = _png_chunks(data)
    if chunks is None or b"IHDR" not in chunks or b"IDAT" not in chunks or b"tRNS" in chunks:
        return None
    png_width, png_height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][:13])
    usable_depth = depth in (1, 2, 4, 8) if colour == 3 else depth == 8 or (colour == 0 and depth == 1)
    if (png_width, png_height) != (width, height) or colour not in _PNG_COLOURS or interlace or not usable_depth:
        return None
    if colour == 3:
        palette = chunks.get(b"PLTE", b"")
        if not palette or len(palette) % 3:
            return None
        space = pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB, len(palette) // 3 - 1,
                               pikepdf.String(palette)])
    else:
        space = pikepdf.Name.DeviceGray if colour == 0 else pikepdf.Name.DeviceRGB
    parms = pikepdf.Dictionary(Predictor=15, Colors=_PNG_COLOURS[colour], BitsPerComponent=depth, Columns=width)
    return pdf.make_stream(chunks[b"IDAT"], Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=width, Height=height, BitsPerComponent=depth, ColorSpace=space,
                           Filter=pikepdf.Name.FlateDecode, DecodeParms=parms)


def _png_chunks(data: bytes) -> dict[bytes, bytes] | None:
    """The chunks of a PNG by type (IDAT chunks joined), or None if the data is not a whole PNG."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    chunks: dict[bytes, bytes] = {}
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if len(body) != length:
            return None
        chunks[kind] = chunks.get(kind, b"") + body if kind == b"IDAT" else body
        position += 12 + length
        if kind == b"IEND":
            return chunks
    return None


def _encoded_xobject(pdf: pikepdf.Pdf, pixels: np.ndarray) -> pikepdf.Stream:
    """The page picture encoded once: 1-bit Flate for black-and-white scans, JPEG for grey and colour."""
    is_grey = bool(np.array_equal(pixels[:, :, 0], pixels[:, :, 1])
                   and np.array_equal(pixels[:, :, 0], pixels[:, :, 2]))
    grey = pixels[:, :, 0]
    height, width = grey.shape
    if is_grey and np.isin(grey, (0, 255)).all():
        bits = np.packbits(grey == 255, axis=1)  # rows padded to whole bytes, as PDF wants
        return pdf.make_stream(zlib.compress(bits.tobytes(), 6), Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Image, Width=width, Height=height,
                               ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=1,
                               Filter=pikepdf.Name.FlateDecode)
    picture = Image.fromarray(grey if is_grey else pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return pdf.make_stream(buffer.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=width, Height=height, BitsPerComponent=8,
                           ColorSpace=pikepdf.Name.DeviceGray if is_grey else pikepdf.Name.DeviceRGB,
                           Filter=pikepdf.Name.DCTDecode)
