"""Find the sheet of paper in a phone photo: its four corners, in the photo's pixels.

    photo -> small copy (~128 px) -> GrabCut (colour models of the frame's border ring against
          the middle, with an edge-aware cut) -> the sheet's outline -> a quad from its straight
          sides -> each side refined on a larger copy (~640 px) to the strongest colour edge
          along its normals -> corners and a confidence

A side lying on the photo's frame (a sheet cut by the frame) is kept as the frame's line; a
corner outside the frame is where the two sides meeting there cross. Nothing is returned
(None) when no sheet stands out with a clean four-sided outline: a scan, a page filling the
frame, an empty table, two sheets side by side, a black or white photo. The caller then reads
the image as it is.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from lector.core.geometry import Homography, order_quad


@dataclass(frozen=True)
class PageFinderConfig:
    work_side: int = 128            # long side (px) of the copy the sheet is segmented on
    refine_side: int = 640          # long side (px) of the copy its edges are refined on
    grabcut_iterations: int = 2
    frame_margin: float = 0.025     # share of the short side taken as background to start with
    min_area: float = 0.08          # the sheet covers at least this share of the photo
    max_outside: float = 0.12       # other foreground (a second sheet) at most this share of the sheet
    edge_search: float = 0.015      # a side is searched for this share of the diagonal either way
    edge_strength: float = 10.0     # Lab difference across a side that counts as an edge
    max_ink_outside: float = 0.5    # print just outside the quad, at most this share of its density inside


@dataclass(frozen=True, eq=False)
class PageQuad:
    """The sheet: `corners` (4, 2) top-left, top-right, bottom-right, bottom-left in the photo's
    pixels (a corner may lie outside the frame), `confidence` in [0, 1], `method` how it was
    found, `frame_sides` how many sides are the frame's edge (the sheet runs out of the photo)."""

    corners: np.ndarray
    confidence: float
    method: str
    frame_sides: int = 0
    area_share: float = 0.0         # the quad's area / the photo's

    def __post_init__(self) -> None:
        corners = np.array(self.corners, np.float64).reshape(4, 2)
        corners.setflags(write=False)
        object.__setattr__(self, "corners", corners)


def find_page(image: np.ndarray, config: PageFinderConfig = PageFinderConfig(),
              preview: np.ndarray | None = None) -> PageQuad | None:
    """The sheet in an RGB (or grey) photo, or None when none stands out with confidence.
    `preview`: a smaller copy of the same photo (at least `refine_side` long) the caller already
    has; the search runs on copies of it.

    GrabCut is started twice when the first answer is not clear: from one paper colour, then
    from the paper's colours by lightness (in shade, in between, in sun), which keeps a sunlit
    part of the sheet at the frame's edge from passing for the table. The surer quad wins."""
    rgb = _as_rgb(image)
    height, width = rgb.shape[:2]
    if min(height, width) < 32:
        return None
    refine = _shrink(_as_rgb(preview) if preview is not None else rgb, config.refine_side)
    small = _shrink(refine, config.work_side)
    if float(small.std()) < 3.0:          # black, white or one flat colour: no sheet to see
        return None
    best: PageQuad | None = None
    for paper_levels in (1, 3):
        found = _quad_for_start(small, refine, (width, height), paper_levels, config)
        if found is not None and (best is None or found.confidence > best.confidence):
            best = found
        if best is not None and best.confidence >= CLEAR:
            break
    return best


CLEAR = 0.92    # a quad this sure is not searched further


