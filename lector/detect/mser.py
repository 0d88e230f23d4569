"""Word Detector v2: MSER character regions in both polarities, grouped into words, segments and lines.

Tuned for recall: the word net reads empty crops as empty and post-processing drops noise, so a
missed line costs more than a false one. The stages, each a function of plain arrays:

1. `working_image`: the page's text height is estimated from connected components of a cheap
   binarisation, and pages with large text are shrunk so that text is about
   `target_text_height` px tall: MSER's cost grows with the pixel count, and every parameter
   below is then relative to one known text height.
2. `find_regions`: one OpenCV MSER call finds dark-on-light and light-on-dark regions alike
   (its second pass runs over the inverted grey levels; `pass2Only` off). v1 called it on the
   image and again on its inverse, so ran both passes twice. Measured on sroie_dev 014.jpg at
   working size: one call 75 ms; the dark pass alone 49 ms, the light pass alone 32 ms; so the
   passes share little beyond OpenCV's set-up, and the saving is in not repeating them.
   Regions are filtered by size, shape, fill ratio and, for solid-looking ones, stroke width;
   near-duplicates (nested regions a grey level apart) are merged on a grid, all in NumPy.
3. `estimate_skew`: the angle that makes the regions' centres pile up into the sharpest
   horizontal profile (a projection profile over candidate angles, all angles at once).
   Grouping happens in the *level frame*: region boxes moved as if the page were turned level.
4. `link_regions` / `segment_labels` / `merge_overlapping`: regions are linked pairwise when
   they sit side by side on one row with a small gap (relative to their height) and similar
   heights; dots and commas attach to their row without bridging two; the components are
   *segments* (one recognizer crop each, possibly several words), and segments over the same
   ink on one row (a word's strokes and its holes, both polarities) are merged. Inside each
   segment, gaps well above its usual letter gap split the *words* (`word_gap_threshold`).
5. `group_rows` / `reading_order`: segments on one row form a *line* (judged by a straight
   row line fitted through each segment's letters, so slanted and slightly curved rows keep
   apart); lines run top to bottom, segments left to right, text columns one after the other.

Boxes come back in the page's pixels and axis-aligned; on a skewed page they are the bounding
boxes of the turned text, and `PageDetection.skew_deg` says by how much it is turned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from lector.core.geometry import Box, array_to_boxes, rotate_points, union_all

EMPTY_BOXES = np.zeros((0, 4), np.float64)


@dataclass(frozen=True)
class DetectorConfig:
    # resolution
    max_side: int = 4096                 # the working image's long side at most (px)
    # pages with taller text are shrunk to this before MSER (px). 14, not 12: on a page of mixed
    # sizes small print kept 5 px and its rows ran together; 16 read a little better but hugged
    # the letters tighter (padded coverage under 0.97). Figures in the README.
    target_text_height: float = 14.0
    # MSER, at the working scale (delta is in grey levels)
    delta: int = 5
    max_variation: float = 0.8
    min_diversity: float = 0.0           # keep nested regions: at 0.2 faint print loses letters (recall 0.59)
    both_polarities: bool = True
    max_region_density: float = 20_000   # regions per working megapixel; more is noise: keep the text-sized
    max_region_area: float = 12.0        # of T^2: the largest region MSER reports (header letters)
    # region filters; heights are relative to the estimated text height T
    min_height: float = 0.12             # of T (dots, commas): they may join a segment, never start one
    max_height: float = 4.0              # of T: frames, page edges and paper between rules are taller
    max_aspect: float = 6.0              # width / height of one region (touching glyphs allowed)
    max_thinness: float = 15.0           # height / width
    min_fill: float = 0.1                # region pixels / box area: frames and rules fall below
    max_stroke: float = 0.45             # stroke width / T of a solid region: blobs and bars above
    max_frame_ratio: float = 2.0         # a region this many times taller than the text it holds is a frame; 0: keep
    # grouping
    # a segment bridges gaps under this many text heights (sroie_dev padded coverage 0.969 at 1.3, 0.972 at 1.5)
    gap_factor: float = 1.5
    word_gap_factor: float = 0.4         # a word ends at a gap over this many text heights
    max_height_ratio: float = 1.6        # letters of one row differ less in height (x-height vs ascender)
    min_row_overlap: float = 0.5         # of the smaller height, for two regions to share a row
    max_skew_deg: float = 12.0
    split_stacked_rows: bool = True      # a segment holding two rows (tight leading in a photo) is cut in two
    # segments that are not one row are grouped again at the page's angle +- these (degrees):
    # print on a curled or folded part of a sheet; () turns it off
    local_angles: tuple[float, ...] = (6.0, 12.0, 18.0, 24.0)
    # members of a segment over this many times its typical height do not make its box taller; 0: off
    max_letter_ratio: float = 1.5
    min_segment_px: float = 5.0          # segments lower than this in page pixels hold no legible text (specks)
    # pre-processing
    illumination: Literal["auto", "on", "off"] = "auto"   # flatten uneven light (photos, shadows) first


@dataclass(frozen=True, slots=True)
class Segment:
    """One recognizer crop: a run of words on one row with small gaps between them."""

    box: Box                             # in page pixels
    regions: int                         # character regions inside
    words: tuple[Box, ...] = ()          # the words inside, left to right, in page pixels
    angle: float = 0.0                   # the text's skew in degrees (counter-clockwise as seen)
    slope: float = 0.0                   # its own row line's dy/dx in page pixels (a curled page's lines differ)


@dataclass(frozen=True, slots=True)
class TextLine:
    segments: tuple[Segment, ...]

    @property
    def box(self) -> Box:
        return union_all(s.box for s in self.segments)


@dataclass(frozen=True, eq=False)
class PageDetection:
    """Everything the detector found on one page, in page pixels (for debugging and evaluation)."""

    lines: list[TextLine]
    regions: np.ndarray                  # (N, 4) the character regions kept
    text_height: float                   # estimated, page pixels (0 when none was found)
    scale: float                         # working image / page
    skew_deg: float


# --- 1. resolution --------------------------------------------------------------------------------

def estimate_text_height(grey: np.ndarray) -> float | None:
    """The median glyph height (px) of the page, from connected components of a local-mean
    binarisation; None when the page shows too few glyph-like shapes to tell.

    Large pages are measured at half or quarter size: glyphs stay several pixels tall there
    and the estimate costs a few milliseconds. Faint dot-matrix print and grainy paper break
    into specks at full size, which would make the text look a third of its height; so the
    page is also measured at half that size, where the dots run together and the grain fades,
    and where that finds glyphs twice as tall *that stand in rows*, it is believed. (Without
    the row test, the crumpled cloth or wood around a photographed sheet, whose blobs grow as
    the image shrinks, made 11 of the 48 inv3d photos look like 50-100 px text: the page was
    then shrunk until its real 25 px letters were 6 px tall, and most lines were lost.)
    """
    h, w = grey.shape
    factor = 1
    while h * w / factor ** 2 > 1.2e6 and min(h, w) / factor >= 400:
        factor *= 2
    full = _median_height(_glyph_boxes(grey, factor), factor)
    if full is None or min(h, w) / (2 * factor) < 200:
        return full
    half_glyphs = _glyph_boxes(grey, 2 * factor)
    half = _median_height(half_glyphs, 2 * factor)
    if half is not None and half >= 2 * full and row_share(half_glyphs) >= MIN_ROW_SHARE:
        return half
    return full


MIN_ROW_SHARE = 0.4   # text: 0.65-0.77 of glyphs have a row neighbour (sroie); background blobs: <= 0.15 (inv3d)


def _glyph_boxes(grey: np.ndarray, factor: int) -> np.ndarray:
    """(N, 4) x, y, w, h of the glyph-like components of a local-mean binarisation at 1/factor size."""
    h, w = grey.shape
    small = cv2.resize(grey, (w // factor, h // factor), interpolation=cv2.INTER_AREA) if factor > 1 else grey
    if min(small.shape) < 8:
        return np.zeros((0, 4), np.int32)
    block = max(15, (min(small.shape) // 24) | 1)
    binary = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 10)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    cw, ch, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    glyph = (ch >= 4) & (ch <= 0.7 * min(small.shape)) & (cw <= 2.5 * ch) & (area >= 0.1 * cw * ch) & (area >= 8)
    return stats[1:, :4][glyph]


def _median_height(glyphs: np.ndarray, factor: int) -> float | None:
    return float(np.median(glyphs[:, 3])) * factor if len(glyphs) >= 8 else None


def row_share(glyphs: np.ndarray, max_glyphs: int = 1500) -> float:
    """The share of median-height glyphs with a neighbour of like height just to their right on
    the same row: letters stand in rows, the blobs of a textured background do not."""
    if len(glyphs) < 8:
        return 0.0
    median = float(np.median(glyphs[:, 3]))
    like = glyphs[(glyphs[:, 3] > 0.6 * median) & (glyphs[:, 3] < 1.6 * median)].astype(np.float64)
    if len(like) == 0:           # e.g. a median height of 0: flat specks, no letters
        return 0.0
    if len(like) > max_glyphs:   # a fixed subsample bounds the pairwise test's cost
        like = like[np.random.default_rng(0).choice(len(like), max_glyphs, replace=False)]
    x, y, w, h = like.T
    centre_y = y + h / 2
    gap = x[None, :] - (x + w)[:, None]
    neighbour = ((gap > -0.2 * median) & (gap < median) & (np.abs(centre_y[None, :] - centre_y[:, None]) < 0.25 * median)
                 & (np.abs(h[None, :] - h[:, None]) < 0.3 * median))
    np.fill_diagonal(neighbour, False)
    return float(neighbour.any(axis=1).mean())


def working_image(grey: np.ndarray, config: DetectorConfig) -> tuple[np.ndarray, float, float]:
    """(working image, scale = working / page, text height in working pixels)."""
    text_height = estimate_text_height(grey)
    scale = min(1.0, config.max_side / max(grey.shape))
    if text_height is not None:
        scale = min(scale, max(config.target_text_height / text_height, 0.05))
    if scale < 1.0:
        size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    text = text_height * scale if text_height is not None else config.target_text_height
    return grey, scale, float(text)


def flatten_illumination(grey: np.ndarray, text_height: float, mode: str = "on",
                         min_spread: float = 48.0) -> np.ndarray:
    """Divide out uneven light (shadows, vignetting): the background is the page closed (text
    removed) with a kernel three text heights wide, at quarter size and smoothed.

    `mode` "auto" does it only where it pays: when the background's light varies by more than
    `min_spread` grey levels over the page (a photo, a shadow), not on an evenly lit scan,
    where dividing would only lift the paper's noise. Light text on a dark band keeps its
    polarity: where the band is wider than the kernel it is background, and is brought to
    paper white relative to its own level, not inverted.
    """
    if mode == "off":
        return grey
    h, w = grey.shape
    factor = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(grey, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(3 * text_height / factor)) | 1)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.GaussianBlur(background, (0, 0), k / 2)
    if mode == "auto":
        low, high = np.percentile(background, (2, 98))
        if high - low < min_spread:
            return grey
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = grey.astype(np.float32) * (np.float32(255.0) / np.maximum(background, np.float32(8.0)))
    return np.clip(flat, 0, 255).astype(np.uint8)


# --- 2. regions -----------------------------------------------------------------------------------

def find_regions(grey: np.ndarray, text_height: float, config: DetectorConfig) -> np.ndarray:
    """Character-like MSER regions (N, 4) x0, y0, x1, y1 in the working image's pixels, unique."""
    t = text_height
    mser = cv2.MSER_create(delta=config.delta, min_area=max(4, int(0.03 * t * t)),
                           max_area=max(64, int(config.max_region_area * t * t)), max_variation=config.max_variation,
                           min_diversity=config.min_diversity)
    mser.setPass2Only(not config.both_polarities)
    regions, bboxes = mser.detectRegions(np.ascontiguousarray(grey))
    if len(bboxes) == 0:
        return EMPTY_BOXES
    xywh = np.asarray(bboxes, np.float64).reshape(-1, 4)
    pixels = np.fromiter(map(len, regions), np.float64, len(regions))
    bw, bh = xywh[:, 2], xywh[:, 3]
    fill = pixels / np.maximum(bw * bh, 1)
    keep = ((bh >= max(2.0, config.min_height * t)) & (bh <= config.max_height * t)
            & (bw <= config.max_aspect * bh) & (bh <= config.max_thinness * np.maximum(bw, 1))
            & (fill >= config.min_fill))
    # near-duplicates (nested regions a grey level apart) snap to one box on a grid of T / 8
    grid = max(1.0, t / 8)
    boxes = np.stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + bw, xywh[:, 1] + bh], axis=1)
    index = np.nonzero(keep)[0]
    q = np.round(boxes[index] / grid).astype(np.int64)
    key = ((q[:, 0] * 65536 + q[:, 1]) * 65536 + q[:, 2]) * 65536 + q[:, 3]
    _, first = np.unique(key, return_index=True)
    index = index[np.sort(first)]
    solid = index[(fill[index] >= 0.6) & (np.minimum(bw[index], bh[index]) >= config.max_stroke * t)]
    thick = [i for i in solid if stroke_width(regions[i], xywh[i]) > max(config.max_stroke * t, 0.3 * bh[i])]
    if thick:                             # few per page: bold glyphs, bullets, blobs, bars
        index = np.setdiff1d(index, thick)
    boxes = boxes[index]
    if config.max_frame_ratio:
        boxes = boxes[~frames_around_text(boxes, t, config.max_frame_ratio)]
    most = max(2000, int(config.max_region_density * grey.size / 1e6))
    if len(boxes) > most:                 # noise, not text: keep the regions nearest to text size
        closeness = np.abs(np.log((boxes[:, 3] - boxes[:, 1]) / t))
        boxes = boxes[np.sort(np.argsort(closeness, kind="stable")[:most])]
    return boxes


