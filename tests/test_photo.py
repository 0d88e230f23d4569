"""Photos of pages (lector.photo): the sheet found on textured tables with known corners, the
text's tilt over (-45, 45], scans left alone, and boxes mapped back onto the photo.

Fixtures are real renders: synthetic receipts (lector.synth.page) photographed by the
photo-like generator (lector.synth.photo), whose transform is known exactly; and a few FUNSD /
SROIE scans from ../shared/evaldata when it is there.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from lector.core.geometry import (Affine, Box, Homography, grow_quad, order_quad, quad_flat_size, rotate_points,
                                  rotation_onto_canvas)
from lector.photo import RectifyConfig, estimate_skew, find_page, normalise_light, rectify
from lector.photo.light import light_unevenness
from lector.synth.page import render_receipt
from lector.synth.photo import BACKGROUNDS, PhotoConfig, photo_of_page

EVALDATA = Path(__file__).resolve().parents[2] / "shared" / "evaldata"
FAST = PhotoConfig(photo_long_side=1100)
FLAT = PhotoConfig(photo_long_side=1100, curl=(0.0, 0.0))


def corner_error(found: np.ndarray, truth: np.ndarray) -> float:
    """The largest corner distance as a share of the page's diagonal (corners in the same order)."""
    diagonal = 0.5 * (np.linalg.norm(truth[2] - truth[0]) + np.linalg.norm(truth[3] - truth[1]))
    return float(np.linalg.norm(found - truth, axis=1).max() / diagonal)


def tilted(page: np.ndarray, angle: float) -> np.ndarray:
    """`page` turned so its text rises to the right by `angle` degrees, on a canvas holding it all."""
    turn, size = rotation_onto_canvas(-angle, page.shape[1], page.shape[0])
    paper = tuple(int(v) for v in np.median(page.reshape(-1, 3), axis=0))
    return cv2.warpAffine(page, turn.matrix[:2], size, flags=cv2.INTER_LINEAR, borderValue=paper)


def scans(dataset: str, count: int) -> list[np.ndarray]:
    folder = EVALDATA / dataset / "images"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the shared evaluation data is not checked out here)")
    return [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in sorted(folder.iterdir())[:count]]


# --- geometry ------------------------------------------------------------------------------------

def test_homography_maps_inverts_and_composes():
    source = np.array([[0, 0], [100, 0], [100, 50], [0, 50]], float)
    target = np.array([[10, 5], [120, 20], [110, 80], [5, 60]], float)
    warp = Homography.from_points(source, target)
    assert np.allclose(warp.apply_points(source), target, atol=1e-9)
    assert np.allclose(warp.inverse().apply_points(target), source, atol=1e-9)
    assert warp.then(warp.inverse()).is_identity(1e-9)
    shift, scale = Homography.translation(5, -1), Homography.scaling(2, 3)
    assert shift.then(scale).apply(1, 1) == pytest.approx((12, 0))      # same order as Affine.then
    affine = Affine(0, 1, -1, 0, 10, 20)
    assert Homography.from_affine(affine).apply(3, 4) == pytest.approx(affine.apply(3, 4))
    # the box of a mapped box holds all four mapped corners
    box = Box(10, 10, 40, 30)
    mapped = warp.apply_box(box)
    corners = warp.apply_points(np.array([[10, 10], [40, 10], [40, 30], [10, 30]]))
    assert mapped == Box(*corners.min(axis=0), *corners.max(axis=0))
    assert np.allclose(warp.apply_boxes(np.array([[10, 10, 40, 30]]))[0], mapped.as_list(), atol=0.01)
    with pytest.raises(ValueError):
        Homography.from_points(np.zeros((4, 2)), target)


def test_grow_quad_moves_every_side_out():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    assert np.allclose(grow_quad(square, 2), [[-2, -2], [12, -2], [12, 12], [-2, 12]])
    assert np.allclose(grow_quad(grow_quad(square, 3), -3), square)


