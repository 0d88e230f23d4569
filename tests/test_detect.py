"""Word Detector v2 on pages with known word boxes: both polarities, a 5 degree skew, a price
column, two text columns, degenerate images; and crops too wide for the recognizer, chopped
and re-assembled."""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.core.geometry import Box, boxes_to_array, pairwise_iou, union_all
from lector.detect.crops import (chop_box, cut, is_light_on_dark, needs_straightening, padded_box, split_by_polarity,
                                 straighten)
from lector.detect.debug import LINE_COLOUR, REGION_COLOUR, SEGMENT_COLOUR, WORD_COLOUR, debug_picture
from lector.detect.mser import (DetectorConfig, row_extent, connected_labels, detect_lines, detect_page, estimate_skew,
                                estimate_text_height, row_share, split_stacked_rows,
                                flatten_illumination)
from lector.postprocess.assemble import assemble_readings
from lector.recognize.ctc import CharSpan, Reading
from lector.recognize.preprocess import TIME_STRIDE
from lector.synth.page import photo_like, render_receipt

EVALDATA = Path(__file__).resolve().parents[2] / "shared" / "evaldata"

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _share_inside(box: Box, others: list[Box]) -> float:
    return max((box.intersection(o) / box.area for o in others), default=0.0)


def _segments(lines):
    return [s for line in lines for s in line.segments]


def _row_boxes(words) -> list[Box]:
    rows: dict[int, list[Box]] = {}
    for word in words:
        rows.setdefault(word.line, []).append(word.box)
    return [union_all(boxes) for _, boxes in sorted(rows.items())]


def _with_dark_bands(image: np.ndarray, words, rows=(0, 8)) -> np.ndarray:
    """White text on black bands over the given rows (the next row where one is empty)."""
    grey = _grey(image)
    for row in rows:
        band = [w for w in words if w.line == row] or [w for w in words if w.line == row + 1]
        y0, y1 = int(min(w.box.y0 for w in band)) - 6, int(max(w.box.y1 for w in band)) + 6
        grey[y0:y1] = 255 - grey[y0:y1]
    return grey


# --- pages with known boxes -----------------------------------------------------------------------

def test_receipt_words_are_covered_and_lines_ordered():
    image, words = render_receipt(seed=2)
    lines = detect_lines(_grey(image))
    segments = [s.box for s in _segments(lines)]
    covered = sum(_share_inside(w.box, segments) > 0.8 for w in words)
    assert covered >= 0.95 * len(words)
    centres = [line.box.center[1] for line in lines]
    assert centres == sorted(centres)
    # a right-aligned price shares its line with the item name, and comes after it
    item_line = next(line for line in lines if len(line.segments) >= 2)
    assert item_line.segments[0].box.x1 < item_line.segments[-1].box.x0


@pytest.mark.parametrize("seed", [1, 4])
def test_light_text_on_dark_bands_is_found_with_the_dark_text(seed):
    image, words = render_receipt(seed=seed)
    grey = _with_dark_bands(image, words)
    segments = [s.box for s in _segments(detect_lines(grey))]
    assert sum(_share_inside(w.box, segments) > 0.8 for w in words) >= 0.95 * len(words)
    banded = [w for w in words if w.line in (0, 8)]
    assert all(_share_inside(w.box, segments) > 0.8 for w in banded)


@pytest.mark.parametrize("seed,tilt", [(0, 5.0), (3, -5.0), (2, 5.0)])
def test_a_page_skewed_by_five_degrees_keeps_its_rows_and_price_column(seed, tilt):
    image, words = photo_like(*render_receipt(seed=seed), seed=seed, tilt_deg=tilt)
    page = detect_page(_grey(image))
    assert page.skew_deg == pytest.approx(tilt, abs=0.6)
    # every truth row is one detected line (IoU >= 0.5): item names and their prices together
    rows = _row_boxes(words)
    iou = pairwise_iou(boxes_to_array(rows), boxes_to_array(line.box for line in page.lines))
    assert (iou.max(axis=1) >= 0.5).mean() >= 0.9
    assert len(page.lines) <= len(rows) + 1
    # the word boxes: most truth words found at IoU >= 0.5, nearly all inside a segment
    found = boxes_to_array(w for s in _segments(page.lines) for w in s.words)
    assert (pairwise_iou(boxes_to_array(w.box for w in words), found).max(axis=1) >= 0.5).mean() >= 0.85
    segments = [s.box for s in _segments(page.lines)]
    assert sum(_share_inside(w.box, segments) > 0.8 for w in words) >= 0.95 * len(words)
    # price column: each price row has its price as the line's last segment, right of the item
    for line in page.lines:
        if len(line.segments) >= 2:
            assert line.segments[0].box.center[0] < line.segments[-1].box.center[0]


