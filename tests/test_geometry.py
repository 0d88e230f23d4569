"""Coordinate maps: pixels of a rendered PDF page back onto the page's user space."""
from __future__ import annotations

import pytest

from lector.core.geometry import Affine, Box, PdfPageFrame


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9


def test_affine_composition_and_inverse() -> None:
    scale, shift = Affine(2, 0, 0, 3, 0, 0), Affine(1, 0, 0, 1, 5, -1)
    assert scale.then(shift).apply(1, 1) == (7, 2)
    assert shift.then(scale).apply(1, 1) == (12, 0)
    turn = Affine(0, 1, -1, 0, 10, 20)
    assert close(turn.inverse().apply(*turn.apply(3, 4)), (3, 4))
    assert turn.apply_box(Box(0, 0, 2, 1)) == Box(9, 20, 10, 22)
    with pytest.raises(ValueError):
        Affine(0, 0, 0, 0).inverse()


# The shown page's corners (display points, y up: lower-left, lower-right, upper-left) and the
# user-space points a viewer draws there, for a crop box [10 20 110 220] under each /Rotate.
CORNERS = {
    0: [(10, 20), (110, 20), (10, 220)],
    90: [(110, 20), (110, 220), (10, 20)],     # turned clockwise: the left edge on top, the right below
    180: [(110, 220), (10, 220), (110, 20)],
    270: [(10, 220), (10, 20), (110, 220)],    # turned back: the top edge on the left
}


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_display_corners_land_on_the_crop_box_corners(rotate: int) -> None:
    frame = PdfPageFrame.from_pdf([0, 0, 200, 300], [10, 20, 110, 220], rotate=rotate)
    width, height = frame.display_size
    assert (width, height) == ((200, 100) if rotate in (90, 270) else (100, 200))
    to_user = frame.display_to_user()
    shown = [(0, 0), (width, 0), (0, height)]
    for point, expected in zip(shown, CORNERS[rotate]):
        assert close(to_user.apply(*point), expected), (rotate, point)


def test_user_unit_scales_points_to_units() -> None:
    frame = PdfPageFrame.from_pdf([0, 0, 100, 50], user_unit=2.0)
    assert frame.display_size == (200, 100)
    assert close(frame.display_to_user().apply(200, 100), (100, 50))
    assert frame.rendered_size(72) == (200, 100)


def test_pixels_map_to_user_space_from_the_top_left() -> None:
    frame = PdfPageFrame.from_pdf([0, 0, 612, 792], [100, 100, 400, 500], rotate=90)
    to_user = frame.pixel_to_user(dpi=144)  # two pixels a point
    assert close(to_user.apply(0, 0), (100, 100))        # top-left of the shown page
    assert close(to_user.apply(800, 600), (400, 500))    # bottom-right (400 x 300 pt shown)


@pytest.mark.parametrize("mediabox,cropbox,rotate,expected", [
    ([612, 792, 0, 0], None, 0, (Box(0, 0, 612, 792), 0)),             # corners in any order
    ([0, 0, 612, 792], [-50, -50, 300, 900], -90, (Box(0, 0, 300, 792), 270)),  # clipped; -90 is 270
    ([0, 0, 612, 792], [700, 800, 900, 900], 45, (Box(0, 0, 612, 792), 0)),    # outside; not a right angle
    ([0, 0, 612, 792], None, 450, (Box(0, 0, 612, 792), 90)),
])
def test_page_boxes_are_read_as_viewers_read_them(mediabox, cropbox, rotate, expected) -> None:
    frame = PdfPageFrame.from_pdf(mediabox, cropbox, rotate=rotate)
    assert (frame.box, frame.rotate) == expected