def _quad_for_start(small: np.ndarray, refine: np.ndarray, size: tuple[int, int], paper_levels: int,
                    config: PageFinderConfig) -> PageQuad | None:
    width, height = size
    mask, outside = _segment(small, config, paper_levels)
    if mask is None:
        return None
    found = _quad_from_mask(mask, config)
    if found is None:
        return None
    corners_small, frame_side = found
    if outside > config.max_outside * float(mask.sum()):
        return None                       # more than one sheet-like thing: which one is unclear
    # refine each side that is a real edge on a larger copy
    small_to_refine = Homography.scaling(refine.shape[1] / small.shape[1], refine.shape[0] / small.shape[0])
    refine_to_photo = Homography.scaling(width / refine.shape[1], height / refine.shape[0])
    corners_refine, support = _refine_sides(refine, small_to_refine.apply_points(corners_small), frame_side, config)
    if corners_refine is None:
        return None
    if not _plausible(corners_refine, refine.shape[1], refine.shape[0], config):
        return None
    if _ink_outside(refine, corners_refine) > config.max_ink_outside:
        return None                       # print outside the quad: it would cut text away
    corners = order_quad(refine_to_photo.apply_points(corners_refine))
    fill = _fill_iou(mask, small_to_refine.then(refine_to_photo).inverse().apply_points(corners))
    confidence = 0.5 * fill + 0.5 * support
    frames = int(sum(frame_side))
    if frames:
        confidence *= 0.9
    area = _quad_area(corners) / (width * height)
    method = "grabcut+edges" if paper_levels == 1 else f"grabcut({paper_levels} paper levels)+edges"
    return PageQuad(corners, round(float(confidence), 4), method, frames, round(float(area), 4))


# --- segmentation --------------------------------------------------------------------------------

def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        top = 65535.0 if image.dtype == np.uint16 else 255.0
        image = np.clip(image.astype(np.float32) * (255.0 / top), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"an image is H x W, H x W x 3 or H x W x 4, not {image.shape}")