def test_skewed_page_with_light_bands_in_both_polarities():
    image, words = render_receipt(seed=5)
    grey = _with_dark_bands(image, words)
    image, words = photo_like(np.stack([grey] * 3, axis=-1), words, seed=5, tilt_deg=-5.0)
    segments = [s.box for s in _segments(detect_lines(_grey(image)))]
    assert sum(_share_inside(w.box, segments) > 0.8 for w in words) >= 0.95 * len(words)


def test_text_columns_are_read_column_by_column():
    """Two columns whose rows do not line up: the left column's lines all come first."""
    page = Image.new("L", (1000, 700), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(SANS, 20)
    left = [f"left column line {k} of text" for k in range(10)]
    right = [f"right side entry {k} here" for k in range(8)]
    for k, text in enumerate(left):
        draw.text((40, 40 + 56 * k), text, font=font, fill=20)
    for k, text in enumerate(right):
        draw.text((560, 60 + 71 * k), text, font=font, fill=20)
    lines = detect_lines(np.asarray(page))
    sides = ["L" if line.box.center[0] < 500 else "R" for line in lines]
    assert sides == ["L"] * len(left) + ["R"] * len(right)


def test_mixed_sizes_stay_on_their_rows():
    page = Image.new("L", (900, 300), 245)
    draw = ImageDraw.Draw(page)
    draw.text((40, 30), "GRAND TOTAL", font=ImageFont.truetype(SANS, 44), fill=10)
    draw.text((600, 48), "RM 128.20", font=ImageFont.truetype(SANS, 22), fill=10)
    draw.text((40, 120), "small print under the total line", font=ImageFont.truetype(SANS, 16), fill=10)
    draw.text((40, 150), "and another line of small print", font=ImageFont.truetype(SANS, 16), fill=10)
    lines = detect_lines(np.asarray(page))
    assert len(lines) == 3
    assert len(lines[0].segments) == 2 and lines[0].segments[0].box.height > 1.5 * lines[0].segments[1].box.height


def test_a_frame_drawn_close_around_text_does_not_make_its_crop_tall():
    """Labels boxed by a thin outline that runs a text height above them (a ruled table cell, a
    crease's shade on a photo): blurred, MSER finds outline and text as one region."""
    page = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(SANS, 22)
    text_boxes = []
    for y in (60, 180):
        for x, text in ((40, "Invoice Number:"), (330, "#31514"), (520, "Issue Date:")):
            draw.text((x, y), text, font=font, fill=20)
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
            draw.rectangle((x0 - 3, y0 - 25, x1 + 3, y1 + 3), outline=90, width=2)
            text_boxes.append(Box(x0, y0, x1, y1))
    grey = cv2.GaussianBlur(np.asarray(page), (0, 0), 1.0)
    segments = _segments(detect_lines(grey))
    assert len(segments) == 6
    for segment, text in zip(segments, text_boxes):
        assert segment.box.intersection(text) > 0.9 * text.area
        assert segment.box.height < 1.4 * text.height, (segment.box, text)
    kept_frames = _segments(detect_lines(grey, DetectorConfig(max_frame_ratio=0, max_letter_ratio=0)))
    assert max(s.box.height for s in kept_frames) > 2 * max(t.height for t in text_boxes)


def _total_band(amount_ink: int) -> tuple[np.ndarray, Box, Box]:
    """An invoice's TOTAL band: the label light on dark grey, the amount darker still."""
    page = Image.new("L", (700, 160), 250)
    draw = ImageDraw.Draw(page)
    draw.rectangle((30, 40, 660, 120), fill=80)
    font = ImageFont.truetype(SANS, 34)
    draw.text((70, 60), "TOTAL", font=font, fill=240)
    draw.text((205, 60), "$ 4.67", font=font, fill=amount_ink)
    label, amount = (Box(*draw.textbbox((x, 60), t, font=font)) for x, t in ((70, "TOTAL"), (205, "$ 4.67")))
    return cv2.GaussianBlur(np.asarray(page), (0, 0), 0.8), label, amount


def test_a_segment_of_light_and_dark_words_is_read_as_runs_of_one_polarity():
    """Read as one crop, the band is inverted for its light label and the dark amount turns
    into faint light print; split, each run is turned dark-on-light by itself."""
    grey, label, amount = _total_band(amount_ink=25)
    segment = next(s for s in _segments(detect_lines(grey)) if s.box.intersection(amount) > 0.5 * amount.area)
    assert segment.box.intersection(label) > 0.5 * label.area        # one segment holds both
    runs = split_by_polarity(grey, segment)
    assert len(runs) == 2
    assert runs[0].box.intersection(label) > 0.8 * label.area and runs[0].box.intersection(amount) == 0
    assert runs[1].box.intersection(amount) > 0.8 * amount.area and runs[1].box.intersection(label) == 0
    assert is_light_on_dark(cut(grey, padded_box(runs[0].box, 700, 160)))
    assert not is_light_on_dark(cut(grey, padded_box(runs[1].box, 700, 160)))
    # both light: one crop, as before
    same, _, _ = _total_band(amount_ink=240)
    whole = next(s for s in _segments(detect_lines(same)) if s.box.intersection(label) > 0.5 * label.area)
    assert split_by_polarity(same, whole) == (whole,)


def test_a_tall_member_widens_a_segment_but_does_not_make_it_taller():
    """Letters 10 px tall (capitals 14, holes and a comma smaller) on one row, and a crease's
    shade joined to one letter 26 px tall: the box keeps the letters' height."""
    letters = [[10 * i, 20, 10 * i + 8, 30] for i in range(8)] + [[85, 16, 93, 30], [95, 24, 99, 28], [101, 28, 104, 33]]
    row = np.array(letters, np.float64)
    segment = np.array([[0, 16, 104, 33]], np.float64)
    assert np.array_equal(row_extent(row, np.array([0]), segment, 1.5), segment)      # letters alone: as it was
    creased = np.vstack([row, [[30, 4, 48, 30]]])
    box = row_extent(creased, np.array([0]), np.array([[0, 4, 104, 33]], np.float64), 1.5)
    assert box.tolist() == [[0, 16, 104, 33]]
    assert row_extent(creased, np.array([0]), np.array([[0, 4, 104, 33]], np.float64), 3.0).tolist() == [[0, 4, 104, 33]]


def test_frames_are_told_from_words_that_touch():
    from lector.detect.mser import frames_around_text
    letters = np.array(_letters(100, 50, 6, height=10.0))
    blob = [[letters[:, 0].min(), 44.0, letters[:, 2].max(), 56.0]]            # the word as one region
    frame = [[letters[:, 0].min() - 3, 20.0, letters[:, 2].max() + 3, 58.0]]   # text and rules above it
    pair = [[letters[0, 0] - 2, 20.0, letters[1, 2] + 2, 58.0]]               # two letters only: no frame
    dots = [[300.0, 40 + 7 * k, 307.0, 47 + 7 * k] for k in range(3)]          # a dot-matrix glyph's dots
    glyph = [[299.0, 39.0, 309.0, 62.0]]                                      # ... and the glyph: tall
    flags = frames_around_text(np.vstack([letters, blob, frame, pair, dots, glyph]), 10.0, 2.5)
    assert flags.tolist() == [False] * 7 + [True] + [False] * 5


def test_uneven_light_is_flattened_only_where_it_pays():
    image, words = render_receipt(seed=7)
    grey = _grey(image)
    assert flatten_illumination(grey, 16.0, "auto") is grey            # an evenly lit page is left alone
    shade = np.linspace(1.0, 0.3, grey.shape[1], dtype=np.float32)[None, :]
    shaded = (grey * shade).astype(np.uint8)
    flat = flatten_illumination(shaded, 16.0, "auto")
    paper = grey > 200
    assert np.ptp(np.percentile(flat[paper].reshape(-1), (5, 95))) < np.ptp(np.percentile(shaded[paper], (5, 95)))
    segments = [s.box for s in _segments(detect_lines(shaded, DetectorConfig(illumination="auto")))]
    assert sum(_share_inside(w.box, segments) > 0.8 for w in words) >= 0.95 * len(words)


# --- the vectorised pieces ------------------------------------------------------------------------

def test_connected_labels_of_a_known_graph():
    labels = connected_labels(7, np.array([0, 1, 4, 6]), np.array([1, 2, 5, 4]))
    groups = {}
    for node, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(node)
    assert sorted(groups.values()) == [[0, 1, 2], [3], [4, 5, 6]]


def test_skew_of_rows_of_boxes():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 800, 400)
    row = rng.integers(0, 20, 400)
    y = 40 + 30 * row - np.tan(np.deg2rad(4.0)) * x + rng.normal(0, 1, 400)   # rising to the right
    boxes = np.stack([x - 5, y - 6, x + 5, y + 6], axis=1)
    assert estimate_skew(boxes, 12.0) == pytest.approx(4.0, abs=0.3)
    assert estimate_skew(boxes[:10], 12.0) == 0.0                           # too few to tell


