"""Photo-like pages with a known transform: a page as a phone would photograph it on a table.

    page RGB -> (mild curl: text rows bend, corners stay) -> a pinhole camera looking at the
    sheet from up to `max_view_deg` off its normal, turned by up to `max_tilt_deg` in the frame
    -> pasted on a procedural table (wood, tiles, cloth or a plain desk) -> cast shadow,
    coloured light, light fall-off -> blur, sensor noise, JPEG

Every sample says exactly where the page went: `page_to_photo` (the flat page's pixels to the
photo's, a `Homography`), its four `corners` in the photo, the text's `angle` (counter-
clockwise as seen), and `map_page_points` for the curl too. The camera is a real pinhole
(principal point at the photo's centre), so the sheet's aspect ratio can be recovered from
its corners, as it can from a real photo. Seeded: the same page and seed give the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lector.core.geometry import Box, Homography

BACKGROUNDS = ("wood", "tile", "cloth", "desk")


@dataclass(frozen=True)
class PhotoConfig:
    photo_long_side: int = 1400
    page_share: tuple[float, float] = (0.45, 0.8)       # the page's long side / the photo's
    max_tilt_deg: float = 45.0                          # in-plane turn of the sheet
    max_view_deg: float = 22.0                          # the camera's angle off the sheet's normal
    focal: tuple[float, float] = (0.9, 1.4)             # focal length / the photo's long side
    curl: tuple[float, float] = (0.0, 0.025)            # bend of the rows / the page's height
    backgrounds: tuple[str, ...] = BACKGROUNDS
    shadow_chance: float = 0.5
    colour_light_chance: float = 0.5
    blur_sigma: tuple[float, float] = (0.0, 1.1)
    noise_sigma: tuple[float, float] = (1.0, 5.0)
    jpeg_quality: tuple[int, int] = (55, 92)
    margin: float = 0.03                                # the sheet stays this share of the photo inside its frame


@dataclass(frozen=True, eq=False)
class PhotoSample:
    image: np.ndarray                    # RGB photo
    page_to_photo: Homography            # the flat page's pixels -> the photo's (no curl)
    corners: np.ndarray                  # (4, 2) top-left, top-right, bottom-right, bottom-left in the photo
    angle: float                         # the text's tilt at the page's centre, counter-clockwise as seen
    page_size: tuple[int, int]
    curl: float = 0.0                    # row bend at the page's middle, page pixels
    background: str = "wood"
    effects: dict = field(default_factory=dict)

    def map_page_points(self, points: np.ndarray) -> np.ndarray:
        """Page points (N, 2) -> photo points, with the curl."""
        return self.page_to_photo.apply_points(curl_points(points, self.curl, self.page_size[0]))

    def map_page_box(self, box: Box) -> Box:
        """The upright box around a page box's mapped outline (its corners and edge midpoints)."""
        xs = np.linspace(box.x0, box.x1, 5)
        ys = np.linspace(box.y0, box.y1, 3)
        outline = np.array([(x, y) for x in xs for y in ys])
        mapped = self.map_page_points(outline)
        return Box(*mapped.min(axis=0), *mapped.max(axis=0))


