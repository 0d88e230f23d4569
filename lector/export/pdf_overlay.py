"""Text layers on an existing PDF's pages: the page's own content stays byte for byte as it was.

A page's content streams are kept and bracketed (`q` before, as many `Q` after as it leaves
unclosed, plus one), so whatever graphics state the page leaves behind, the layer that follows
starts from the page's default state. The layer is `text_layer`'s, drawn in display points and
carried onto the page's user space by one `cm`: crop box origin, /Rotate and /UserUnit all live
in `PdfPageFrame.display_to_user` (lector.core.geometry), nowhere here.

Three things can happen to a page (the CLI's --mode, after OCRmyPDF's flags):
- `add_text_layer`: the layer goes on top; nothing else changes.
- `rasterise_page` (force): the page's content is replaced by its rendering plus the layer,
  for pages whose text is wrong and must go, vector content with it.
- `strip_invisible_text` (redo): text drawn invisibly (render mode 3, an earlier OCR layer) is
  taken out of the page's content and its forms, so a new layer can replace it.
"""
from __future__ import annotations

import zlib

import pikepdf

from lector.core.document import Page
from lector.core.geometry import PdfPageFrame
from lector.export.pdf_export import picture_operators, picture_xobject
from lector.export.text_layer import (LayerConfig, LayerFont, debug_operators, layer_operators, page_runs)
from lector.io.load import PageImage

LAYER_FONT_PREFIX = "FLector"
IMAGE_PREFIX = "ImLector"
_TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
_INVISIBLE_MODES = (3, 7)  # invisible; add to clipping path only


def add_text_layer(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page, page: Page, frame: PdfPageFrame,
                   font: LayerFont, config: LayerConfig = LayerConfig()) -> int:
    """Add `page`'s words (pixels of a rendering at page.dpi) as an invisible layer; return the run count."""
    runs = page_runs(page, frame.pixel_to_display(page.dpi), config)
    if not runs:
        return 0
    _isolate_content(pdf, pdf_page)
    name = _add_resource(pdf, pdf_page, font.font, pikepdf.Name.Font, LAYER_FONT_PREFIX)
    pdf_page.contents_add(_stream(pdf, layer_operators(runs, font, name, frame.display_to_user())))
    return len(runs)


def add_debug_layer(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page, page: Page, frame: PdfPageFrame,
                    helvetica: pikepdf.Object, config: LayerConfig = LayerConfig()) -> None:
    """Draw the layer's boxes and words visibly on top (for checking alignment by eye)."""
    runs = page_runs(page, frame.pixel_to_display(page.dpi), config)
    if not runs:
        return
    _isolate_content(pdf, pdf_page)
    name = _add_resource(pdf, pdf_page, helvetica, pikepdf.Name.Font, "FLectorDebug")
    pdf_page.contents_add(_stream(pdf, debug_operators(runs, name, frame.display_to_user())))


def rasterise_page(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page, page_image: PageImage, page: Page,
                   frame: PdfPageFrame, font: LayerFont, config: LayerConfig = LayerConfig()) -> None:
    """Replace the page's content with its rendering `page_image` and `page`'s text layer.

    Boxes, /Rotate and annotations stay; the picture covers the visible (cropped) area.
    """
    width_pt, height_pt = frame.display_size
    to_user = frame.display_to_user()
    picture = picture_operators(width_pt, height_pt, IMAGE_PREFIX)
    matrix = " ".join(f"{value:.6f}" for value in to_user.as_tuple())
    content = f"q {matrix} cm\n".encode("ascii") + picture + b"Q\n"
    runs = page_runs(page, frame.pixel_to_display(page.dpi), config)
    content += layer_operators(runs, font, LAYER_FONT_PREFIX, to_user)
    pdf_page.obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary({f"/{IMAGE_PREFIX}": picture_xobject(pdf, page_image)}),
        Font=pikepdf.Dictionary({f"/{LAYER_FONT_PREFIX}": font.font}))
    pdf_page.obj.Contents = _stream(pdf, content)


def strip_invisible_text(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page) -> int:
    """Remove text shown in an invisible render mode from the page and the forms it draws;
    return how many text-showing operators went. Visible text, and everything else, stays."""
    removed, seen = 0, set()
    removed += _strip_stream_owner(pdf, pdf_page.obj, is_page=True, page=pdf_page)
    for form in _forms(pdf_page.obj, seen):
        removed += _strip_stream_owner(pdf, form, is_page=False)
    return removed