def _letters(x0: float, y: float, count: int, height: float = 10.0, slope: float = 0.0) -> list[list[float]]:
    """`count` letter boxes in a row starting at x0, centred on y (plus slope * x)."""
    return [[x, y + slope * x - height / 2, x + 0.6 * height, y + slope * x + height / 2]
            for x in (x0 + 0.8 * height * i for i in range(count))]


@pytest.mark.parametrize("slope", [0.0, 0.08])
def test_two_stacked_rows_in_one_segment_are_cut_apart(slope):
    """Tight leading chained two rows (12 px apart, letters 10 px tall) into one segment."""
    top, bottom = _letters(0, 50, 12, slope=slope), _letters(4, 62, 10, slope=slope)
    level = np.array(top + bottom, float)
    labels = split_stacked_rows(np.zeros(len(level), np.int64), level)
    assert labels[: len(top)].tolist() == [labels[0]] * len(top)
    assert labels[len(top):].tolist() == [labels[-1]] * len(bottom)
    assert labels[0] != labels[-1]


def test_one_row_with_punctuation_and_counters_stays_one_segment():
    """A row's commas sit low and the counters of 8 and 0 sit high or low inside their digits:
    small members, so they never make a second band; nor do x-height letters beside capitals."""
    letters = _letters(0, 50, 14) + _letters(200, 51.5, 6, height=7.0)      # capitals and x-height letters
    commas = [[60, 54, 62, 58], [120, 54, 122, 59]]
    counters = [[140, 45, 144, 49], [140, 51, 144, 55], [150, 45, 154, 49], [150, 51, 154, 55]]
    level = np.array(letters + commas + counters, float)
    labels = split_stacked_rows(np.zeros(len(level), np.int64), level)
    assert set(labels.tolist()) == {0}