def _shrink(image: np.ndarray, long_side: int) -> np.ndarray:
    """A copy whose long side is `long_side` (or the image itself when smaller): a whole-number
    area step first (OpenCV's fast path: a 50-megapixel photo costs a few milliseconds), then
    the rest, less than a halving, by linear interpolation (area averaging at a fractional
    step is several times slower, for no difference the measurements here can see)."""
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1.0:
        return image
    step = int(1.0 / scale)
    if step >= 2:
        image = cv2.resize(image, None, fx=1.0 / step, fy=1.0 / step, interpolation=cv2.INTER_AREA)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _segment(small: np.ndarray, config: PageFinderConfig, paper_levels: int = 1) -> tuple[np.ndarray | None, float]:
    """(the sheet's filled mask, 0/1 uint8, the area of other large foreground) by GrabCut started
    from "the border ring is background, the rest may be the sheet"."""
    h, w = small.shape[:2]
    margin = max(2, int(round(config.frame_margin * min(h, w))))
    if min(h, w) <= 4 * margin:
        return None, 0.0
    blurred = cv2.medianBlur(small, 3)
    labels = _initial_labels(blurred, margin, paper_levels)
    if not (labels == cv2.GC_BGD).any():
        return None, 0.0                  # the frame's edge looks like paper all round
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)                     # GrabCut's k-means start draws from OpenCV's RNG: same photo, same answer
    try:
        cv2.grabCut(blurred, labels, None, background_model, foreground_model,
                    config.grabcut_iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None, 0.0                  # e.g. too few distinct colours to model
    foreground = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, components, stats, _ = cv2.connectedComponentsWithStats(foreground, connectivity=4)
    if count < 2:
        return None, 0.0
    areas = stats[1:, cv2.CC_STAT_AREA]
    biggest = int(np.argmax(areas)) + 1
    if areas[biggest - 1] < 0.04 * h * w:
        return None, 0.0
    others = areas[(np.arange(1, count) != biggest) & (areas >= 0.02 * h * w)]
    contours, _ = cv2.findContours((components == biggest).astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    mask = np.zeros((h, w), np.uint8)
    cv2.drawContours(mask, contours, -1, 1, thickness=cv2.FILLED)
    return mask, float(others.sum())


def _initial_labels(blurred: np.ndarray, margin: int, paper_levels: int = 1) -> np.ndarray:
    """GrabCut's start: the border ring is background, the rest may be the sheet; but where the
    ring has the paper's colour the sheet runs out of the frame, and that part may be sheet too.
    The paper's colour is the median of the brighter half of the middle of the photo, or with
    `paper_levels` 3, the medians of its thirds by lightness (the sheet in shade and in sun)."""
    h, w = blurred.shape[:2]
    lab = cv2.cvtColor(blurred, cv2.COLOR_RGB2Lab).astype(np.float32)
    middle = lab[h // 4: h - h // 4, w // 4: w - w // 4].reshape(-1, 3)
    bright = middle[middle[:, 0] >= np.median(middle[:, 0])]
    bright = bright[np.argsort(bright[:, 0], kind="stable")]
    papers = [np.median(part, axis=0) for part in np.array_split(bright, paper_levels) if len(part)]
    distance = np.full((h, w), np.inf, np.float32)
    for paper in papers:
        difference = lab - paper
        distance = np.minimum(distance, np.sqrt((0.5 * difference[..., 0]) ** 2 + difference[..., 1] ** 2
                                                + difference[..., 2] ** 2))
    labels = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    ring = np.ones((h, w), bool)
    ring[margin: h - margin, margin: w - margin] = False
    labels[ring & (distance > PAPER_LIKE)] = cv2.GC_BGD
    return labels


PAPER_LIKE = 16.0    # Lab distance (lightness at half weight) under which a colour passes for the paper's


# --- the quad ------------------------------------------------------------------------------------

def _quad_from_mask(mask: np.ndarray, config: PageFinderConfig
                    ) -> tuple[np.ndarray, tuple[bool, bool, bool, bool]] | None:
    """Four corners (clockwise as seen, small-copy pixels) of the mask's outline and, per side
    (corner i to i+1), whether it stands in for a side the frame cut off; None when the outline
    is not four-sided.

    The outline's convex hull is simplified to a few straight runs; each run is a page edge or
    lies on the frame. Every choice of four page edges, or of three or two with the frame's runs
    in between, is a candidate; a side the frame cut off is drawn parallel to the side opposite
    (or square to its neighbours) through the outline's outermost point, so the quad holds all
    of the sheet the photo shows. The candidate whose quad best matches the mask (IoU) wins.
    """
    h, w = mask.shape
    margin = max(2, int(round(config.frame_margin * min(h, w))))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    hull_points = hull.reshape(-1, 2).astype(np.float64)
    perimeter = cv2.arcLength(hull, True)
    polygons = []
    for share in (0.005, 0.01, 0.02, 0.03, 0.045, 0.065, 0.09):
        polygon = cv2.approxPolyDP(hull, share * perimeter, True).reshape(-1, 2).astype(np.float64)
        if len(polygon) <= 8 and not polygons:
            polygons.append(polygon)
        if len(polygon) <= 5:
            polygons.append(polygon)
            break
    best, best_score = None, -1.0
    for points in polygons:
        if len(points) < 3:
            continue
        if _signed_area(points) < 0:       # make the order clockwise as seen (y down)
            points = points[::-1]
        near = margin + 1.5
        on_border = np.stack([points[:, 0] <= near, points[:, 1] <= near,
                              points[:, 0] >= w - 1 - near, points[:, 1] >= h - 1 - near], axis=1)
        runs = _side_runs(points, on_border)
        for slots in _candidate_sides(runs):
            corners = _corners_of(slots, hull_points)
            if corners is None or not _plausible(corners, w, h, config):
                continue
            cut = tuple(bool(slot[2]) for slot in slots)
            score = _fill_iou(mask, corners) - 0.02 * sum(cut)
            if score > best_score:
                best, best_score = (corners, cut), score
    return best  # type: ignore[return-value]


def _candidate_sides(runs: list[tuple]) -> list[list]:
    """Cyclic lists of four sides, each (start, end, cut): a page run with cut False, or where the
    frame cut a side off, the frame's runs there (their first start, last end) with cut True."""
    n = len(runs)
    page = [k for k in range(n) if runs[k][2] is None]
    candidates = []
    for size in (4, 3, 2):
        if len(page) < size:
            continue
        for chosen in itertools.combinations(page, size):
            slots: list = []
            for j, k in enumerate(chosen):
                slots.append((runs[k][0], runs[k][1], False))
                following = chosen[(j + 1) % size]
                between = [(k + step) % n for step in range(1, (following - k) % n or n)]
                frame = [m for m in between if runs[m][2] is not None]
                if size < 4 and frame:
                    slots.append((runs[frame[0]][0], runs[frame[-1]][1], True))
            if len(slots) == 4 and not any(slots[k][2] and slots[(k + 1) % 4][2] for k in range(4)):
                candidates.append(slots)
    return candidates


def _corners_of(slots: list, hull_points: np.ndarray) -> np.ndarray | None:
    """The quad of four sides; a side the frame cut off is drawn parallel to the side opposite
    (or square to its two neighbours when that was cut too) through the outline's outermost
    point beyond it, so that the quad holds all of the sheet the photo shows."""
    lines: list = [(slot[0], slot[1]) for slot in slots]
    centre = hull_points.mean(axis=0)
    for k in range(4):
        if not slots[k][2]:
            continue
        opposite = slots[(k + 2) % 4]
        if not opposite[2]:
            direction = opposite[1] - opposite[0]
        else:
            before, after = slots[(k - 1) % 4], slots[(k + 1) % 4]
            a = (before[1] - before[0]) / max(np.linalg.norm(before[1] - before[0]), 1e-9)
            b = (after[0] - after[1]) / max(np.linalg.norm(after[1] - after[0]), 1e-9)
            direction = np.array([-(a + b)[1], (a + b)[0]])
        direction = direction / max(np.linalg.norm(direction), 1e-9)
        normal = np.array([-direction[1], direction[0]])
        if ((slots[k][0] + slots[k][1]) / 2 - centre) @ normal < 0:
            normal = -normal                 # towards the frame's runs
        far = hull_points[int(np.argmax(hull_points @ normal))]
        lines[k] = (far, far + direction)
    corners = []
    for k in range(4):
        corner = _intersect(lines[k - 1], lines[k])
        if corner is None:
            return None
        corners.append(corner)
    return np.array(corners)


def _side_runs(points: np.ndarray, on_border: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int | None]]:
    """The outline's edges merged into sides: (start, end, border) with border the index of the
    frame edge (0 left, 1 top, 2 right, 3 bottom) the side lies on, or None for a page edge.
    Consecutive page edges within 15 degrees of each other are one side."""
    n = len(points)
    edges = []
    for k in range(n):
        a, b = points[k], points[(k + 1) % n]
        shared = on_border[k] & on_border[(k + 1) % n]
        border = int(np.argmax(shared)) if shared.any() else None
        edges.append((a, b, border))
    # start at an edge that begins a side, so no side wraps around the list's end
    start = 0
    for k in range(n):
        if not _continues(edges[k - 1], edges[k]):
            start = k
            break
    edges = edges[start:] + edges[:start]
    runs: list[tuple[np.ndarray, np.ndarray, int | None]] = []
    for edge in edges:
        if runs and _continues(runs[-1], edge):
            runs[-1] = (runs[-1][0], edge[1], runs[-1][2])
        else:
            runs.append(edge)
    return runs


def _continues(run: tuple, edge: tuple) -> bool:
    if run[2] != edge[2]:
        return False
    if edge[2] is not None:
        return True
    d1, d2 = run[1] - run[0], edge[1] - edge[0]
    cos = float(d1 @ d2) / max(np.linalg.norm(d1) * np.linalg.norm(d2), 1e-9)
    return cos > np.cos(np.deg2rad(15))


def _intersect(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    p, r = first[0], first[1] - first[0]
    q, s = second[0], second[1] - second[0]
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 1e-9 * max(1.0, np.linalg.norm(r) * np.linalg.norm(s)):
        return None
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
    return p + t * r


def _signed_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _quad_area(corners: np.ndarray) -> float:
    return abs(_signed_area(corners))


# --- refinement ----------------------------------------------------------------------------------

def _refine_sides(image: np.ndarray, corners: np.ndarray, frame_side: tuple[bool, ...],
                  config: PageFinderConfig, samples: int = 40) -> tuple[np.ndarray | None, float]:
    """Move each page side to the strongest colour edge along its normals and fit a line to those
    edge points (outliers dropped); returns the new corners and the share of samples that found
    a sharp edge on the fitted line (the edge support)."""
    h, w = image.shape[:2]
    lab = cv2.cvtColor(cv2.GaussianBlur(image, (0, 0), 1.0), cv2.COLOR_RGB2Lab).astype(np.float32)
    reach = max(6, int(round(config.edge_search * np.hypot(w, h))))
    offsets = np.arange(-reach, reach + 1, dtype=np.float64)
    centre = corners.mean(axis=0)
    lines: list[tuple[np.ndarray, np.ndarray]] = []
    supports = []
    for k in range(4):
        a, b = corners[k], corners[(k + 1) % 4]
        if frame_side[k]:
            lines.append((a, b))
            continue
        direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
        normal = np.array([-direction[1], direction[0]])
        if normal @ ((a + b) / 2 - centre) < 0:
            normal = -normal                 # outward
        t = np.linspace(0.08, 0.92, samples)
        base = a[None, :] + t[:, None] * (b - a)[None, :]
        inside = (base[:, 0] >= 1) & (base[:, 0] <= w - 2) & (base[:, 1] >= 1) & (base[:, 1] <= h - 2)
        base = base[inside]
        if len(base) < 8:
            lines.append((a, b))
            supports.append(0.0)
            continue
        probe = base[:, None, :] + offsets[None, :, None] * normal[None, None, :]
        values = cv2.remap(lab, probe[..., 0].astype(np.float32), probe[..., 1].astype(np.float32),
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        step = 2
        jump = np.linalg.norm(values[:, 2 * step:] - values[:, :-2 * step], axis=2)
        best = np.argmax(jump, axis=1)
        strength = jump[np.arange(len(best)), best]
        edge_points = base + offsets[best + step][:, None] * normal[None, :]
        strong = strength >= config.edge_strength
        tolerance = max(1.5, 0.004 * np.hypot(w, h))
        fitted = _robust_line(edge_points[strong], strength[strong], tolerance) if strong.sum() >= 6 else None
        if fitted is None:
            lines.append((a, b))
            supports.append(0.0)
            continue
        point, along = fitted
        off_line = np.abs((edge_points - point) @ np.array([-along[1], along[0]]))
        on_line = strong & (off_line <= tolerance)
        supports.append(float(on_line.sum()) / samples)
        lines.append((point, point + along))
    corners_new = []
    for k in range(4):
        corner = _intersect(lines[k - 1], lines[k])
        if corner is None:
            return None, 0.0
        corners_new.append(corner)
    support = float(np.mean(supports)) if supports else 0.0
    return np.array(corners_new), support


def _robust_line(points: np.ndarray, weights: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The line through the most (weighted) `points` within `tolerance`: every pair of points
    proposes a line (RANSAC over all pairs: a side has a few dozen samples), the best one's
    inliers are refitted by total least squares."""
    n = len(points)
    if n < 4:
        return None
    first, second = np.triu_indices(n, k=1)
    direction = points[second] - points[first]
    length = np.linalg.norm(direction, axis=1)
    usable = length > 1e-6
    first, second, direction, length = first[usable], second[usable], direction[usable], length[usable]
    if len(first) == 0:
        return None
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1) / length[:, None]
    distance = np.abs(np.einsum("pk,pnk->pn", normal, points[None, :, :] - points[first][:, None, :]))
    support = ((distance <= tolerance) * weights[None, :]).sum(axis=1)
    best = int(np.argmax(support))
    inliers = distance[best] <= tolerance
    if inliers.sum() < 3:
        return None
    centre = points[inliers].mean(axis=0)
    _, _, vt = np.linalg.svd(points[inliers] - centre, full_matrices=False)
    return centre, vt[0]


# --- checks --------------------------------------------------------------------------------------

def _plausible(corners: np.ndarray, width: int, height: int, config: PageFinderConfig) -> bool:
    """A convex quad of sheet-like proportions, big enough, not far outside the photo."""
    if not np.all(np.isfinite(corners)):
        return False
    lo = np.array([-0.3 * width, -0.3 * height])
    hi = np.array([1.3 * width, 1.3 * height])
    if np.any(corners < lo) or np.any(corners > hi):
        return False
    area = _quad_area(corners)
    if area < config.min_area * width * height:
        return False
    edges = np.roll(corners, -1, axis=0) - corners
    crosses = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if not (np.all(crosses > 0) or np.all(crosses < 0)):
        return False
    lengths = np.linalg.norm(edges, axis=1)
    cosines = np.abs(np.sum(edges * np.roll(edges, -1, axis=0), axis=1)) / np.maximum(
        lengths * np.roll(lengths, -1), 1e-9)
    if np.any(cosines > np.cos(np.deg2rad(40))):       # corners between 40 and 140 degrees
        return False
    return bool(lengths[0] / max(lengths[2], 1e-9) < 3 and lengths[1] / max(lengths[3], 1e-9) < 3
                and lengths[2] / max(lengths[0], 1e-9) < 3 and lengths[3] / max(lengths[1], 1e-9) < 3)


def _ink_outside(image: np.ndarray, corners: np.ndarray) -> float:
    """How much print lies in a band just outside the quad (from 2.5% to 12% of the diagonal
    beyond its sides), relative to the print inside it: near 0 for a sheet on a table, near 1
    where the quad cut through the page's text. Print is small dark marks of glyph size and
    shape (black-hat), so wood grain, tile speckle and the sheet's own edge hardly count."""
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    size = max(5, int(round(0.014 * max(h, w))) | 1)
    marks = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats((marks > 30).astype(np.uint8), connectivity=8)
    cw, ch, area = stats[:, 2], stats[:, 3], stats[:, 4]
    glyph = ((ch >= 3) & (ch <= 0.04 * max(h, w)) & (cw <= 0.1 * max(h, w))
             & (np.maximum(cw, ch) <= 6 * np.minimum(cw, ch)) & (area >= 6))
    glyph[0] = False
    ink = glyph[labels]
    quad = np.zeros((h, w), np.uint8)
    cv2.fillPoly(quad, [np.round(corners).astype(np.int32)], 1)
    diagonal = float(np.hypot(h, w))
    outside = cv2.distanceTransform(1 - quad, cv2.DIST_L2, 3)
    inside = cv2.distanceTransform(quad, cv2.DIST_L2, 3)
    band = (outside > 0.025 * diagonal) & (outside <= 0.12 * diagonal)
    core = inside > 3
    if not band.any() or not core.any():
        return 0.0
    density_inside = float(ink[core].mean())
    return float(ink[band].mean()) / max(density_inside, 1e-4)


def _fill_iou(mask: np.ndarray, corners: np.ndarray) -> float:
    """IoU of the segmented sheet and the quad, on the small copy: 1 for a clean four-sided sheet."""
    quad = np.zeros_like(mask)
    cv2.fillPoly(quad, [np.round(corners).astype(np.int32)], 1)
    inter = float(np.logical_and(quad, mask).sum())
    union = float(np.logical_or(quad, mask).sum())
    return inter / union if union > 0 else 0.0
