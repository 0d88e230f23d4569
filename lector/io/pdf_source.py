"""An existing PDF opened for OCR: its pages' frames and text, and each page rendered to pixels.

qpdf (through pikepdf) reads the structure: it refuses encrypted files, repairs a broken xref
or page tree on open, and it is what the text layers are later added with, so the pages we
render and the pages we write are the same objects. PDFium renders, from the repaired copy
where qpdf had to repair. Each page's `PdfPageFrame` (crop box, /Rotate, /UserUnit) is read
here, with inherited values resolved, and pixels are rendered so that `frame.pixel_to_user(dpi)`
maps them back onto the page exactly.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from lector.core.errors import BrokenPDF, EncryptedPDF, InputError
from lector.core.geometry import PdfPageFrame
from lector.io.load import DEFAULT_DPI, PageImage, _first_line, _pdf_render_dpi, render_pdfium_page

log = logging.getLogger(__name__)

# Page attributes a page may take from its ancestors in the page tree (PDF 32000, 7.7.3.4).
_INHERITED_DEPTH = 64


class PageText(Enum):
    """What text a page already has: none, only invisible text (an OCR layer), or visible text."""

    NONE = "none"
    INVISIBLE = "invisible"
    VISIBLE = "visible"


@dataclass(frozen=True)
class PdfPageInfo:
    index: int
    frame: PdfPageFrame
    text: PageText


class PdfSource:
    """An open PDF: `pdf` (pikepdf, to be written back with text layers) and PDFium to render it.

    Use as a context manager. Raises `EncryptedPDF` (exit code 8) for any encrypted file, as
    OCRmyPDF does, `BrokenPDF` where even qpdf cannot read it, `InputError` for no pages.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        name = str(self.path)
        try:
            self.pdf = pikepdf.open(self.path)
        except pikepdf.PasswordError as err:
            raise EncryptedPDF("PDF is encrypted and needs a password", name) from err
        except (pikepdf.PdfError, OSError, ValueError) as err:
            raise BrokenPDF(f"cannot parse PDF ({_first_line(err, name)})", name) from err
        try:
            if self.pdf.is_encrypted:
                raise EncryptedPDF("PDF is encrypted; remove the encryption first (qpdf --decrypt)", name)
            if len(self.pdf.pages) == 0:
                raise InputError("PDF has no pages", name)
            self.repaired = bool(self.pdf.get_warnings())
            self._document = self._open_renderer()
        except BaseException:
            self.pdf.close()
            raise

    def _open_renderer(self) -> pdfium.PdfDocument:
        """PDFium on the file itself, or on qpdf's repaired copy where qpdf repaired anything or
        PDFium disagrees about the pages."""
        name = str(self.path)
        if not self.repaired:
            try:
                document = pdfium.PdfDocument(self.path)
                if len(document) == len(self.pdf.pages):
                    return document
                document.close()
            except pdfium.PdfiumError:
                pass
        log.info("%s: rendering qpdf's repaired copy", name)
        buffer = io.BytesIO()
        try:
            self.pdf.save(buffer)
            document = pdfium.PdfDocument(buffer.getvalue())
        except (pikepdf.PdfError, pdfium.PdfiumError) as err:
            raise BrokenPDF(f"cannot parse PDF, even after repair ({_first_line(err, name)})", name) from err
        if len(document) != len(self.pdf.pages):
            document.close()
            raise BrokenPDF("PDFium and qpdf disagree about the number of pages", name)
        return document

    def __enter__(self) -> "PdfSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._document.close()
        self.pdf.close()

    def __len__(self) -> int:
        return len(self.pdf.pages)

    def page_info(self, index: int) -> PdfPageInfo:
        return PdfPageInfo(index=index, frame=page_frame(self.pdf.pages[index]), text=self._page_text(index))

    def _page_text(self, index: int) -> PageText:
        page = self._document[index]
        try:
            seen = PageText.NONE
            for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_TEXT,)):
                if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) in (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE,
                                                                       pdfium_c.FPDF_TEXTRENDERMODE_CLIP):
                    seen = PageText.INVISIBLE
                else:
                    return PageText.VISIBLE
            return seen
        finally:
            page.close()

    def render(self, index: int, dpi: float = DEFAULT_DPI, max_pixels: int = 100_000_000,
               frame: PdfPageFrame | None = None) -> PageImage:
        """Page `index` as a viewer shows it (cropped, turned), at `dpi` or lower to fit `max_pixels`.

        Renderers ignore /UserUnit, so the scale per user unit is multiplied by it: the image
        has `dpi` pixels per inch of the page's real size.
        """
        name = str(self.path)
        frame = frame or page_frame(self.pdf.pages[index])
        width_pt, height_pt = frame.display_size
        dpi = _pdf_render_dpi(width_pt, height_pt, dpi, max_pixels, index, name)
        return render_pdfium_page(self._document[index], index, dpi, name, user_unit=frame.user_unit)


def page_frame(page: pikepdf.Page) -> PdfPageFrame:
    """The page's crop box, turn and unit, with MediaBox, CropBox and Rotate inherited as PDF says."""
    obj = page.obj
    mediabox = _inherited(obj, "/MediaBox")
    if mediabox is None:
        mediabox = [0, 0, 612, 792]  # what viewers assume for a page without one (US Letter)
    cropbox = _inherited(obj, "/CropBox")
    rotate = _inherited(obj, "/Rotate")
    user_unit = obj.get("/UserUnit", 1.0)
    try:
        return PdfPageFrame.from_pdf([float(v) for v in mediabox],
                                     None if cropbox is None else [float(v) for v in cropbox],
                                     rotate=float(rotate) if rotate is not None else 0,
                                     user_unit=float(user_unit))
    except (TypeError, ValueError) as err:
        raise BrokenPDF(f"page has an unusable page box ({err})") from err


def _inherited(obj: pikepdf.Object, key: str) -> pikepdf.Object | None:
    for _ in range(_INHERITED_DEPTH):
        value = obj.get(key)
        if value is not None:
            return value
        parent = obj.get("/Parent")
        if not isinstance(parent, pikepdf.Dictionary):
            return None
        obj = parent
    return None