# --- bad input ------------------------------------------------------------------------------------

def test_degenerate_pages_give_empty_or_sensible_output_quickly():
    rng = np.random.default_rng(0)
    pages = (np.full((800, 600), 255, np.uint8), np.zeros((800, 600), np.uint8), np.zeros((1, 1), np.uint8),
             rng.integers(0, 256, (600, 600)).astype(np.uint8), np.full((200, 15000), 255, np.uint8),
             np.full((15000, 200), 0, np.uint8), rng.integers(0, 256, (5, 7)).astype(np.uint8),
             rng.integers(0, 256, (2000, 1500)).astype(np.uint8))
    for page in pages:
        started = time.perf_counter()
        lines = detect_lines(page)
        assert time.perf_counter() - started < 5
        if page.std() == 0:
            assert lines == []
        for line in lines:
            for segment in line.segments:
                b = segment.box
                assert 0 <= b.x0 < b.x1 <= page.shape[1] and 0 <= b.y0 < b.y1 <= page.shape[0]


def test_a_15000_px_strip_with_one_long_line():
    strip, text, _ = _long_line(chars=600, height=200)
    started = time.perf_counter()
    lines = detect_lines(strip)
    assert time.perf_counter() - started < 5
    assert len(lines) == 1 and lines[0].box.width > 0.9 * strip.shape[1] - 100