def frames_around_text(boxes: np.ndarray, text_height: float, max_ratio: float, min_inside: int = 3) -> np.ndarray:
    """Per region: it holds at least `min_inside` text-sized regions and is over `max_ratio`
    times their median height: a table cell's rules (or a crease's shade) around its text, not
    a glyph. Joined into a row, such a region makes the crop several rows tall, and the net
    reads its text shrunk ("Invoice Number:" in a ruled cell was read as nothing). Touching
    glyphs stay: the letters of a word that MSER also found as one blob are about its height
    (ascenders against x-height: at most 1.8x), and so do dot-matrix glyphs, which hold their
    dots but are taller than wide; a frame around a row of text is wider than tall. The text
    inside keeps its own regions. At 2.0 rather than 2.5 or 3.0 (model v7, same run): photos
    0.8298 / 0.8282 / 0.8243, held-out receipts 0.9029 / 0.9018, forms 0.7655 / 0.7649."""
    h = boxes[:, 3] - boxes[:, 1]
    frames = np.zeros(len(boxes), bool)
    texty = np.nonzero(h >= 0.5 * text_height)[0]
    by_left = texty[np.argsort(boxes[texty, 0], kind="stable")]     # kids sorted by left edge
    kid_boxes, kid_h = boxes[by_left], h[by_left]
    candidates = np.nonzero((h >= max_ratio * 0.5 * text_height) & ((boxes[:, 2] - boxes[:, 0]) >= h))[0]
    first = np.searchsorted(kid_boxes[:, 0], boxes[candidates, 0], side="left")
    last = np.searchsorted(kid_boxes[:, 0], boxes[candidates, 2], side="right")
    for i, a, z in zip(candidates, first, last):
        if z - a < min_inside:
            continue
        b, near = boxes[i], kid_boxes[a:z]
        inside = (near[:, 1] >= b[1]) & (near[:, 2] <= b[2]) & (near[:, 3] <= b[3]) & (by_left[a:z] != i)
        if inside.sum() >= min_inside:
            frames[i] = h[i] > max_ratio * np.median(kid_h[a:z][inside])
    return frames


