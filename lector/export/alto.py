"""ALTO v4 export: the document as one ALTO XML file (namespace ns-v4#, schema 4.4).

Measurements are page-image pixels (MeasurementUnit `pixel`), rounded to whole pixels, with
(0, 0) the top-left corner of the page as ALTO says. Each page becomes a `Page` with one
`PrintSpace` holding one `TextBlock` (the document model has no blocks to split it into), whose
`TextLine`s hold `String` (CONTENT, WC in 0..1) and `SP` elements in reading order. A line with
no words is left out, since ALTO wants at least one String per TextLine. IDs are unique in the
file. Validated in the tests against the structure of the ALTO 4 schema.
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lector.core.document import Document, Page
from lector.core.geometry import Box
from lector.export._atomic import write_atomically
from lector.export._xml import lector_version, xml_safe

NAMESPACE = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
SCHEMA_VERSION = "4.4"


def document_alto(doc: Document) -> str:
    """The whole document as ALTO XML text."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<alto xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        f'      xsi:schemaLocation="{NAMESPACE} {SCHEMA_LOCATION}" SCHEMAVERSION="{SCHEMA_VERSION}">\n',
        " <Description>\n  <MeasurementUnit>pixel</MeasurementUnit>\n",
    ]
    if doc.source:
        parts.append(f"  <sourceImageInformation>\n   <fileName>{escape(xml_safe(doc.source))}</fileName>\n"
                     "  </sourceImageInformation>\n")
    parts.append('  <Processing ID="OCR_0">\n   <processingCategory>contentGeneration</processingCategory>\n'
                 f"   <processingStepSettings>engine: {escape(xml_safe(doc.engine))}</processingStepSettings>\n"
                 "   <processingSoftware>\n    <softwareName>Lector</softwareName>\n"
                 f"    <softwareVersion>{lector_version()}</softwareVersion>\n   </processingSoftware>\n"
                 "  </Processing>\n </Description>\n <Layout>\n")
    for number, page in enumerate(doc.pages, 1):
        parts.append(_page(page, number))
    parts.append(" </Layout>\n</alto>\n")
    return "".join(parts)


def write_alto(doc: Document, path: str | Path) -> None:
    write_atomically(path, document_alto(doc).encode("utf-8"))


def _page(page: Page, number: int) -> str:
    parts = [f'  <Page ID="page_{number}" PHYSICAL_IMG_NR="{page.index + 1}" WIDTH="{page.width}" '
             f'HEIGHT="{page.height}" PROCESSING="OCR_0">\n',
             f'   <PrintSpace HPOS="0" VPOS="0" WIDTH="{page.width}" HEIGHT="{page.height}">\n']
    lines = [(index, line, [w for w in line.words if xml_safe(w.text)]) for index, line in enumerate(page.lines, 1)]
    lines = [entry for entry in lines if entry[2]]
    if lines:
        block = lines[0][1].box
        for _, line, _ in lines[1:]:
            block = block.union(line.box)
        parts.append(f'    <TextBlock ID="block_{number}" {_position(block)}>\n')
        for line_number, line, words in lines:
            parts.append(f'     <TextLine ID="line_{number}_{line_number}" {_position(line.box)}>\n')
            for word_number, word in enumerate(words, 1):
                if word_number > 1:
                    gap = Box(words[word_number - 2].box.x1, line.box.y0, word.box.x0, line.box.y1)
                    parts.append(f"      <SP {_position(gap, allow_empty=True)}/>\n")
                confidence = max(0.0, min(1.0, word.confidence))
                parts.append(f'      <String ID="string_{number}_{line_number}_{word_number}" '
                             f'{_position(word.box)} CONTENT={quoteattr(xml_safe(word.text))} WC="{confidence:.4f}"/>\n')
            parts.append("     </TextLine>\n")
        parts.append("    </TextBlock>\n")
    parts.append("   </PrintSpace>\n  </Page>\n")
    return "".join(parts)


def _position(box: Box, allow_empty: bool = False) -> str:
    """HPOS/VPOS/WIDTH/HEIGHT in whole pixels: the smallest such box around `box`."""
    x0, y0 = max(0, math.floor(box.x0)), max(0, math.floor(box.y0))
    width, height = math.ceil(box.x1) - x0, math.ceil(box.y1) - y0
    if allow_empty:
        width, height = max(0, width), max(0, height)
    return f'HPOS="{x0}" VPOS="{y0}" WIDTH="{width}" HEIGHT="{height}"'