# --- chopping and re-assembly ---------------------------------------------------------------------

def _long_line(chars: int = 160, height: int = 60, size: int = 24):
    """A grey image holding one long line, its text and each character's x span."""
    words = "TOTAL SALES INCLUDING GST 6% RM 128.20 CASH 150.00 CHANGE 21.80 THANK YOU".split()
    text = " ".join(words[k % len(words)] for k in range(chars))[:chars].strip()
    font = ImageFont.truetype(MONO, size)
    probe = ImageDraw.Draw(Image.new("L", (10, 10)))
    width = int(probe.textlength(text, font=font)) + 80
    page = Image.new("L", (width, height), 248)
    draw = ImageDraw.Draw(page)
    y = (height - size) // 2
    draw.text((40, y), text, font=font, fill=20)
    spans = [(40 + probe.textlength(text[:k], font=font), 40 + probe.textlength(text[: k + 1], font=font))
             for k in range(len(text))]
    return np.asarray(page), text, spans


def _perfect_reading(crop_width: int, crop_height: int, offset: float, text: str, spans, shift: int = 0) -> Reading:
    """What a recognizer that reads every whole glyph right returns for a crop starting at
    `offset` (px of the line image): characters at their CTC time steps, spaces included, all
    placed `shift` steps late (the alignment of two pieces differs by a step or two)."""
    steps = -(-round(crop_width * 32 / crop_height) // TIME_STRIDE)          # as normalise_crop sizes it
    step = crop_width / steps

    def at(x: float) -> int:
        return int(np.clip(int((x - offset) / step) + shift, 0, steps - 1))

    chars = [CharSpan(ch, at(x0), max(at(x0), at(x1) - 1), 0.9)
             for ch, (x0, x1) in zip(text, spans) if x0 >= offset and x1 <= offset + crop_width]
    return Reading("".join(c.char for c in chars).strip(), 0.9, tuple(chars), steps)


def test_chop_box_covers_the_crop_in_overlapping_pieces_of_bounded_width():
    box = Box(10, 100, 5010, 140)                    # 40 px high: 4000 px at 32 px high
    chops = chop_box(box, max_width=800, input_height=32)
    assert len(chops) >= 5 and chops[0].box.x0 == box.x0 and chops[-1].box.x1 == box.x1
    for a, b in zip(chops, chops[1:]):
        assert b.box.x0 < a.box.x1                   # overlap
        assert a.keep_to == b.keep_from and b.box.x0 - box.x0 < a.keep_to < a.box.x1 - box.x0
    assert all(c.box.width * 32 / c.box.height <= 800 + 1 for c in chops)
    assert [c.box for c in chop_box(Box(0, 0, 500, 40), max_width=800)] == [Box(0, 0, 500, 40)]


@pytest.mark.parametrize("jitter", [(0, 0), (1, -1), (-2, 2)])
def test_a_very_long_line_is_chopped_and_reassembled_into_one_reading(jitter):
    line, text, spans = _long_line(chars=160)
    segments = _segments(detect_lines(line))
    assert len(segments) == 1                        # the detector keeps the line whole
    box = padded_box(segments[0].box, line.shape[1], line.shape[0])
    chops = chop_box(box, max_width=400, input_height=32)
    assert len(chops) >= 4
    crops = [cut(line, chop.box) for chop in chops]
    readings = [_perfect_reading(c.shape[1], c.shape[0], chop.box.x0, text, spans, jitter[k % 2])
                for k, (c, chop) in enumerate(zip(crops, chops))]
    whole = cut(line, box)
    reading = assemble_readings(readings, chops, [c.shape[1] for c in crops], whole.shape[1])
    assert reading.text == text
    # each character is placed where it is on the whole crop, within a time step
    step = whole.shape[1] / reading.steps
    for span, (x0, x1) in zip(reading.chars, [s for ch, s in zip(text, spans)]):
        centre = box.x0 + (span.t_start + span.t_end + 1) / 2 * step
        assert abs(centre - (x0 + x1) / 2) <= (2 + max(map(abs, jitter))) * step
    assert [c.t_start for c in reading.chars] == sorted(c.t_start for c in reading.chars)


# --- debug picture --------------------------------------------------------------------------------

def test_debug_picture_draws_every_level_in_its_colour(tmp_path):
    image, _ = render_receipt(seed=3)
    page = detect_page(_grey(image))
    vis = debug_picture(image, page)
    colours = {tuple(int(v) for v in c) for c in np.unique(vis.reshape(-1, 3), axis=0)}
    for colour in (REGION_COLOUR, WORD_COLOUR, SEGMENT_COLOUR, LINE_COLOUR):
        assert colour in colours


def test_the_pipeline_reads_a_too_wide_segment_in_pieces(tiny_model):
    """Plumbing with a real (tiny, untrained) word net: a line four times wider than the chop
    width is read in pieces and comes back as words inside the line's crop."""
    from lector.pipeline import LectorEngine, PipelineConfig
    from lector.recognize.recognizer import RecognizerConfig

    _, model = tiny_model
    line, _, _ = _long_line(chars=120)
    engine = LectorEngine(PipelineConfig(recognizer=RecognizerConfig(model_path=model, threads=1),
                                         chop_width=200, drop_below=0.0))
    segment = _segments(detect_lines(line))[0]
    crop_box = padded_box(segment.box, line.shape[1], line.shape[0])
    assert len(chop_box(crop_box, 200, engine.recognizer.input_height)) >= 4
    page = engine.read_page(np.stack([line] * 3, axis=-1))
    for word in page.words:
        assert crop_box.x0 <= word.box.x0 <= word.box.x1 <= crop_box.x1
        assert crop_box.y0 <= word.box.y0 <= word.box.y1 <= crop_box.y1


def test_row_share_tells_rows_of_letters_from_scattered_blobs():
    rng = np.random.default_rng(0)
    rows = np.array([[x, y, 9, 12] for y in range(0, 400, 30) for x in range(0, 300, 11)])
    blobs = np.column_stack([rng.integers(0, 600, 400), rng.integers(0, 600, 400), rng.integers(6, 14, (400, 2))])
    assert row_share(rows) > 0.9
    assert row_share(blobs) < 0.2
    flat = np.array([[x, 5, 3, 0] for x in range(0, 200, 10)])     # zero-height specks: no letters, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert row_share(flat) == 0.0


def _photo_text_height(name: str) -> float | None:
    from lector.photo.rectify import rectify
    path = EVALDATA / "inv3d_photo_dev" / "images" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return estimate_text_height(cv2.cvtColor(rectify(image).image, cv2.COLOR_RGB2GRAY))


@pytest.mark.parametrize("name", ["04394_curled_color.jpg", "04777_perspective_color.jpg"])
def test_text_height_of_a_photo_is_the_letters_not_the_cloth_around_the_sheet(name):
    """The crumpled cloth around these sheets looks like 56-104 px "text" at half size; the
    letters are 20-28 px tall, and the detector shrinks the page by this estimate."""
    assert 14 <= _photo_text_height(name) <= 36


@pytest.mark.parametrize("name, low, high", [("506.jpg", 15, 30), ("052.jpg", 9, 16)])
def test_text_height_of_dot_matrix_and_grainy_receipts(name, low, high):
    """506 is faint dot matrix (specks at full size: the half-size measure is right); 052 has a
    grainy scanner edge that looks like 24 px blobs at half size (its print is 12 px)."""
    path = EVALDATA / "sroie_dev" / "images" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    assert low <= estimate_text_height(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)) <= high