def stroke_width(points: np.ndarray, xywh: np.ndarray) -> float:
    """Twice the largest inscribed radius of one region: its thickest stroke, in px."""
    x, y, w, h = (int(v) for v in xywh)
    mask = np.zeros((h + 2, w + 2), np.uint8)
    mask[points[:, 1] - y + 1, points[:, 0] - x + 1] = 1
    return 2.0 * float(cv2.distanceTransform(mask, cv2.DIST_L2, 3).max())


# --- 3. skew --------------------------------------------------------------------------------------

def estimate_skew(boxes: np.ndarray, text_height: float, max_deg: float = 12.0) -> float:
    """The text's angle in degrees (counter-clockwise as seen), from the region centres.

    Each candidate angle levels the centres and histograms their heights in bins of a third of
    the text height; rows of text make the sharpest histogram (largest sum of squares) at the
    true angle. Coarse half-degree steps, then a tenth of a degree around the best. Returns 0
    when the page has too few regions or no angle beats level by a clear margin.
    """
    h = boxes[:, 3] - boxes[:, 1]
    body = boxes[(h >= 0.5 * text_height) & (h <= 2.0 * text_height)]
    if len(body) < 20 or max_deg <= 0:
        return 0.0
    cx, cy = (body[:, 0] + body[:, 2]) / 2, (body[:, 1] + body[:, 3]) / 2
    cx, cy = cx - cx.mean(), cy - cy.mean()
    bin_size = max(1.0, text_height / 3)

    def sharpness(angles: np.ndarray) -> np.ndarray:
        theta = np.deg2rad(angles)[:, None]
        levelled = np.sin(theta) * cx[None, :] + np.cos(theta) * cy[None, :]
        bins = np.floor((levelled - levelled.min()) / bin_size).astype(np.int64)
        width = int(bins.max()) + 1
        flat = bins + width * np.arange(len(angles))[:, None]
        counts = np.bincount(flat.ravel(), minlength=width * len(angles)).reshape(len(angles), width)
        return (counts.astype(np.float64) ** 2).sum(axis=1)

    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.5)
    scores = sharpness(coarse)
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    fine_scores = sharpness(fine)
    angle = float(fine[int(np.argmax(fine_scores))])
    level = sharpness(np.array([0.0]))[0]
    if abs(angle) < 0.3 or fine_scores.max() < 1.1 * level:
        return 0.0
    return round(angle, 2)


# --- 4. segments and words ------------------------------------------------------------------------