def test_rotation_agrees_with_rotate_points_and_fits_its_canvas():
    points = np.array([[3.0, 4.0], [50, -7]])
    assert np.allclose(Homography.rotation(17, (5, 7)).apply_points(points), rotate_points(points, 17, (5, 7)))
    turn, (width, height) = rotation_onto_canvas(30, 100, 50)
    corners = turn.apply_points(np.array([[0, 0], [100, 0], [100, 50], [0, 50]]))
    assert corners.min() >= -1e-6 and corners[:, 0].max() <= width and corners[:, 1].max() <= height
    quarter, size = rotation_onto_canvas(90, 100, 50)
    assert size == (50, 100) and quarter.apply(0, 0) == pytest.approx((50, 0))   # clockwise: top-left to top-right
    # a text line rising to the right by 10 degrees is level after Homography.rotation(10)
    assert Homography.rotation(10, (0, 0)).then(Homography.rotation(-10, (0, 0))).is_identity(1e-12)
    assert Homography.rotation(-10, (0, 0)).turn_at(0, 0) == pytest.approx(10)


def test_order_quad_puts_the_nearest_to_level_edge_on_top():
    quad = np.array([[0, 0], [100, 0], [100, 150], [0, 150]], float)
    for angle in (-40, -10, 0, 25, 44):
        turned = rotate_points(quad, -angle, (50, 75))            # tilted by `angle`, counter-clockwise
        shuffled = turned[[2, 0, 3, 1]]
        assert np.allclose(order_quad(shuffled), turned), angle


def test_flat_size_recovers_the_aspect_ratio_through_perspective():
    page, _ = render_receipt(seed=2)
    ratio = page.shape[1] / page.shape[0]
    for seed in range(4):
        sample = photo_of_page(page, seed=seed, config=PhotoConfig(photo_long_side=1100, max_view_deg=30))
        width, height = quad_flat_size(sample.corners, sample.image.shape[1::-1])
        assert width / height == pytest.approx(ratio, rel=0.03), sample.effects


# --- page finding --------------------------------------------------------------------------------

@pytest.mark.parametrize("background", BACKGROUNDS)
def test_sheet_corners_found_on_textured_tables(background):
    """Within 2% of the page's diagonal, in order, whatever the table, light and tilt."""
    config = PhotoConfig(photo_long_side=1100, backgrounds=(background,), max_tilt_deg=40)
    for seed in (1, 2):
        page, _ = render_receipt(seed=seed)
        sample = photo_of_page(page, seed=100 + seed, config=config)
        quad = find_page(sample.image)
        assert quad is not None, (background, seed, sample.effects)
        assert quad.confidence > 0.7
        assert corner_error(quad.corners, sample.corners) < 0.02, (background, seed, quad.corners, sample.corners)


def test_corner_cut_by_the_frame_keeps_all_of_the_sheet():
    """A sheet running out of the frame: the quad holds every visible part of it (no text cut)."""
    page, words = render_receipt(seed=5)
    sample = photo_of_page(page, seed=3, config=FLAT, tilt_deg=12)
    x0 = int(sample.corners[:, 0].min() + 0.15 * np.ptp(sample.corners[:, 0]))
    cropped = np.ascontiguousarray(sample.image[:, x0:])          # the frame cuts the sheet's left part off
    result = rectify(cropped)
    assert result.quad is not None and result.quad.frame_sides == 1
    contour = result.quad.corners.astype(np.float32).reshape(-1, 1, 2)
    visible = [sample.map_page_box(w.box).translate(-x0, 0) for w in words]
    visible = [box for box in visible if box.x0 >= 0]
    assert len(visible) > 10
    for box in visible:
        for x, y in ((box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)):
            assert cv2.pointPolygonTest(contour, (float(x), float(y)), True) > -3, box
    # and every visible word is in the rectified image
    width, height = result.image.shape[1], result.image.shape[0]
    into_result = result.to_original.inverse()
    for box in visible:
        moved = into_result.apply_box(box)
        assert moved.x0 > -3 and moved.y0 > -3 and moved.x1 < width + 3 and moved.y1 < height + 3


# --- deskew --------------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [-44, -30, -17, -3, 2, 9, 17, 28, 44])
def test_skew_over_the_whole_range(angle):
    page, _ = render_receipt(seed=4)
    estimate = estimate_skew(cv2.cvtColor(tilted(page, angle), cv2.COLOR_RGB2GRAY))
    assert estimate.angle == pytest.approx(angle, abs=1.0)
    assert estimate.confidence > 0.3