def _sloped_line(degrees: float, text: str = "Recipe Box Pantry Yellow Design 2.95 20.65") -> np.ndarray:
    """One line of 24 px text on a white page, turned by `degrees` (counter-clockwise as seen)."""
    page = Image.new("L", (1100, 300), 255)
    ImageDraw.Draw(page).text((60, 130), text, font=ImageFont.truetype(SANS, 24), fill=0)
    return np.asarray(page.rotate(degrees, resample=Image.BICUBIC, fillcolor=255, center=(550, 150)))


def _ink_centre_rise(crop: np.ndarray) -> float:
    """How far the ink's mean row moves from the left fifth of the crop to the right fifth (px, + = down)."""
    ink = (crop < 128).astype(np.float64)
    rows = np.arange(crop.shape[0])[:, None]
    fifth = crop.shape[1] // 5
    left, right = ink[:, :fifth], ink[:, -fifth:]
    return float((rows * right).sum() / right.sum() - (rows * left).sum() / left.sum())


@pytest.mark.parametrize("degrees", [-4.0, 3.0])
def test_a_sloped_row_is_measured_and_its_crop_straightened(degrees):
    grey = _sloped_line(degrees)
    segments = _segments(detect_lines(grey, DetectorConfig(max_skew_deg=0.5)))   # the page skew left alone
    longest = max(segments, key=lambda s: s.box.width)
    assert longest.slope == pytest.approx(-np.tan(np.radians(degrees)), abs=0.012)   # y grows downwards
    box = padded_box(longest.box, grey.shape[1], grey.shape[0])
    crop = cut(grey, box)
    assert needs_straightening(box, longest.slope)
    level = straighten(crop, longest.slope)
    assert level.shape[1] == crop.shape[1] and level.shape[0] < 0.75 * crop.shape[0]
    assert abs(_ink_centre_rise(crop)) > 0.5 * abs(longest.slope) * crop.shape[1]
    assert abs(_ink_centre_rise(level)) < 2.0


