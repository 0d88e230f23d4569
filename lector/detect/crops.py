"""How a detected box becomes a recognizer crop. Shared with the real-crop builder, so the
word net trains on crops cut exactly the way the pipeline cuts them."""
from __future__ import annotations

import math
from itertools import groupby
from dataclasses import dataclass, replace

import cv2
import numpy as np

from lector.core.geometry import Box, union_all
from lector.detect.mser import Segment

PAD_Y = 0.1     # of the box height, above and below
PAD_LEFT = 0.25  # of the box height (0.4, model v11: photos 0.8330 -> 0.8309, held-out sroie 0.9058 -> 0.9050)
# The net drops a narrow last glyph (":" "," after a word) when the crop ends right after it: it
# reads a little behind the ink. Half a text height of page on the right instead of a quarter,
# model v7, same run: photos 0.8298 -> 0.8325, held-out sroie 0.9029 -> 0.9059, funsd
# 0.7655 -> 0.7677; three quarters: photos 0.8323, sroie 0.9002. (Model v10 on stored word
# crops with a quarter height of blank added on the right: SROIE words SWA 0.930 -> 0.934.)
PAD_RIGHT = 0.5


def padded_box(box: Box, page_width: int, page_height: int, right: float = PAD_RIGHT) -> Box:
    """The crop box of a detected segment (a run of words with gaps of 1.5 text heights or more
    around it, so its right margin is blank page). `right`: the share of the height added on
    the right; a single word cut from a line takes less (its neighbour may stand closer)."""
    h = box.height
    return Box(round(box.x0 - PAD_LEFT * h), round(box.y0 - PAD_Y * h),
               round(box.x1 + right * h), round(box.y1 + PAD_Y * h)).clip(page_width, page_height)


def cut(grey: np.ndarray, box: Box) -> np.ndarray:
    return grey[int(box.y0): int(box.y1), int(box.x0): int(box.x1)]


def is_light_on_dark(crop: np.ndarray) -> bool:
    """Otsu: ink is the minority class; light ink when the dark class is the majority."""
    _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return bool((binary == 0).mean() > 0.5)


def dark_on_light(crop: np.ndarray) -> np.ndarray:
    """Invert light-on-dark crops, so the net sees one polarity."""
    if crop.size == 0:
        return crop
    return 255 - crop if is_light_on_dark(crop) else crop


WORD_POLARITY_PAD = 0.3    # of a word's height, page around it when its polarity is judged
MIN_JUDGED_HEIGHT = 0.5    # of the segment's height: lower words (specks, dots) are not judged


def split_by_polarity(grey: np.ndarray, segment: Segment) -> tuple[Segment, ...]:
    """A segment whose words are not all of one polarity, in runs that are: each is then
    turned dark-on-light by itself. On an invoice's dark "TOTAL" band the label is printed
    light and the amount dark; read as one crop, the crop is inverted for the label and the
    amount turns into faint light print the net does not read (every "$" and total amount of
    the 48 photos was missed). A run's box is the union of its words; `regions` stays the whole's
    count. Model v11, same run: photos 0.8330 -> 0.8341, held-out receipts 0.9058 -> 0.9059, forms
    0.7723 -> 0.7720 (judging specks too split paper texture into "*" readings: photos 0.8316)."""
    if len(segment.words) < 2:
        return (segment,)
    height, width = grey.shape[:2]
    # only words of text size and shape are judged (specks of paper texture flip at random);
    # the others go with the word before them (or the first judged one)
    judged = [w.height >= MIN_JUDGED_HEIGHT * segment.box.height and w.width >= w.height for w in segment.words]
    if sum(judged) < 2:
        return (segment,)
    light: list[bool | None] = []
    for word, judge in zip(segment.words, judged):
        pad = WORD_POLARITY_PAD * word.height
        patch = cut(grey, Box(round(word.x0 - pad), round(word.y0 - pad), round(word.x1 + pad),
                              round(word.y1 + pad)).clip(width, height))
        light.append(patch.size > 0 and is_light_on_dark(patch) if judge else None)
    known = [v for v in light if v is not None]
    if all(known) or not any(known):
        return (segment,)
    current = known[0]
    for k, value in enumerate(light):
        current = light[k] = current if value is None else value
    runs = [[word for _, word in run] for _, run in groupby(zip(light, segment.words), key=lambda pair: pair[0])]
    return tuple(replace(segment, box=union_all(run), words=tuple(run)) for run in runs)