def levelled_boxes(boxes: np.ndarray, angle: float, centre: tuple[float, float]) -> np.ndarray:
    """Glyph boxes as they would be on the page turned level by `angle`: each centre is turned,
    and the size is that of the upright glyph whose turned bounding box is the box found
    (w' = w cos + h sin, h' = w sin + h cos, solved for w and h), so the gaps between letters
    are not narrowed by the tilt."""
    if angle == 0.0 or len(boxes) == 0:
        return boxes
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    moved = rotate_points(centres, angle, centre)
    c, s = abs(np.cos(np.deg2rad(angle))), abs(np.sin(np.deg2rad(angle)))
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    det = c * c - s * s
    half_w = np.maximum(1.0, (c * w - s * h) / det) / 2
    half_h = np.maximum(1.0, (c * h - s * w) / det) / 2
    return np.stack([moved[:, 0] - half_w, moved[:, 1] - half_h, moved[:, 0] + half_w, moved[:, 1] + half_h], axis=1)


MAX_PAIRS = 4_000_000      # candidate pairs per call at most: bounds time and memory on noise


def row_pairs(boxes: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) of boxes, a the taller (ties: the lower index), whose centres are within
    `reach` x a's height vertically: every pair that could share a row, without an all-pairs
    matrix. Boxes are sorted by centre height and each looks only at its window (on a page of
    noise, only at the nearest MAX_PAIRS / n of it)."""
    n = len(boxes)
    h = boxes[:, 3] - boxes[:, 1]
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    order = np.argsort(cy, kind="stable")
    cy_sorted = cy[order]
    lo = np.searchsorted(cy_sorted, cy_sorted - reach * h[order], side="left")
    hi = np.searchsorted(cy_sorted, cy_sorted + reach * h[order], side="right")
    if int((hi - lo).sum()) > MAX_PAIRS:
        half = max(1, MAX_PAIRS // (2 * n))
        position = np.arange(n)
        lo, hi = np.maximum(lo, position - half), np.minimum(hi, position + half + 1)
    counts = hi - lo
    total = int(counts.sum())
    first = np.repeat(np.arange(n), counts)
    second = np.repeat(lo, counts) + (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts))
    a, b = order[first], order[second]
    taller = (h[a] > h[b]) | ((h[a] == h[b]) & (a < b))
    return a[taller], b[taller]


def link_regions(boxes: np.ndarray, config: DetectorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate links between regions (level boxes): pairs (a, b), a the taller, and whether
    each is *strong* (a and b are letters of one row) or only an *attachment* (b may join a's
    segment, never bridge two).

    Candidates are the pairs whose centres are within 0.65 of the taller one's height, the
    farthest a row-mate's centre can be (`row_pairs`). Every link needs a horizontal gap under
    `gap_factor` of the taller height. Strong links need heights within `max_height_ratio`
    and a vertical overlap of `min_row_overlap` of the smaller height: a region merged across two rows (a descender touching the row below) is
    too tall to be similar to either, so it cannot chain rows together. Attachments (dots,
    commas, brackets beside x-height letters) need the smaller region inside the taller one's
    height.
    """
    h = boxes[:, 3] - boxes[:, 1]
    a, b = row_pairs(boxes, 0.65)
    ha, hb = h[a], h[b]
    gap = np.maximum(boxes[a, 0], boxes[b, 0]) - np.minimum(boxes[a, 2], boxes[b, 2])
    near = gap <= config.gap_factor * ha
    a, b, ha, hb = a[near], b[near], ha[near], hb[near]
    overlap = np.minimum(boxes[a, 3], boxes[b, 3]) - np.maximum(boxes[a, 1], boxes[b, 1])
    strong = (ha <= config.max_height_ratio * hb + 1) & (overlap >= config.min_row_overlap * hb)
    inside = (boxes[b, 1] >= boxes[a, 1] - 0.2 * ha) & (boxes[b, 3] <= boxes[a, 3] + 0.2 * ha)
    keep = strong | inside
    return a[keep], b[keep], strong[keep]


def segment_labels(heights: np.ndarray, a: np.ndarray, b: np.ndarray, strong: np.ndarray,
                   gaps: np.ndarray) -> np.ndarray:
    """Segment label of each region: components of the strong links; then each small component
    (a dot, a colon, a comma: at most four regions, all under 0.6 of the partner's height)
    attaches whole to the segment of its nearest attachment partner. One partner only, so an
    attachment never joins two segments."""
    n = len(heights)
    labels = connected_labels(n, a[strong], b[strong])
    sizes = np.bincount(labels, minlength=n)
    tallest = np.zeros(n)
    np.maximum.at(tallest, labels, heights)
    wa, wb, wgap = a[~strong], b[~strong], gaps[~strong]
    la, lb = labels[wa], labels[wb]
    ok = (la != lb) & (sizes[lb] <= 4) & (tallest[lb] < 0.6 * heights[wa]) & (sizes[la] >= 2)
    la, lb, wgap = la[ok], lb[ok], wgap[ok]
    if len(lb):
        order = np.lexsort((wgap, lb))
        first = np.r_[True, np.diff(lb[order]) != 0]
        target = np.arange(n)
        target[lb[order][first]] = la[order][first]
        labels = target[labels]
    return np.unique(labels, return_inverse=True)[1]


