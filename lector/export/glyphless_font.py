"""A TrueType font with no ink: every character is one inkless glyph of one known advance.

The invisible text layer only needs positions and Unicode, never shapes. A font whose glyphs all
have the same advance makes each word's width a matter of one number (its horizontal scaling),
the same in every viewer, whatever characters the word holds; a font without ink can never
show through, and is a few hundred bytes.

The glyph is not empty, though: its one contour is a zero-area stroke from the em box's lower
left to its upper right corner. It covers no pixel, but its bounding box is the whole em box.
PDFium (Chrome's viewer) takes a text object's extent from its glyph boxes, and drops a text
object as a duplicate of an earlier one when both are empty and hold the same codes: with
empty glyphs every other inter-word space vanished from its text, gluing words. Tesseract's PDF renderer uses the same idea (after Ken
Sharp's design notes); this one is written here, table by table, so that its metrics are ours:
ascent and descent add up to one em, so a viewer's highlight of a word is exactly the band we
place it in, and the same numbers sit in `hhea`, `OS/2`, `head` and the PDF font descriptor,
since MuPDF reads the font file's metrics and poppler, pdfminer and PDFium the descriptor's.
"""
from __future__ import annotations

import struct
from functools import cache

FONT_NAME = "LectorGlyphless"
UNITS_PER_EM = 1000
# Every glyph's advance, in font units: half an em, as in Tesseract's glyphless font.
ADVANCE = 500
# Ascent and descent (font units, descent negative). They add up to one em, so a run's glyph
# box is exactly one font size tall, from `DESCENT` below the baseline to `ASCENT` above it.
ASCENT, DESCENT = 800, -200
_GLYPHS = 2  # .notdef and the one empty glyph every character code is mapped to
# Glyph 1: one contour of two on-curve points, (0, DESCENT) and (ADVANCE, ASCENT), coordinates
# as 16-bit deltas (flags 0x01: on curve, long x and y). No instructions. Padded to even length.
_GLYPH = (struct.pack(">hhhhh", 1, 0, DESCENT, ADVANCE, ASCENT) + struct.pack(">HH", 1, 0)
          + bytes([0x01, 0x01]) + struct.pack(">hh", 0, ADVANCE) + struct.pack(">hh", DESCENT, ASCENT - DESCENT))
_CREATED = 3_786_912_000  # 2024-01-01, in seconds since 1904 as TrueType counts


@cache
def glyphless_font() -> bytes:
    """The font file (for /FontFile2): glyph 1 is empty and `ADVANCE` wide, as is .notdef."""
    tables = {
        b"OS/2": _os2(),
        b"cmap": _cmap(),
        b"glyf": _GLYPH,
        b"head": _head(),
        b"hhea": _hhea(),
        b"hmtx": struct.pack(">HhHh", ADVANCE, 0, ADVANCE, 0),
        b"loca": struct.pack(">HHH", 0, 0, len(_GLYPH) // 2),  # short offsets, in 2-byte units
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x00010000, _GLYPHS, 2, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": _name(),
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 1, 0, 0, 0, 0),
    }
    font = _assemble(tables)
    # head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
    adjustment = (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF
    head_at = _table_offset(font, b"head")
    return font[:head_at + 8] + struct.pack(">I", adjustment) + font[head_at + 12:]


def _head() -> bytes:
    return struct.pack(
        ">IIIIHHqqhhhhHHhhh",
        0x00010000, 0x00010000, 0, 0x5F0F3CF5,
        0x000B,  # baseline at y=0, left sidebearing at x=0, integer scaling
        UNITS_PER_EM, _CREATED, _CREATED,  # fixed dates, so the same font is the same bytes
        0, DESCENT, ADVANCE, ASCENT,  # the font's bounding box
        0, 6, 2,  # macStyle, lowestRecPPEM, fontDirectionHint
        0, 0)  # short loca offsets, glyph data format 0


def _hhea() -> bytes:
    return struct.pack(">IhhhHhhhhhhhhhhhH", 0x00010000, ASCENT, DESCENT, 0, ADVANCE,
                       0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, _GLYPHS)


def _os2() -> bytes:
    """OS/2 version 4: installable embedding, and the same ascent and descent three ways."""
    return (struct.pack(">HhHHH", 4, ADVANCE, 400, 5, 0)
            + struct.pack(">hhhhhhhhhhh", 650, 600, 0, 75, 650, 600, 0, 350, 50, 250, 0)
            + bytes(10)  # PANOSE: any
            + struct.pack(">IIII", 1, 0, 0, 0)  # Unicode ranges: Basic Latin
            + b"LECT"
            + struct.pack(">HHH", 0x0040, 0x20, 0x20)  # regular; first and last mapped character
            + struct.pack(">hhhHH", ASCENT, DESCENT, 0, ASCENT, -DESCENT)
            + struct.pack(">II", 1, 0)  # code pages: Latin 1
            + struct.pack(">hhHHH", 500, ASCENT, 0, 0x20, 0))


def _cmap() -> bytes:
    """A Windows Unicode cmap (format 4) mapping the space to the empty glyph.

    PDF does not use it (the CID font maps codes to glyphs itself), but some font loaders
    refuse a TrueType font without one.
    """
    ends, starts, deltas = [0x20, 0xFFFF], [0x20, 0xFFFF], [(1 - 0x20) & 0xFFFF, 1]
    segments = len(ends)
    search = 2 ** (segments.bit_length() - 1)
    body = (struct.pack(f">{segments}H", *ends) + b"\0\0" + struct.pack(f">{segments}H", *starts)
            + struct.pack(f">{segments}H", *deltas) + bytes(2 * segments))
    subtable = struct.pack(">HHHHHHH", 4, 14 + len(body), 0, 2 * segments, 2 * search,
                           search.bit_length() - 1, 2 * segments - 2 * search) + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + subtable


def _name() -> bytes:
    names = {1: FONT_NAME, 2: "Regular", 3: f"Lector:{FONT_NAME}", 4: FONT_NAME, 6: FONT_NAME}
    records, strings = b"", b""
    for name_id, text in names.items():
        encoded = text.encode("utf-16-be")
        records += struct.pack(">HHHHHH", 3, 1, 0x409, name_id, len(encoded), len(strings))
        strings += encoded
    return struct.pack(">HHH", 0, len(names), 6 + len(records)) + records + strings


def _assemble(tables: dict[bytes, bytes]) -> bytes:
    """The offset table, the table directory (sorted by tag) and the tables, each 4-byte aligned."""
    count = len(tables)
    search = 2 ** (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, 16 * search, search.bit_length() - 1,
                         16 * count - 16 * search)
    offset = len(header) + 16 * count
    directory, data = b"", b""
    for tag in sorted(tables):
        table = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(table), offset + len(data), len(table))
        data += table + bytes(-len(table) % 4)
    return header + directory + data


def _table_offset(font: bytes, tag: bytes) -> int:
    count = struct.unpack(">H", font[4:6])[0]
    for entry in range(count):
        found, _, offset, _ = struct.unpack(">4sIII", font[12 + 16 * entry: 28 + 16 * entry])
        if found == tag:
            return offset
    raise KeyError(tag)


def _checksum(data: bytes) -> int:
    padded = data + bytes(-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