def curl_points(points: np.ndarray, curl: float, page_width: float) -> np.ndarray:
    """The page's rows bent by `curl` px at the middle, nothing at the left and right edges
    (so the corners stay where they are): y + curl * sin(pi x / width)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if curl == 0.0:
        return points
    bent = points.copy()
    bent[:, 1] += curl * np.sin(np.pi * points[:, 0] / page_width)
    return bent


def photo_of_page(page: np.ndarray, seed: int = 0, config: PhotoConfig = PhotoConfig(),
                  tilt_deg: float | None = None) -> PhotoSample:
    """A photo-like picture of the RGB `page` (see the module's docstring); `tilt_deg` fixes the
    in-plane turn instead of drawing it."""
    rng = np.random.default_rng(seed)
    page_h, page_w = page.shape[:2]
    landscape = page_w > page_h
    long_side = config.photo_long_side
    short_side = int(round(long_side * rng.uniform(0.72, 0.8)))
    photo_w, photo_h = (long_side, short_side) if landscape else (short_side, long_side)
    tilt = float(rng.uniform(-config.max_tilt_deg, config.max_tilt_deg)) if tilt_deg is None else float(tilt_deg)
    focal = float(rng.uniform(*config.focal)) * long_side
    view = np.deg2rad(rng.uniform(0, config.max_view_deg))
    view_direction = rng.uniform(0, 2 * np.pi)
    share = float(rng.uniform(*config.page_share))
    to_photo = _camera(page_w, page_h, photo_w, photo_h, tilt, focal, view, view_direction, share,
                       rng, config.margin)
    curl = float(rng.uniform(*config.curl)) * page_h
    background = str(rng.choice(config.backgrounds))
    photo = table_texture(background, photo_w, photo_h, rng)
    sheet, coverage = _warp_page(page, to_photo, curl, photo_w, photo_h)
    if curl:
        shade = 1.0 - 0.6 * curl / page_h * np.cos(np.pi * _page_x(to_photo, curl, photo_w, photo_h) / page_w)
        sheet = sheet * shade[..., None]
    photo = photo * (1 - coverage[..., None]) + sheet * coverage[..., None]
    effects: dict = {"tilt": tilt, "view_deg": float(np.rad2deg(view)), "focal": focal, "curl": curl}
    photo = _light(photo, rng, config, effects)
    photo = _camera_noise(photo, rng, config, effects)
    corners = to_photo.apply_points(np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64))
    angle = to_photo.turn_at(page_w / 2, page_h / 2)
    return PhotoSample(photo, to_photo, corners, angle, (page_w, page_h), curl, background, effects)


# --- the camera ----------------------------------------------------------------------------------

def _camera(page_w: int, page_h: int, photo_w: int, photo_h: int, tilt_deg: float, focal: float,
            view: float, view_direction: float, share: float, rng: np.random.Generator,
            margin: float) -> Homography:
    """Page pixels -> photo pixels through a pinhole camera: the sheet turned by `tilt_deg` in its
    plane, the plane tilted by `view` about an axis at `view_direction`, set at a distance where
    its long side spans about `share` of the photo's, shifted at random within the frame."""
    size = max(page_w, page_h)
    # the sheet in its own plane, centred, in units of its long side; y down like the image
    corners = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64)
    plane = (corners - [page_w / 2, page_h / 2]) / size
    turn = np.deg2rad(-tilt_deg)            # image axes: counter-clockwise as seen is a negative turn
    in_plane = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    plane = plane @ in_plane.T
    axis = np.array([np.cos(view_direction), np.sin(view_direction), 0.0])
    rotation = _axis_rotation(axis, view)
    points3 = np.concatenate([plane, np.zeros((4, 1))], axis=1) @ rotation.T
    distance = focal / (share * max(photo_w, photo_h))
    centre = np.array([photo_w / 2, photo_h / 2])
    for attempt in range(40):
        shift = rng.uniform(-0.5, 0.5, 2) * (1 - share) * np.array([photo_w, photo_h]) / focal * distance
        if attempt >= 20:
            shift *= 0.0
            distance *= 1.05             # step back until the sheet fits the frame
        placed = points3 + [shift[0], shift[1], distance]
        projected = focal * placed[:, :2] / placed[:, 2:3] + centre
        inside = (projected >= margin * np.array([photo_w, photo_h])) & (
            projected <= (1 - margin) * np.array([photo_w, photo_h]))
        if inside.all():
            break
    return Homography.from_points(corners, projected)


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _warp_page(page: np.ndarray, to_photo: Homography, curl: float, photo_w: int, photo_h: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """The page as the photo sees it (float32 RGB) and its coverage (0..1, soft at the edge)."""
    page_h, page_w = page.shape[:2]
    source = cv2.copyMakeBorder(page, 2, 2, 2, 2, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(np.full((page_h, page_w), 255, np.uint8), 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    if curl == 0.0:
        matrix = Homography.translation(-2, -2).then(to_photo).matrix     # the 2 px border added above
        sheet = cv2.warpPerspective(source, matrix, (photo_w, photo_h), flags=cv2.INTER_LINEAR)
        cover = cv2.warpPerspective(alpha, matrix, (photo_w, photo_h), flags=cv2.INTER_LINEAR)
    else:
        # where each photo pixel comes from on the page, on a grid 4 px apart (the map is smooth)
        grid_w, grid_h = photo_w // 4 + 2, photo_h // 4 + 2
        xs, ys = np.meshgrid(np.arange(grid_w) * 4.0, np.arange(grid_h) * 4.0)
        flat = to_photo.inverse().apply_points(np.stack([xs.ravel(), ys.ravel()], axis=1))
        # undo the curl: rows were moved down by curl * sin(pi x / w), x unchanged
        flat[:, 1] -= curl * np.sin(np.pi * flat[:, 0] / page_w)
        flat = np.nan_to_num(flat, nan=-10.0, posinf=-10.0, neginf=-10.0)
        coarse_x = (flat[:, 0] + 2).reshape(grid_h, grid_w).astype(np.float32)
        coarse_y = (flat[:, 1] + 2).reshape(grid_h, grid_w).astype(np.float32)
        to_grid = np.array([[0.25, 0, 0], [0, 0.25, 0]])     # photo pixel x -> grid x / 4, exactly
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        map_x = cv2.warpAffine(coarse_x, to_grid, (photo_w, photo_h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        map_y = cv2.warpAffine(coarse_y, to_grid, (photo_w, photo_h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        sheet = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        cover = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return sheet.astype(np.float32), cover.astype(np.float32) / 255.0


def _page_x(to_photo: Homography, curl: float, photo_w: int, photo_h: int) -> np.ndarray:
    """The page's x under each photo pixel (curl moves rows only, so x is the flat map's)."""
    small_w, small_h = max(2, photo_w // 8), max(2, photo_h // 8)
    xs, ys = np.meshgrid(np.linspace(0, photo_w, small_w), np.linspace(0, photo_h, small_h))
    flat = to_photo.inverse().apply_points(np.stack([xs.ravel(), ys.ravel()], axis=1))
    page_x = np.nan_to_num(flat[:, 0].reshape(small_h, small_w)).astype(np.float32)
    return cv2.resize(page_x, (photo_w, photo_h), interpolation=cv2.INTER_LINEAR)


# --- the table -----------------------------------------------------------------------------------

def value_noise(width: int, height: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [0, 1] with about `cells` blobs along the long side (float32)."""
    grid_w = max(2, int(round(cells * width / max(width, height))) + 2)
    grid_h = max(2, int(round(cells * height / max(width, height))) + 2)
    grid = rng.random((grid_h, grid_w)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def fractal_noise(width: int, height: int, rng: np.random.Generator, octaves: int = 5, base: int = 4) -> np.ndarray:
    total = np.zeros((height, width), np.float32)
    weight = 1.0
    for octave in range(octaves):
        total += weight * value_noise(width, height, base * 2 ** octave, rng)
        weight *= 0.5
    total -= total.min()
    return total / max(float(total.max()), 1e-6)


def table_texture(kind: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 RGB table top: "wood" (boards with grain), "tile" (stone tiles and grout),
    "cloth" (crumpled, shaded fabric), "desk" (a dark plain surface). Drawn at half size (the
    table is out of focus next to the sheet anyway) and enlarged."""
    half = _table_texture(kind, max(8, width // 2), max(8, height // 2), rng)
    return cv2.resize(half, (width, height), interpolation=cv2.INTER_LINEAR)


def _table_texture(kind: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "wood":
        direction = rng.uniform(0, np.pi)
        along = xs * np.cos(direction) + ys * np.sin(direction)
        across = -xs * np.sin(direction) + ys * np.cos(direction)
        board = rng.uniform(60, 130)
        warp = fractal_noise(width, height, rng, 3, 3) * rng.uniform(20, 60)
        grain = 0.5 + 0.5 * np.sin((across + warp) * rng.uniform(0.3, 0.8) + fractal_noise(width, height, rng, 4, 6) * 6)
        boards = np.floor(across / board)
        board_shade = (np.sin(boards * 12.9898) * 43758.5453) % 1.0
        seams = (((across / board) % 1.0) < 1.5 / board).astype(np.float32)
        base = np.array(rng.choice([[150, 95, 55], [190, 140, 90], [110, 70, 40], [205, 170, 120]]), np.float32)
        shade = 0.75 + 0.2 * grain + 0.15 * board_shade - 0.45 * seams
        shade *= 0.9 + 0.1 * value_noise(width, height, 3, rng) * np.sin(along * 0.01) ** 2
        texture = shade[..., None] * base[None, None, :]
    elif kind == "tile":
        tile = rng.uniform(90, 210)
        angle = rng.uniform(0, np.pi / 2)
        u = xs * np.cos(angle) + ys * np.sin(angle)
        v = -xs * np.sin(angle) + ys * np.cos(angle)
        cell = np.floor(u / tile) * 31 + np.floor(v / tile) * 17
        per_tile = (np.sin(cell * 12.9898) * 43758.5453) % 1.0
        grout = ((u % tile) < 2) | ((v % tile) < 2)
        speckle = fractal_noise(width, height, rng, 5, 16)
        grey = rng.uniform(90, 170)
        shade = grey * (0.85 + 0.2 * per_tile + 0.35 * (speckle - 0.5)) - 50 * grout
        tint = np.array([1.0, rng.uniform(0.97, 1.02), rng.uniform(0.95, 1.05)], np.float32)
        texture = shade[..., None] * tint[None, None, :]
    elif kind == "cloth":
        folds = fractal_noise(width, height, rng, 4, 5)
        ridges = 1.0 - np.abs(2.0 * folds - 1.0)          # creases where the noise crosses its middle
        gy, gx = np.gradient(cv2.GaussianBlur(ridges, (0, 0), 2))
        light = np.deg2rad(rng.uniform(0, 360))
        relief = gx * np.cos(light) + gy * np.sin(light)
        relief = relief / max(float(relief.std()), 1e-6)
        colour = np.array(rng.choice([[235, 230, 220], [180, 40, 50], [40, 70, 140], [90, 140, 90],
                                      [220, 200, 150], [60, 60, 65]]), np.float32)
        shade = np.clip(0.82 + 0.1 * relief + 0.08 * (folds - 0.5), 0.45, 1.15)
        texture = shade[..., None] * colour[None, None, :]
    else:  # desk
        base = np.array(rng.choice([[45, 45, 50], [70, 60, 55], [30, 35, 40], [95, 100, 105]]), np.float32)
        shade = 0.85 + 0.3 * fractal_noise(width, height, rng, 3, 2)
        texture = shade[..., None] * base[None, None, :]
    return np.clip(texture, 0, 255).astype(np.float32)


# --- light and camera ----------------------------------------------------------------------------

def _light(photo: np.ndarray, rng: np.random.Generator, config: PhotoConfig, effects: dict) -> np.ndarray:
    h, w = photo.shape[:2]
    # light falling off across the scene
    ramp_angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = ((xs / w - 0.5) * np.cos(ramp_angle) + (ys / h - 0.5) * np.sin(ramp_angle))
    light = 1.0 + rng.uniform(0.0, 0.35) * ramp
    if rng.random() < config.shadow_chance:
        blob = value_noise(w, h, int(rng.integers(2, 5)), rng)
        cut = np.quantile(blob, rng.uniform(0.45, 0.8))
        shadow = (blob > cut).astype(np.float32)
        shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(4, 25))
        depth = rng.uniform(0.3, 0.6)
        light = light * (1 - depth * shadow)
        effects["shadow"] = float(depth)
    photo = photo * light[..., None]
    if rng.random() < config.colour_light_chance:
        hue = rng.uniform(0, 180)
        colour = cv2.cvtColor(np.uint8([[[hue, 255, 255]]]), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255
        strength = rng.uniform(0.15, 0.5)
        gains = (1 - strength) + strength * colour
        photo = photo * (gains / gains.max())[None, None, :] * rng.uniform(1.0, 1.15)
        effects["colour_light"] = [round(float(g), 3) for g in gains]
    return photo


def _camera_noise(photo: np.ndarray, rng: np.random.Generator, config: PhotoConfig, effects: dict) -> np.ndarray:
    sigma = float(rng.uniform(*config.blur_sigma))
    if sigma > 0.3:
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    noise = float(rng.uniform(*config.noise_sigma))
    photo = photo + noise * rng.standard_normal(photo.shape, dtype=np.float32)
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    effects.update(blur=sigma, noise=noise, jpeg=quality)
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