def connected_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label (0..k-1) of each of n nodes under the edges (a, b): union-find done as
    repeated hooking of roots to the smaller neighbour label plus pointer jumping, in NumPy."""
    parent = np.arange(n)
    while len(a):
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            break
        pa, pb = pa[differ], pb[differ]
        low = np.minimum(pa, pb)
        np.minimum.at(parent, pa, low)
        np.minimum.at(parent, pb, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return np.unique(parent, return_inverse=True)[1]


@dataclass(frozen=True, eq=False)
class RowFits:
    """A straight line through each segment's region centres (level frame): its row, even where
    the paper curves a little. `y_at(k, x)` is segment k's row centre at x."""

    mid_x: np.ndarray
    mid_y: np.ndarray
    slope: np.ndarray
    text_height: np.ndarray    # height-weighted mean member height: full letters count more than pieces

    def y_at(self, k: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self.mid_y[k] + self.slope[k] * (x - self.mid_x[k])


def fit_rows(level: np.ndarray, labels: np.ndarray, count: int, max_slope: float = 0.27) -> RowFits:
    """Least-squares row line of each of `count` segments from its members' centres, with
    bincount sums (no loop); a segment too short to show a slope gets a level one."""
    cx, cy = (level[:, 0] + level[:, 2]) / 2, (level[:, 1] + level[:, 3]) / 2
    h = level[:, 3] - level[:, 1]
    n = np.maximum(np.bincount(labels, minlength=count), 1)
    mx, my = np.bincount(labels, cx, count) / n, np.bincount(labels, cy, count) / n
    var_x = np.bincount(labels, cx * cx, count) / n - mx * mx
    cov = np.bincount(labels, cx * cy, count) / n - mx * my
    height = np.bincount(labels, h * h, count) / np.maximum(np.bincount(labels, h, count), 1e-9)
    long_enough = var_x > (3 * height) ** 2          # a dozen letters or more
    slope = np.where(long_enough, cov / np.where(long_enough, var_x, 1.0), 0.0)
    return RowFits(mx, my, np.clip(slope, -max_slope, max_slope), height)


def merge_overlapping(labels: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Merge segments over the same ink on one row: two crops of one word (its dark strokes
    and the light holes inside them, pieces at two grey levels) would read it twice.

    Segments merge when they overlap horizontally, their row lines run within half a text
    height of each other there and their text heights are alike; or when one lies (80 % of its
    area) inside the other's box and on its row line. Comparing row lines, not boxes, keeps two
    slanted rows apart even where their bounding boxes overlap.
    """
    count = int(labels.max()) + 1
    order = np.argsort(labels, kind="stable")
    starts = np.r_[0, np.nonzero(np.diff(labels[order]))[0] + 1]
    seg = _reduce_boxes(level[order], starts)
    a, b = row_pairs(seg, 0.5)
    if len(a) == 0:
        return labels
    fits = fit_rows(level, labels, count)
    th = fits.text_height
    x_lo, x_hi = np.maximum(seg[a, 0], seg[b, 0]), np.minimum(seg[a, 2], seg[b, 2])
    ih = np.minimum(seg[a, 3], seg[b, 3]) - np.maximum(seg[a, 1], seg[b, 1])
    xm = (x_lo + x_hi) / 2
    apart = np.abs(fits.y_at(a, xm) - fits.y_at(b, xm))
    low, high = np.minimum(th[a], th[b]), np.maximum(th[a], th[b])
    same_row = (x_hi > x_lo) & (apart < 0.5 * low) & (high <= 1.6 * low + 1)
    area_b = (seg[b, 2] - seg[b, 0]) * (seg[b, 3] - seg[b, 1])
    inside = (np.clip(x_hi - x_lo, 0, None) * np.clip(ih, 0, None) >= 0.8 * area_b) \
        & (np.abs(fits.y_at(a, fits.mid_x[b]) - fits.mid_y[b]) < 0.75 * th[a])
    merge = inside | same_row
    return connected_labels(count, a[merge], b[merge])[labels]


def split_stacked_rows(labels: np.ndarray, level: np.ndarray, min_members: int = 6,
                       min_separation: float = 0.8) -> np.ndarray:
    """Split a segment whose members sit in two bands about its row line into two segments.

    Small print with tight leading, photographed crumpled or in perspective, chains two rows
    into one segment through a few letters that touch or overlap across them (a descender on
    an ascender); the crop then holds both rows and reads as neither. Such a segment's member
    centres, measured from its fitted row line, fall into two groups a row pitch apart with an
    empty band between. The split takes the widest empty band in the sorted offsets, with at
    least three full-height members on each side; one row's commas, dots and x-height letters
    vary by far less than `min_separation` text heights, so scans keep their segments.
    Repeated, three stacked rows come apart too.
    """
    for _ in range(2):
        count = int(labels.max()) + 1
        fits = fit_rows(level, labels, count)
        cx, cy = (level[:, 0] + level[:, 2]) / 2, (level[:, 1] + level[:, 3]) / 2
        h = level[:, 3] - level[:, 1]
        offset = cy - fits.y_at(labels, cx)
        n = np.bincount(labels, minlength=count)
        spread = np.bincount(labels, offset * offset, count) / np.maximum(n, 1)
        candidates = np.nonzero((n >= min_members) & (spread > (0.3 * fits.text_height) ** 2))[0]
        if len(candidates) == 0:
            return labels
        labels = labels.copy()
        order = np.argsort(labels, kind="stable")
        starts = np.r_[0, np.cumsum(n)[:-1]]
        split = 0
        for k in candidates.tolist():
            members = order[starts[k]: starts[k] + n[k]]
            typical = float(fits.text_height[k])
            full = members[h[members] >= 0.6 * typical]        # letters, not dots, commas and counters
            if len(full) < min_members:
                continue
            ranked = full[np.argsort(offset[full], kind="stable")]
            gaps = np.diff(offset[ranked])[2: len(ranked) - 3]   # three or more letters each side
            i = int(np.argmax(gaps)) + 2
            apart = np.median(offset[ranked[i + 1:]]) - np.median(offset[ranked[: i + 1]])
            if gaps[i - 2] < 0.3 * typical or apart < min_separation * typical:
                continue
            cut = (offset[ranked[i]] + offset[ranked[i + 1]]) / 2
            labels[members[offset[members] > cut]] = count + split
            split += 1
        if split == 0:
            break
        labels = np.unique(labels, return_inverse=True)[1]
    return labels


@dataclass(frozen=True, eq=False)
class SegmentArrays:
    """Segments as arrays (working pixels): page-frame boxes, level-frame boxes and row lines,
    member counts, and the word boxes with the segment each belongs to."""

    boxes: np.ndarray          # (S, 4) axis-aligned, page frame
    level: np.ndarray          # (S, 4) in the level frame (rows are horizontal there)
    fits: RowFits
    counts: np.ndarray         # (S,)
    words: np.ndarray          # (W, 4) page frame
    word_owner: np.ndarray     # (W,) the segment of each word
    page_slope: np.ndarray     # (S,) each segment's row line dy/dx in the page frame (0: too short to tell)


def region_labels(level: np.ndarray, config: DetectorConfig) -> np.ndarray:
    """Segment label of each region (level boxes): linked, merged where two pieces cover one
    row's ink, split where one holds two rows."""
    a, b, strong = link_regions(level, config)
    gaps = np.maximum(level[a, 0], level[b, 0]) - np.minimum(level[a, 2], level[b, 2])
    labels = merge_overlapping(segment_labels(level[:, 3] - level[:, 1], a, b, strong, gaps), level)
    if config.split_stacked_rows:
        labels = split_stacked_rows(labels, level)
    return labels


def off_row(level: np.ndarray, labels: np.ndarray, min_members: int = 4, fits: RowFits | None = None) -> np.ndarray:
    """Per segment: its members do not stand in one row of the level frame (their centres
    spread about its row line by more than 0.35 text heights, or the line is steeper than
    the fit allows). Rows several degrees off the page's angle are like that. `fits`: the
    segments' unclamped row fits (`fit_rows(..., max_slope=1.0)`) where the caller has them."""
    count = int(labels.max()) + 1
    fits = fit_rows(level, labels, count, max_slope=1.0) if fits is None else fits
    cx, cy = (level[:, 0] + level[:, 2]) / 2, (level[:, 1] + level[:, 3]) / 2
    offset = cy - fits.y_at(labels, np.asarray(cx))
    n = np.bincount(labels, minlength=count)
    spread = np.sqrt(np.bincount(labels, offset * offset, count) / np.maximum(n, 1))
    return (n >= min_members) & ((spread > 0.35 * fits.text_height) | (np.abs(fits.slope) > 0.2))


MAX_REGROUPED = 3000     # regions in off-row segments at most; more is noise (grain, a texture), not print


def regroup_sloped(boxes: np.ndarray, level: np.ndarray, labels: np.ndarray, angle: float,
                   centre: tuple[float, float], text_height: float, config: DetectorConfig,
                   min_members: int = 8, min_length: float = 10.0,
                   max_residual_slope: float = 0.06) -> tuple[np.ndarray, np.ndarray]:
    """Re-group the regions of segments that are not one row (`off_row`) at other angles.

    One angle levels a page, but a curled or folded sheet, flattened by its outline, still has
    blocks of print a dozen degrees or more off it (a curled corner, a panel folded away). Their
    letters do link, but a sloped row's level box is tall, overlaps the rows beside it, and is
    merged with them into one crop of several rows that reads as nothing. Those regions are
    grouped again at the page's angle +-6, 12, 18 and 24 degrees. A segment found at one of
    them is taken if its members stand in one row there, level (its fitted line within
    `max_residual_slope`, about 3 degrees, half the step: a row of the page's angle chained at
    this one would slope by the step), and long (`min_members` regions and `min_length` text
    heights, the segment's or at least 0.6 of the page's: long enough for its slope to be
    measured; a price's few letters can line up at any angle); largest first, each region
    once. What no angle explains keeps its first grouping. Pages whose rows are all level are not
    touched, so scans come out as before. Returns the labels and each label's angle (degrees).
    """
    count = int(labels.max()) + 1
    unchanged = labels, np.full(count, angle)
    bad = off_row(level, labels)
    todo = np.nonzero(bad[labels])[0]
    if len(todo) < 4 or len(todo) > MAX_REGROUPED:
        return unchanged                 # nothing to do, or noise everywhere: bounded time
    candidates = []                          # (region indices, angle)
    for step in config.local_angles:
        for sign in (1.0, -1.0):
            turned_angle = angle + sign * step
            turned = levelled_boxes(boxes[todo], turned_angle, centre)
            sub = region_labels(turned, config)
            sizes = np.bincount(sub)
            seg = _reduce_boxes(turned[np.argsort(sub, kind="stable")], np.r_[0, np.cumsum(sizes)[:-1]])
            fits = fit_rows(turned, sub, len(sizes), max_slope=1.0)
            heights = np.maximum(fits.text_height, 0.6 * text_height)
            long = (sizes >= min_members) & (seg[:, 2] - seg[:, 0] >= min_length * heights)
            good = ~off_row(turned, sub, 3, fits) & long & (np.abs(fits.slope) < max_residual_slope)
            candidates += [(todo[sub == k], turned_angle) for k in np.nonzero(good)[0]]
    if not candidates:
        return unchanged
    labels = labels.copy()
    angles = list(unchanged[1])
    taken = np.zeros(len(labels), bool)
    for members, turned_angle in sorted(candidates, key=lambda c: len(c[0]), reverse=True):
        if taken[members].any():
            continue
        taken[members] = True
        labels[members] = len(angles)
        angles.append(turned_angle)
    used, labels = np.unique(labels, return_inverse=True)
    return labels, np.asarray(angles)[used]


def group_segments(boxes: np.ndarray, level: np.ndarray, text_height: float, config: DetectorConfig,
                   page_size: tuple[int, int] | None = None, angle: float | None = None) -> SegmentArrays:
    """Linked regions -> segments, and within each segment the words (split at wide gaps).

    Dropped: a lone region that is a speck or a sliver of a rule, punctuation alone, a row of
    thin bars (a barcode), tall slivers, and short pieces touching the left or right edge of
    the page (`page_size` = width, height): folds and the dark border of a scan, not text.
    """
    labels = region_labels(level, config)
    label_angle = None
    if config.local_angles and angle is not None and page_size is not None:
        labels, label_angle = regroup_sloped(boxes, level, labels, angle, (page_size[0] / 2, page_size[1] / 2),
                                             text_height, config)
    # members sorted by segment, then left to right in the level frame
    order = np.lexsort((level[:, 0], labels))
    lab, bx, lv = labels[order], boxes[order], level[order]
    starts = np.r_[0, np.nonzero(np.diff(lab))[0] + 1]
    counts = np.diff(np.r_[starts, len(lab)])
    fits = fit_rows(lv, lab, len(starts))
    tallest = np.maximum.reduceat(lv[:, 3] - lv[:, 1], starts)
    bars = np.add.reduceat((lv[:, 3] - lv[:, 1] >= 4 * (lv[:, 2] - lv[:, 0])).astype(np.int64), starts)
    # words: a gap much wider than the segment's usual letter gap starts a new word
    reach = _running_max_per_group(lv[:, 2], lab)
    gaps = lv[1:, 0] - reach[:-1]
    same = np.diff(lab) == 0
    seg_level = _reduce_boxes(lv, starts)
    threshold = word_gap_threshold(gaps, same, lab[1:], fits.text_height, seg_level[:, 2] - seg_level[:, 0],
                                   config.word_gap_factor)
    new_word = np.r_[True, ~same | (gaps > threshold[lab[1:]])]
    word_starts = np.nonzero(new_word)[0]
    words = _reduce_boxes(bx, word_starts)
    word_owner = lab[word_starts]
    seg_boxes = _reduce_boxes(bx, starts)
    if config.max_letter_ratio:
        seg_boxes = row_extent(bx, starts, seg_boxes, config.max_letter_ratio)
    w = seg_boxes[:, 2] - seg_boxes[:, 0]
    hh = seg_boxes[:, 3] - seg_boxes[:, 1]
    keep = (counts >= 2) | ((w >= 0.3 * hh) & (hh >= 0.5 * text_height) & (hh <= 2.5 * text_height))
    keep &= (hh >= 0.35 * text_height) & (tallest >= 0.4 * text_height)
    keep &= ~((counts >= 8) & (bars > 0.6 * counts))
    keep &= ~((w < 0.25 * hh) & (hh > 1.2 * text_height))   # a tall sliver: a fold, a scan border
    if page_size is not None:
        edge = (seg_boxes[:, 0] <= 2) | (seg_boxes[:, 2] >= page_size[0] - 2)
        keep &= ~(edge & (w < 2 * hh))
    index = np.cumsum(keep) - 1
    word_keep = keep[word_owner]
    kept_fits = RowFits(fits.mid_x[keep], fits.mid_y[keep], fits.slope[keep], fits.text_height[keep])
    page_slope = fit_rows(bx, lab, len(starts), max_slope=0.5).slope
    if label_angle is not None:
        # a segment too short to fit a slope, grouped at another angle than the page's: that angle
        turned = (page_slope == 0) & (label_angle[lab[starts]] != angle)
        page_slope = np.where(turned, -np.tan(np.deg2rad(label_angle[lab[starts]])), page_slope)
    page_slope = page_slope[keep]
    return SegmentArrays(boxes=seg_boxes[keep], level=seg_level[keep], fits=kept_fits, counts=counts[keep],
                         words=words[word_keep], word_owner=index[word_owner[word_keep]], page_slope=page_slope)


def row_extent(members: np.ndarray, starts: np.ndarray, seg_boxes: np.ndarray, outlier: float) -> np.ndarray:
    """Each segment's box, its height taken from its letters only: members over `outlier` times
    the segment's typical member height (the upper quartile: holes, dots and commas are members
    too) widen it but do not make it taller. A crease's shade or a table rule joined to one
    letter made a row's box twice as tall as its letters, and the net then read them shrunk
    under a stripe ("Large Yellow Babushka Notebook" as nothing). A row of letters alone
    (capitals and descenders reach 1.4x its typical letter) keeps its box.
    Model v11, same run, at 0 (off) / 1.8 / 1.5 / 1.3: photos 0.8375 / 0.8406 / 0.8458 / 0.8401,
    held-out receipts 0.9059 / 0.9062 / 0.9067, forms 0.7720 / 0.7724 / 0.7736."""
    heights = members[:, 3] - members[:, 1]
    typical = np.array([np.percentile(part, 75) for part in np.split(heights, starts[1:])])
    owner = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(members)]))
    letter = heights <= outlier * typical[owner]
    top = np.full(len(starts), np.inf)
    bottom = np.full(len(starts), -np.inf)
    np.minimum.at(top, owner[letter], members[letter, 1])
    np.maximum.at(bottom, owner[letter], members[letter, 3])
    out = seg_boxes.copy()
    out[:, 1] = np.where(np.isfinite(top), top, seg_boxes[:, 1])
    out[:, 3] = np.where(np.isfinite(bottom), bottom, seg_boxes[:, 3])
    return out