# --- content and resources -------------------------------------------------------------------

def _isolate_content(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page) -> None:
    """Bracket the page's existing content in q ... Q, closing any q it leaves open.

    Done again for a second layer (the debug one), it only nests: harmless.
    """
    try:
        operators = pikepdf.parse_content_stream(pdf_page)
        unclosed = max(0, sum(1 if str(op) == "q" else -1 if str(op) == "Q" else 0 for _, op in operators))
    except pikepdf.PdfError:
        unclosed = 0  # a content stream qpdf cannot parse is drawn by viewers as far as it goes
    pdf_page.contents_add(_stream(pdf, b"q\n"), prepend=True)
    pdf_page.contents_add(_stream(pdf, b"\n" + b"Q\n" * (unclosed + 1)))


def _add_resource(pdf: pikepdf.Pdf, pdf_page: pikepdf.Page, resource: pikepdf.Object,
                  kind: pikepdf.Name, prefix: str) -> str:
    """Put `resource` in the page's own resources under an unused name; return the name (no slash).

    A page may take its resources from the page tree; they are copied onto the page first, so
    adding ours never hides the inherited ones.
    """
    obj = pdf_page.obj
    if "/Resources" not in obj:
        inherited = _inherited_resources(obj)
        obj.Resources = pikepdf.Dictionary(dict(inherited.items())) if inherited is not None else pikepdf.Dictionary()
    resources = obj.Resources
    if kind not in resources:
        resources[kind] = pikepdf.Dictionary()
    existing = resources[kind]
    for name, value in existing.items():
        if value.is_indirect and resource.is_indirect and value.objgen == resource.objgen:
            return name[1:]
    number = 0
    while f"/{prefix}{number or ''}" in existing:
        number += 1
    name = f"{prefix}{number or ''}"
    existing[f"/{name}"] = resource
    return name


def _inherited_resources(obj: pikepdf.Object) -> pikepdf.Dictionary | None:
    parent = obj.get("/Parent")
    for _ in range(64):
        if not isinstance(parent, pikepdf.Dictionary):
            return None
        if "/Resources" in parent:
            return parent.Resources
        parent = parent.get("/Parent")
    return None


def _stream(pdf: pikepdf.Pdf, data: bytes) -> pikepdf.Stream:
    return pdf.make_stream(zlib.compress(data), Filter=pikepdf.Name.FlateDecode)


# --- stripping invisible text ------------------------------------------------------------------

def _strip_stream_owner(pdf: pikepdf.Pdf, owner: pikepdf.Object, is_page: bool,
                        page: pikepdf.Page | None = None) -> int:
    try:
        operators = pikepdf.parse_content_stream(page if is_page else owner)
    except pikepdf.PdfError:
        return 0
    kept, removed = _without_invisible_text(operators)
    if removed:
        data = pikepdf.unparse_content_stream(kept)
        if is_page:
            owner.Contents = _stream(pdf, data)
        else:
            owner.write(data)  # compressed again when the file is saved
    return removed


def _without_invisible_text(operators: list) -> tuple[list, int]:
    """The operators with every text-showing one drawn in render mode 3 or 7 left out.

    ' and " also move to the next line (and " sets spacing); those effects are kept.
    """
    kept, removed = [], 0
    mode, saved = 0, []
    for operands, operator in operators:
        op = str(operator)
        if op == "q":
            saved.append(mode)
        elif op == "Q" and saved:
            mode = saved.pop()
        elif op == "Tr" and operands:
            mode = int(operands[0])
        if op in _TEXT_SHOWING and mode in _INVISIBLE_MODES:
            removed += 1
            if op == "'":
                kept.append(([], pikepdf.Operator("T*")))
            elif op == '"' and len(operands) >= 2:
                kept.append(([operands[0]], pikepdf.Operator("Tw")))
                kept.append(([operands[1]], pikepdf.Operator("Tc")))
                kept.append(([], pikepdf.Operator("T*")))
            continue
        kept.append((operands, operator))
    return kept, removed


def _forms(owner: pikepdf.Object, seen: set) -> list[pikepdf.Object]:
    """Form XObjects drawn from `owner`'s resources, nested ones too, each once."""
    found = []
    resources = owner.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return found
    for _, xobject in xobjects.items():
        if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != pikepdf.Name.Form:
            continue
        key = xobject.objgen if xobject.is_indirect else id(xobject)
        if key in seen:
            continue
        seen.add(key)
        found.append(xobject)
        found.extend(_forms(xobject, seen))
    return found