def test_a_level_row_is_not_resampled():
    grey = _sloped_line(0.0)
    longest = max(_segments(detect_lines(grey)), key=lambda s: s.box.width)
    assert abs(longest.slope) < 0.005
    assert not needs_straightening(padded_box(longest.box, grey.shape[1], grey.shape[0]), longest.slope)


def _page_with_a_turned_block(degrees: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Eight level rows of 22 px print, and above them a block of four rows turned by
    `degrees` (a curled corner of a flattened photo); returns the page and the block's box."""
    font = ImageFont.truetype(SANS, 22)
    rows = ["Hall, Stout and Wilson 0061 Brandon", "Margaret Stafford Tamaraborough",
            "scott02@brown.com +48 22 404 98 51", "Wooden Happy Birthday Garland 8.85"]
    block = Image.new("L", (560, 140), 255)
    for k, text in enumerate(rows):
        ImageDraw.Draw(block).text((10, 10 + 30 * k), text, font=font, fill=0)
    block = block.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=255)
    page = Image.new("L", (1200, 1100), 255)
    page.paste(block, (40, 20))
    draw = ImageDraw.Draw(page)
    for k in range(8):
        draw.text((60, 520 + 60 * k), f"Item {k + 1} Red Retrospot Small Milk Jug {k + 3} 2.55 12.75",
                  font=font, fill=0)
    return np.asarray(page), (40, 20, 40 + block.width, 20 + block.height)


@pytest.mark.parametrize("degrees", [18.0, -20.0])
def test_rows_turned_off_the_page_angle_are_grouped_at_their_own(degrees):
    """A block of rows 18-20 degrees off the rest of the page: at the page's angle their tall
    boxes merge rows into crops that read as nothing; grouped at their own angle, each row is
    one segment with its own slope, and the level rows keep theirs."""
    grey, (x0, y0, x1, y1) = _page_with_a_turned_block(degrees)
    expected = -np.tan(np.radians(degrees))

    def turned_rows(config: DetectorConfig) -> list:
        segments = _segments(detect_lines(grey, config))
        inside = [s for s in segments if x0 <= (s.box.x0 + s.box.x1) / 2 <= x1 and y0 <= (s.box.y0 + s.box.y1) / 2 <= y1]
        return [s for s in inside if abs(s.slope - expected) < 0.05 and s.box.width > 250]

    regrouped = turned_rows(DetectorConfig())
    assert len(regrouped) >= 3
    # each is one row: as tall as the rise along it plus about one row of print, not two
    for segment in regrouped:
        assert segment.box.height < abs(expected) * segment.box.width + 2.2 * 22
    assert len(turned_rows(DetectorConfig(local_angles=()))) < len(regrouped)
    level = [s for s in _segments(detect_lines(grey)) if (s.box.y0 + s.box.y1) / 2 > y1 + 20]
    assert len(level) >= 8 and all(abs(s.slope) < 0.02 for s in level)