def word_gap_threshold(gaps: np.ndarray, same: np.ndarray, owner: np.ndarray, text_height: np.ndarray,
                       width: np.ndarray, factor: float) -> np.ndarray:
    """The gap (px) over which a segment's letters belong to two words, per segment.

    A fixed share of the text height cannot serve both kinds of print: monospaced receipt
    fonts leave gaps of 0.4 text heights beside a narrow '.' or '1', proportional fonts put
    words only 0.4 apart. So each segment's threshold is 2.5 x its median letter gap, kept
    between 0.75 and 1.5 x `factor` text heights. Letters that touch (blur, bold print) leave
    no gap between their boxes, so the gaps seen are completed with zeros up to a low estimate
    of the letters the segment holds (one per 1.2 text heights of width) before the median is
    taken; without that, a segment of touching letters would take its word gaps for letter gaps.
    """
    count = len(text_height)
    positive = same & (gaps > 0)
    g, o = gaps[positive], owner[positive]
    median = np.zeros(count)
    if len(g):
        order = np.lexsort((g, o))
        g, o = g[order], o[order]
        starts = np.r_[0, np.nonzero(np.diff(o))[0] + 1]
        seen = np.diff(np.r_[starts, len(o)])
        segs = o[starts]
        letters = np.maximum(1, np.round(width[segs] / (1.2 * text_height[segs])).astype(np.int64))
        touching = np.maximum(0, letters - 1 - seen)
        rank = (touching + seen) // 2 - touching          # the median's rank among the gaps seen
        median[segs] = np.where(rank >= 0, g[starts + np.clip(rank, 0, seen - 1)], 0.0)
    return np.clip(2.5 * median, 0.75 * factor * text_height, 1.5 * factor * text_height)