# --- sloped rows ----------------------------------------------------------------------------------

MIN_RISE_SHARE = 0.2    # straighten a crop whose row rises by at least this share of its height ...
MIN_RISE_PX = 2.0       # ... and by at least this many pixels


def needs_straightening(box: Box, slope: float) -> bool:
    rise = abs(slope) * box.width
    return rise >= MIN_RISE_PX and rise >= MIN_RISE_SHARE * box.height


def straighten(crop: np.ndarray, slope: float) -> np.ndarray:
    """The band of a crop along a sloped row, resampled level: column by column, the rows around
    the row line y = h/2 + slope * (x - w/2) become the rows of the result.

    On a curled or folded photo a line rises or falls across the page by a few degrees even
    after the page is deskewed; its axis-aligned box is then much taller than its letters
    (a 3-degree slope over 400 px adds 21 px to 25 px letters), so the net, which sees the crop
    scaled to 32 px, would read small, slanted text. The result is as wide as the crop (the
    Wordinator's column positions stay valid) and as tall as the band: the crop's height less
    the rise, at least half of it (a quarter for steep rows).
    """
    h, w = crop.shape[:2]
    if h == 0 or w == 0 or slope == 0:
        return crop
    # the band is the crop less the rise; never under half the crop for gentle slopes (a slope
    # misjudged by a little must not cut letters), down to a quarter for steep ones (a row on a
    # curled corner, 20 degrees off: half its box would still hold two rows)
    band = int(round(max(h - abs(slope) * w, h * max(0.25, 0.5 - 0.6 * abs(slope)))))
    xs = np.arange(w, dtype=np.float32)
    top = h / 2 + slope * (xs - w / 2) - band / 2
    map_y = (top[None, :] + np.arange(band, dtype=np.float32)[:, None]).astype(np.float32)
    map_x = np.ascontiguousarray(np.broadcast_to(xs[None, :], map_y.shape))
    return cv2.remap(crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# --- crops too wide for the recognizer ------------------------------------------------------------

CHOP_WIDTH = 800       # px at the recognizer's input height: wider crops are read in pieces
CHOP_OVERLAP = 2.0     # crop heights shared by neighbouring pieces: two or three glyphs, with context


@dataclass(frozen=True, slots=True)
class Chop:
    """One piece of a crop too wide for the recognizer, and where it sits in the whole crop.

    `offset` is the piece's left edge within the whole crop (page px); `keep_from` and
    `keep_to` bound the part of the whole crop this piece speaks for by default: each overlap
    split at its middle, where both pieces see the text with context on both sides. (The
    re-assembly, `lector.postprocess.assemble`, moves each cut into the nearest gap between
    characters.)
    """

    box: Box
    index: int
    count: int
    offset: float
    keep_from: float
    keep_to: float


def chop_box(box: Box, max_width: int = CHOP_WIDTH, input_height: int = 32,
             overlap: float = CHOP_OVERLAP) -> list[Chop]:
    """The crop box in pieces no wider than `max_width` px once scaled to `input_height`, each
    sharing `overlap` crop heights with the next, spread evenly; one piece (the box) when it
    fits. The padding constants above are untouched: a piece is cut from the padded box."""
    height = max(box.height, 1.0)
    width = box.width
    piece = max_width * height / input_height                # page px
    if width <= piece:
        return [Chop(box, 0, 1, 0.0, 0.0, width)]
    shared = min(overlap * height, piece / 2)
    count = math.ceil((width - shared) / (piece - shared))
    stride = (width - piece) / (count - 1)
    starts = [round(k * stride) for k in range(count)]
    chops = []
    for k, start in enumerate(starts):
        end = width if k == count - 1 else start + piece
        keep_from = 0.0 if k == 0 else (start + starts[k - 1] + piece) / 2
        keep_to = width if k == count - 1 else (starts[k + 1] + start + piece) / 2
        chops.append(Chop(Box(box.x0 + start, box.y0, min(box.x1, box.x0 + end), box.y1), k, count,
                          float(start), float(keep_from), float(keep_to)))
    return chops