def test_skew_folds_quarter_turns_into_the_small_angle():
    """17, 107 and 197 degrees show the same lines: the small-angle part is 17 for all three (which
    way is up is the orientation hook's question)."""
    page, _ = render_receipt(seed=4)
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    for angle in (17, 107, 197):
        turn, size = rotation_onto_canvas(-angle, grey.shape[1], grey.shape[0])
        turned = cv2.warpAffine(grey, turn.matrix[:2], size, borderValue=250)
        assert estimate_skew(turned).angle == pytest.approx(17, abs=1.0), angle


def test_blank_and_noise_pages_have_no_confident_angle():
    assert estimate_skew(np.full((400, 300), 255, np.uint8)).confidence == 0.0
    noise = np.random.default_rng(0).integers(0, 256, (400, 300)).astype(np.uint8)
    result = rectify(cv2.cvtColor(noise, cv2.COLOR_GRAY2RGB))
    assert result.quad is None and result.angle == 0.0


# --- rectify: scans untouched, photos flattened, boxes back on the photo ---------------------------

def test_a_scan_passes_through_unchanged():
    page, _ = render_receipt(seed=7)
    result = rectify(page)
    assert not result.applied and not result.light
    assert result.image is page and result.to_original.is_identity()
    assert result.box_to_original(Box(10, 20, 30, 40)) == Box(10, 20, 30, 40)


def test_real_scans_are_not_cropped_or_turned_much():
    for image in scans("funsd_dev", 4) + scans("sroie_dev", 4):
        result = rectify(image)
        assert result.quad is None                        # a scan's page is never cut out of it
        assert abs(result.angle) <= 3.0
        if not result.applied:
            assert result.to_original.is_identity()


def test_a_tilted_scan_is_turned_level_and_maps_back():
    page, words = render_receipt(seed=8)
    photo = tilted(page, 23)
    result = rectify(photo)
    assert result.quad is None and result.applied
    assert result.angle == pytest.approx(23, abs=1.0)
    # each word box of the levelled image, mapped back, lands on the word in the tilted scan
    turn, _ = rotation_onto_canvas(-23, page.shape[1], page.shape[0])
    into_result = turn.then(result.to_original.inverse())        # page -> levelled image (from the truth)
    ious = [result.box_to_original(into_result.apply_box(w.box)).iou(turn.apply_box(w.box)) for w in words]
    assert np.median(ious) > 0.95


def test_photo_is_flattened_upright_and_boxes_map_back():
    """A flattened page is the page, scaled: a word where the page has it, scaled, maps back (with
    `to_original`) onto the word in the photo, by the generator's exact transform."""
    page, words = render_receipt(seed=9)
    page_h, page_w = page.shape[:2]
    for seed in (4, 5, 6):
        sample = photo_of_page(page, seed=seed, config=FLAT)
        result = rectify(sample.image, RectifyConfig(page_margin=0.0))
        assert result.quad is not None and result.applied and result.light
        out_h, out_w = result.image.shape[:2]
        assert out_w / out_h == pytest.approx(page_w / page_h, rel=0.04)
        page_to_result = sample.page_to_photo.then(result.to_original.inverse())
        assert abs(page_to_result.turn_at(page_w / 2, page_h / 2)) < 1.0
        scale = Homography.scaling(out_w / page_w, out_h / page_h)
        ious = [result.box_to_original(scale.apply_box(w.box)).iou(sample.page_to_photo.apply_box(w.box))
                for w in words]
        assert np.median(ious) > 0.7, (seed, np.median(ious))
        # and the pixels agree: the rectified image is the page (correlation of the grey images,
        # smoothed past the camera's blur and JPEG; a 12 px shift brings it down to about 0.15)
        grey = cv2.cvtColor(cv2.resize(result.image, (page_w, page_h)), cv2.COLOR_RGB2GRAY)
        truth = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
        smooth = [cv2.GaussianBlur(g.astype(np.float32), (0, 0), 2).ravel() for g in (grey, truth)]
        correlation = np.corrcoef(*smooth)[0, 1]
        assert correlation > 0.6, (seed, correlation)


def test_funsd_page_photographed_is_found():
    for image in scans("funsd_dev", 2):
        sample = photo_of_page(image, seed=11, config=FAST)
        quad = find_page(sample.image)
        assert quad is not None and corner_error(quad.corners, sample.corners) < 0.03