def _running_max_per_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative max of `values` that restarts at each new group (groups sorted ascending)."""
    span = float(values.max() - values.min()) + 1.0 if len(values) else 1.0
    shifted = values - values.min() + groups * span
    return np.maximum.accumulate(shifted) - groups * span + values.min()


def _reduce_boxes(boxes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Union box of each run boxes[starts[k]:starts[k+1]]."""
    if len(starts) == 0:
        return EMPTY_BOXES
    return np.stack([np.minimum.reduceat(boxes[:, 0], starts), np.minimum.reduceat(boxes[:, 1], starts),
                     np.maximum.reduceat(boxes[:, 2], starts), np.maximum.reduceat(boxes[:, 3], starts)], axis=1)


# --- 5. lines and reading order ------------------------------------------------------------------

def group_rows(segments: SegmentArrays) -> np.ndarray:
    """Row label of each segment: widest first, a segment joins the row whose reference (its
    first, widest segment) runs nearest to the segment's centre, if within half the larger and
    0.8 of the smaller text height; otherwise it starts a row. Comparing with one reference
    segment's row line, not the row's growing box, keeps tall noise (page edges, stamps) from
    chaining rows together and lets a price far to the right find its item's slanted row."""
    fits, level = segments.fits, segments.level
    s = len(level)
    labels = np.full(s, -1, np.int64)
    refs = np.zeros(s, np.int64)
    rows = 0
    for i in np.argsort(-(level[:, 2] - level[:, 0]), kind="stable"):
        if rows:
            ref = refs[:rows]
            x = np.clip(fits.mid_x[i], level[ref, 0], level[ref, 2])      # never extrapolate a slope
            apart = np.abs(fits.y_at(ref, x) - fits.mid_y[i])
            th_ref, th = fits.text_height[ref], fits.text_height[i]
            near = apart < np.minimum(0.5 * np.maximum(th_ref, th), 0.8 * np.minimum(th_ref, th))
            if near.any():
                labels[i] = int(np.argmin(np.where(near, apart, np.inf)))
                continue
        refs[rows] = i
        labels[i] = rows
        rows += 1
    return labels


def reading_order(segments: SegmentArrays, rows: np.ndarray, text_height: float) -> list[list[int]]:
    """Lines as lists of segment indices, in reading order.

    Rows run top to bottom, segments left to right. The page is read column by column when a
    vertical gutter (a strip at least two text heights wide that no segment crosses) splits it
    into sides whose rows do not line up (few rows have a row-mate across it): text columns,
    each read top to bottom, left column first; a row that does reach across is cut at the
    gutter. Where the rows line up across the gutter (item names and their prices) it is one
    table, read row by row.
    """
    level = segments.level
    n_rows = int(rows.max()) + 1 if len(rows) else 0
    row_y = np.bincount(rows, segments.fits.mid_y, n_rows) / np.maximum(np.bincount(rows, minlength=n_rows), 1)
    gutter = column_gutter(level, rows, n_rows, text_height)
    sides = [np.ones(len(level), bool)] if gutter is None else [level[:, 2] <= gutter, level[:, 0] >= gutter]
    ordered: list[list[int]] = []
    for side in sides:
        for r in np.argsort(row_y, kind="stable"):
            members = np.nonzero((rows == r) & side)[0]
            if len(members):
                ordered.append(members[np.argsort(level[members, 0], kind="stable")].tolist())
    return ordered


def column_gutter(level: np.ndarray, rows: np.ndarray, n_rows: int, text_height: float) -> float | None:
    """The x of a gutter between two text columns, or None: the widest strip no segment
    crosses, if at least two text heights wide, with at least two rows on each side that have
    no row-mate across it and at most 30 % of the rows reaching across."""
    if n_rows < 4:
        return None
    x0, x1 = level[:, 0], level[:, 2]
    lo, hi = float(x0.min()), float(x1.max())
    bins = max(1, int((hi - lo) / max(1.0, text_height / 2)) + 1)
    cover = np.zeros(bins + 1, np.int64)
    np.add.at(cover, np.clip(((x0 - lo) / (hi - lo + 1e-9) * bins).astype(np.int64), 0, bins), 1)
    np.add.at(cover, np.clip(((x1 - lo) / (hi - lo + 1e-9) * bins).astype(np.int64) + 1, 0, bins), -1)
    empty = np.cumsum(cover)[:bins] == 0
    if not empty.any():
        return None
    runs = np.flatnonzero(np.diff(np.r_[0, empty.astype(np.int8), 0]))
    starts, ends = runs[::2], runs[1::2]
    k = int(np.argmax(ends - starts))
    if (ends[k] - starts[k]) * (hi - lo) / bins < 2 * text_height:
        return None
    cut = lo + (starts[k] + ends[k]) / 2 * (hi - lo) / bins
    left_rows, right_rows = set(rows[x1 <= cut].tolist()), set(rows[x0 >= cut].tolist())
    both = left_rows & right_rows
    if len(left_rows - both) < 2 or len(right_rows - both) < 2 or len(both) > 0.3 * min(len(left_rows), len(right_rows)):
        return None
    return cut


# --- the detector ---------------------------------------------------------------------------------

def detect_page(grey: np.ndarray, config: DetectorConfig = DetectorConfig()) -> PageDetection:
    """Everything the detector finds on a grey uint8 page, boxes in the page's pixels."""
    empty = PageDetection(lines=[], regions=EMPTY_BOXES, text_height=0.0, scale=1.0, skew_deg=0.0)
    if grey.ndim != 2 or min(grey.shape) < 4 or int(grey.max()) - int(grey.min()) < 8:
        return empty
    work, scale, text_height = working_image(grey, config)
    if min(work.shape) < 4:
        return empty
    work = flatten_illumination(work, text_height, config.illumination)
    boxes = find_regions(work, text_height, config)
    if len(boxes) == 0:
        return PageDetection([], EMPTY_BOXES, text_height / scale, scale, 0.0)
    skew = estimate_skew(boxes, text_height, config.max_skew_deg)
    level = levelled_boxes(boxes, skew, (work.shape[1] / 2, work.shape[0] / 2))
    segments = group_segments(boxes, level, text_height, config, (work.shape[1], work.shape[0]), skew)
    lines: list[TextLine] = []
    if len(segments.boxes):
        rows = group_rows(segments)
        page_boxes = array_to_boxes(segments.boxes / scale)
        word_boxes = array_to_boxes(segments.words / scale)
        words_of: list[list[Box]] = [[] for _ in range(len(page_boxes))]
        for owner, word in zip(segments.word_owner.tolist(), word_boxes):
            words_of[owner].append(word)
        for members in reading_order(segments, rows, text_height):
            kept = [i for i in members if page_boxes[i].height >= config.min_segment_px]
            if kept:
                lines.append(TextLine(tuple(Segment(page_boxes[i], int(segments.counts[i]), tuple(words_of[i]), skew,
                                                    float(segments.page_slope[i]))
                                            for i in kept)))
    return PageDetection(lines=lines, regions=boxes / scale, text_height=text_height / scale, scale=scale,
                         skew_deg=skew)


def detect_lines(grey: np.ndarray, config: DetectorConfig = DetectorConfig()) -> list[TextLine]:
    """Text lines of a grey uint8 page, boxes in the page's pixels, in reading order."""
    return detect_page(grey, config).lines