def test_orientation_hook_turns_the_result_and_the_map():
    page, _ = render_receipt(seed=3)
    result = rectify(page, orientation=lambda grey: 1)      # one quarter turn, clockwise
    assert result.quarter_turns == 1 and result.applied
    assert result.image.shape[:2] == (page.shape[1], page.shape[0])
    # the rectified image's top-right corner is the original's top-left
    assert result.to_original.apply(page.shape[0], 0) == pytest.approx((0, 0), abs=1e-6)
    assert np.array_equal(result.image, np.rot90(page, -1))


# --- light ---------------------------------------------------------------------------------------

def test_light_normalisation_removes_shadow_and_colour_cast():
    page, words = render_receipt(seed=1)
    h, w = page.shape[:2]
    ramp = np.linspace(0.45, 1.0, w, dtype=np.float32)[None, :, None]       # a shadow falling off
    cast = np.array([1.0, 0.8, 0.55], np.float32)[None, None, :]             # warm light
    lit = np.clip(page.astype(np.float32) * ramp * cast, 0, 255).astype(np.uint8)
    before = light_unevenness(lit)
    fixed = normalise_light(lit)
    after = light_unevenness(fixed)
    assert fixed.shape == lit.shape and fixed.dtype == np.uint8
    assert before.spread > 60 and after.spread < 20
    assert before.cast > 40 and after.cast < 8
    # print stays dark against its paper
    inside = np.concatenate([fixed[int(b.box.y0):int(b.box.y1), int(b.box.x0):int(b.box.x1)].reshape(-1, 3)
                             for b in words[:20]])
    assert np.percentile(inside.mean(axis=1), 5) < 100
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    assert normalise_light(grey).shape == grey.shape


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: np.zeros((600, 800, 3), np.uint8),                       # black
    lambda: np.full((600, 800, 3), 255, np.uint8),                   # overexposed
    lambda: np.full((3, 5, 3), 128, np.uint8),                       # tiny
    lambda: np.zeros((1, 1, 3), np.uint8),
    lambda: (np.random.default_rng(1).random((700, 900)) * 255).astype(np.uint8),   # grey noise
])
def test_bad_input_is_read_as_it_is(make):
    image = make()
    result = rectify(image)
    assert result.quad is None and not result.applied
    assert result.image.shape[:2] == image.shape[:2]


def test_table_without_a_sheet_and_two_sheets_are_left_alone():
    from lector.synth.photo import table_texture
    rng = np.random.default_rng(3)
    table = table_texture("wood", 900, 700, rng).astype(np.uint8)
    assert rectify(table).quad is None
    # two receipts side by side: neither is cut out (the other would be lost)
    left, _ = render_receipt(seed=1)
    right, _ = render_receipt(seed=2)
    scene = table_texture("desk", 1600, 1300, rng).astype(np.uint8)
    for page, x in ((left, 80), (right, 840)):
        h, w = page.shape[:2]
        scene[100:100 + h, x:x + w] = page
    assert rectify(scene).quad is None


def test_large_photo_takes_bounded_time():
    page, _ = render_receipt(seed=6)
    sample = photo_of_page(page, seed=2, config=FAST)
    huge = cv2.resize(sample.image, None, fx=6.5, fy=6.5, interpolation=cv2.INTER_LINEAR)   # ~50 megapixels
    started = time.perf_counter()
    result = rectify(huge, RectifyConfig(max_output_pixels=8_000_000))
    assert time.perf_counter() - started < 20
    assert result.quad is not None and result.image.shape[0] * result.image.shape[1] <= 8_000_000


def test_generator_and_finder_are_deterministic():
    page, _ = render_receipt(seed=12)
    first, again = photo_of_page(page, seed=5, config=FAST), photo_of_page(page, seed=5, config=FAST)
    assert first.image.tobytes() == again.image.tobytes() and np.array_equal(first.corners, again.corners)
    assert photo_of_page(page, seed=6, config=FAST).image.tobytes() != first.image.tobytes()
    quad, quad_again = find_page(first.image), find_page(first.image.copy())
    assert quad is not None and np.array_equal(quad.corners, quad_again.corners)
    # the sample's truth is consistent: the corners are the page's corners through the transform
    w, h = first.page_size
    assert np.allclose(first.page_to_photo.apply_points(np.array([[0, 0], [w, 0], [w, h], [0, h]])), first.corners)
