"""Render one labelled word crop: text in a font, on paper, through seeded distortions.

A crop is cut the way the detector cuts one (ink box plus a tight or loose margin, sometimes
reaching into the neighbouring words so that slivers of their glyphs show at the ends), so
training inputs look like inference inputs. The output is a grey uint8 image of any height; the
recognizer's own `normalise_crop` brings it to the input height, exactly as at inference.

Stages, each seeded from one `numpy.random.Generator` and switched by a `DistortionMix`
probability: ink (bold, dot matrix, thermal stipple, low ink, bleed) -> cut (margins, neighbour
fragments, rules) -> paper (shade, texture, crease) -> geometry (rotation, perspective, curl,
elastic, scale and aspect) -> optics (Gaussian, motion and defocus blur, resolution, noise,
inversion, camera, JPEG). All are NumPy/OpenCV on word-sized arrays, about 1 ms a crop in all. augraphy 8.2
was measured on a 48x240 crop: NoiseTexturize 8 ms, Folding 32 ms, Letterpress 420 ms,
BadPhotoCopy 610 ms (InkBleed and LowInkRandomLines 0.2 ms), and it draws from the global random
state, so sample i would no longer be a function of (seed, i).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lector.synth.corpus import Corpus
from lector.synth.fonts import FontFace
from lector.synth.textures import TEXTURES, smooth_noise, texture

Range = tuple[float, float]


@dataclass(frozen=True)
class DistortionMix:
    """Probability (and strength range) of each distortion.

    The fields down to `bold_ink` are the v1 mix the shipped model saw, with their v1 defaults.
    The v2 fields below them have modest default probabilities; `DistortionMix.v1()` turns them
    all off. Strengths are (low, high) ranges drawn uniformly per crop.
    """

    negative: float = 0.04
    wide_spaces: float = 0.25
    thermal_stipple: float = 0.2
    dot_matrix: float = 0.08
    underline: float = 0.04
    strike: float = 0.01
    table_line: float = 0.05
    rotate: float = 0.5
    max_rotation_deg: float = 2.0
    blur: float = 0.4
    low_resolution: float = 0.3
    noise: float = 0.5
    jpeg: float = 0.3
    shadow: float = 0.2
    invert: float = 0.04
    bold_ink: float = 0.15
    # v2 (issue 3)
    neighbours: float = 0.1               # slivers of the neighbouring words' glyphs at the crop ends
    neighbour_fragment: Range = (0.02, 0.1)    # how much of the neighbour shows, in font sizes (ems)
    perspective: float = 0.1
    perspective_strength: Range = (0.05, 0.25)  # largest corner shift, in crop heights
    curl: float = 0.06
    curl_strength: Range = (0.03, 0.12)   # peak vertical bend, in crop heights
    elastic: float = 0.05
    elastic_strength: Range = (0.01, 0.03)   # local displacement, in crop heights
    scale_aspect: float = 0.25
    scale_range: Range = (0.7, 1.3)       # both axes
    aspect_range: Range = (0.75, 1.3)     # width only: condensed and extended lettering
    motion_blur: float = 0.06
    motion_blur_px: Range = (3.0, 7.0)    # kernel length
    defocus_blur: float = 0.05
    defocus_px: Range = (1.0, 2.5)        # disk radius
    crease: float = 0.05
    crease_strength: Range = (15.0, 60.0)  # grey levels darker along the fold
    paper_texture: float = 0.15
    texture_strength: Range = (3.0, 18.0)  # grey-level standard deviation of the texture
    low_ink: float = 0.08
    low_ink_strength: Range = (0.3, 0.75)  # how much ink the worst patches lose
    ink_bleed: float = 0.06
    ink_bleed_px: Range = (0.5, 1.3)      # spread of the ink into the paper (Gaussian sigma)
    # v3 (issue 16): small print in a phone photo, off by default so older shards stay reproducible
    camera: float = 0.0
    camera_height: Range = (12.0, 24.0)   # the crop's height in the photo, in pixels
    camera_blur: Range = (0.4, 1.1)       # optics blur at that resolution (Gaussian sigma, px)

    @classmethod
    def v1(cls) -> "DistortionMix":
        """The v1 probabilities with every v2 distortion off. Not byte-identical to v1 crops: the
        corpus, the negatives and text rasterisation (`RASTER_SIZES`) changed in v2."""
        return cls(**{name: 0.0 for name in V2_DISTORTIONS})


V2_DISTORTIONS = ("neighbours", "perspective", "curl", "elastic", "scale_aspect", "motion_blur", "defocus_blur",
                  "crease", "paper_texture", "low_ink", "ink_bleed")


def _chance(rng: np.random.Generator, p: float) -> bool:
    """Draws only when the distortion is on: with the v2 ones off, the v1 steps draw what they did."""
    return p > 0 and rng.random() < p


def _uniform(rng: np.random.Generator, bounds: Range) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


# Text is rasterised at one of two sizes and resampled to the size drawn for the crop (20-47 px):
# every FreeType face maps its whole font file, and a cache of (face, size) for 28 sizes of 330
# faces thrashed (a fifth of lookups hit) at 500 MB a worker. Resampling by at most 1.25 is close
# to what a photo or scan does anyway, and the crop is rescaled to 32 px in the end.
RASTER_SIZES = (24, 40)


@lru_cache(maxsize=1024)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _raster_size(size: int) -> int:
    return RASTER_SIZES[0] if size < 30 else RASTER_SIZES[1]


def _resample(mask: np.ndarray, scale: float) -> np.ndarray:
    if abs(scale - 1.0) < 1e-3:
        return mask
    h, w = mask.shape
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(mask, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def _text_mask(text: str, face: FontFace, size: int) -> np.ndarray:
    """Float mask (1 = ink) of `text` at `size` px, with a generous canvas so nothing is clipped."""
    base = _raster_size(size)
    font = _font(face.path, base)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = base // 2
    canvas = Image.new("L", (max(1, x1 - x0) + 2 * pad, max(1, y1 - y0) + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x0, pad - y0), text, font=font, fill=255)
    return _resample(np.asarray(canvas, np.float32) / 255.0, size / base)


# Neighbour glyphs whose edge facing the crop is round or slanted: a sliver of a vertical stem
# would look like 'l' or '|', and the net must not learn to drop those at the ends of words.
LEFT_NEIGHBOURS = "ABCDGOPQRSVWXYZbcegopsvwxyz0235689$%&@#"    # their right edge shows
RIGHT_NEIGHBOURS = "ACGOQSVWXYZacdegoqsvwxyz0235689$%&@#"      # their left edge shows


def _line_mask(left: str, text: str, right: str, face: FontFace, size: int) -> tuple[np.ndarray, int, int]:
    """Mask of `left text right` on one baseline at `size` px, and the columns where `text` lies."""
    base = _raster_size(size)
    font = _font(face.path, base)
    ascent, descent = font.getmetrics()
    pad = base // 2
    space = font.getlength(" ")
    x_text = pad + (font.getlength(left) + space if left else 0.0)
    text_len = font.getlength(text)
    width = x_text + text_len + (space + font.getlength(right) if right else 0.0) + pad
    canvas = Image.new("L", (int(width) + 1, ascent + descent + 2 * pad), 0)
    draw = ImageDraw.Draw(canvas)
    if left:
        draw.text((pad, pad), left, font=font, fill=255)
    draw.text((x_text, pad), text, font=font, fill=255)
    if right:
        draw.text((x_text + text_len + space, pad), right, font=font, fill=255)
    scale = size / base
    mask = _resample(np.asarray(canvas, np.float32) / 255.0, scale)
    lo = int((x_text - 0.5 * space) * scale) if left else 0
    hi = int((x_text + text_len + 0.5 * space) * scale) if right else mask.shape[1]
    return mask, max(0, lo), hi


def _dot_matrix(mask: np.ndarray, text_height: int, rng: np.random.Generator) -> np.ndarray:
    """Re-draw the ink as round dots on a coarse grid, like a dot-matrix or cheap thermal head."""
    pitch = max(2, int(text_height / rng.uniform(9, 13)))
    h, w = mask.shape
    small = cv2.resize(mask, (max(1, w // pitch), max(1, h // pitch)), interpolation=cv2.INTER_AREA) > 0.3
    dot = np.zeros((pitch, pitch), np.float32)
    cv2.circle(dot, (pitch // 2, pitch // 2), max(1, int(pitch * rng.uniform(0.35, 0.55))), 1.0, -1)
    tiled = np.kron(small.astype(np.float32), dot)
    out = np.zeros_like(mask)
    out[: tiled.shape[0], : tiled.shape[1]] = tiled[:h, :w]
    return out


def _stipple(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thermal print: faded, broken strokes with missing dots."""
    keep = rng.random(mask.shape) > rng.uniform(0.05, 0.35)
    faded = mask * keep * rng.uniform(0.6, 1.0)
    if rng.random() < 0.5:  # a streak where the print head was weak
        x = rng.integers(0, mask.shape[1])
        faded[:, x: x + rng.integers(1, 6)] *= rng.uniform(0.2, 0.7)
    return cv2.GaussianBlur(faded, (0, 0), rng.uniform(0.3, 0.8))


def low_ink(mask: np.ndarray, strength: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """A dry ribbon or worn stamp: ink fades in patches a few strokes wide and drops out in specks."""
    patches = smooth_noise(mask.shape, max(3.0, size * rng.uniform(0.3, 1.0)), rng)
    level = np.clip(1.0 - strength * (0.5 + 0.5 * np.tanh(patches)), 0.15, 1.0)
    specks = rng.random(mask.shape) > strength * 0.25
    return mask * level * specks


def ink_bleed(mask: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Ink soaking into absorbent paper: strokes thicken and grow a soft halo."""
    spread = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.clip(np.maximum(mask, spread * rng.uniform(1.2, 1.9)), 0.0, 1.0)


def _paper(shape: tuple[int, int], level: float, rng: np.random.Generator, shadow: bool) -> np.ndarray:
    h, w = shape
    paper = np.full(shape, level, np.float32)
    paper += rng.normal(0, rng.uniform(0, 6), (1, 1)).astype(np.float32)
    if shadow:
        ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :] if rng.random() < 0.5 else \
            np.linspace(0, 1, h, dtype=np.float32)[:, None]
        paper -= ramp * rng.uniform(20, 90) * rng.choice([1, -1]) + 0
    return paper


def crease(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A fold across the crop: a dark line where the paper broke, one side a little brighter."""
    h, w = image.shape
    if rng.random() < 0.6:   # receipts are folded across their width: steep lines through a word
        angle = np.deg2rad(rng.uniform(60, 120))
    else:
        angle = np.deg2rad(rng.uniform(-15, 15))
    nx, ny = np.sin(angle), -np.cos(angle)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.2, 0.8) * h
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = (x - cx) * nx + (y - cy) * ny
    width = rng.uniform(0.6, 1.8)
    line = strength * np.exp(-(dist / width) ** 2)
    side = strength * rng.uniform(0.1, 0.3) * np.tanh(dist / rng.uniform(2, 6))
    return image - line + side


def perspective(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A word seen at an angle: the crop's corners move by up to `strength` crop heights."""
    h, w = image.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    shift = rng.uniform(-1, 1, (4, 2)).astype(np.float32) * strength * h
    if rng.random() < 0.5:   # a keystone: one end taller than the other
        k = rng.uniform(-1, 1) * strength * h
        shift[[0, 1], 1] += np.float32([k, -k])
        shift[[3, 2], 1] -= np.float32([k, -k])
    dst = src + shift
    dst -= dst.min(axis=0)   # the detector's box would hold the whole warped word: so does the crop
    size = np.ceil(dst.max(axis=0)).astype(int)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (max(8, int(size[0])), max(8, int(size[1]))),
                               borderMode=cv2.BORDER_REPLICATE)


def curl(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Curled or wavy paper: rows bend up and down along the line (a sine or a curl at one end)."""
    h, w = image.shape
    x = np.arange(w, dtype=np.float32)
    if rng.random() < 0.5:
        bend = np.sin(2 * np.pi * x / (w * rng.uniform(0.6, 2.5)) + rng.uniform(0, 2 * np.pi))
    else:
        start = rng.uniform(0.3, 0.8) * w
        bend = (np.clip(x - start, 0, None) / max(1.0, w - start)) ** 2 * rng.choice([-1, 1])
    dy = (bend * strength * h).astype(np.float32)
    lift = int(np.ceil(np.abs(dy).max()))   # grow the crop so the bent line stays inside it
    image = cv2.copyMakeBorder(image, lift, lift, 0, 0, cv2.BORDER_REPLICATE)
    rows = h + 2 * lift
    map_x = np.broadcast_to(x[None, :], (rows, w)).astype(np.float32)
    map_y = (np.arange(rows, dtype=np.float32)[:, None] + dy[None, :]).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def elastic(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Small smooth local wobbles of the strokes (wet paper, a worn print head)."""
    h, w = image.shape
    scale = max(2.0, 0.25 * h)
    dx = smooth_noise((h, w), scale, rng) * strength * h
    dy = smooth_noise((h, w), scale, rng) * strength * h
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(image, x + dx, y + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def scale_aspect(image: np.ndarray, scale: float, aspect: float) -> np.ndarray:
    """Resample the crop: `scale` on both axes (resolution), `aspect` on the width (condensed type)."""
    h, w = image.shape
    new_h = max(8, int(round(h * scale)))
    new_w = max(8, int(round(w * scale * aspect)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, new_h), interpolation=interp)


def motion_blur(image: np.ndarray, length: float, rng: np.random.Generator) -> np.ndarray:
    """A shaken phone: blur along a line of `length` pixels, mostly horizontal."""
    k = max(3, int(round(length)) | 1)
    kernel = np.zeros((k, k), np.float32)
    angle = rng.normal(0, 25) if rng.random() < 0.7 else rng.uniform(0, 180)
    c = k // 2
    dx, dy = np.cos(np.deg2rad(angle)) * c, np.sin(np.deg2rad(angle)) * c
    cv2.line(kernel, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REPLICATE)


def defocus_blur(image: np.ndarray, radius: float) -> np.ndarray:
    """Out of focus: a disk kernel (a Gaussian is too soft at the edges of the blur)."""
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r: r + 1, -r: r + 1]
    kernel = (x * x + y * y <= radius * radius + 0.5).astype(np.float32)
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REPLICATE)


def camera(image: np.ndarray, height: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Small print photographed by a phone: the crop imaged `height` pixels tall, blurred by the
    optics at that resolution, noised and JPEG-compressed there, then resampled back up as the
    rectifier and the recognizer do. Blur and compression act on a few pixels per stroke, which
    is what makes photo crops harder than the same blur applied at the rendering size."""
    h, w = image.shape
    scale = min(1.0, height / h)
    small = cv2.resize(image, (max(4, round(w * scale)), max(4, round(h * scale))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    small = small + rng.normal(0, rng.uniform(1, 6), small.shape)
    ok, buf = cv2.imencode(".jpg", np.clip(small, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])
    small = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR if rng.random() < 0.5 else cv2.INTER_CUBIC)


def render_crop(text: str, face: FontFace, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    """A grey uint8 crop of `text` (empty text gives a negative crop)."""
    if not text:
        return render_negative(face, rng, mix)
    size = int(rng.integers(20, 48))
    drawn = text.replace(" ", " " * int(rng.integers(2, 4))) if rng.random() < mix.wide_spaces else text
    left = right = ""
    if _chance(rng, mix.neighbours):
        side = rng.random()
        if side < 0.7:
            left = "".join(rng.choice(list(LEFT_NEIGHBOURS), int(rng.integers(1, 4))))
        if side > 0.4:
            right = "".join(rng.choice(list(RIGHT_NEIGHBOURS), int(rng.integers(1, 4))))
    if left or right:
        mask, lo, hi = _line_mask(left, drawn, right, face, size)
    else:
        mask = _text_mask(drawn, face, size)
        lo, hi = 0, mask.shape[1]
    mask = _ink(mask, size, mix, rng)
    ys, xs = np.nonzero(mask[:, lo:hi] > 0.2)
    if len(ys) == 0:
        return render_negative(face, rng, mix)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min() + lo, xs.max() + 1 + lo
    text_h = y1 - y0
    if rng.random() < mix.underline:
        yy = min(mask.shape[0] - 1, y1 + int(rng.integers(1, 4)))
        mask[yy: yy + max(1, size // 14), x0:x1] = 1.0
        y1 = yy + max(1, size // 14)
    if rng.random() < mix.strike:
        yy = (y0 + y1) // 2
        mask[yy: yy + max(1, size // 14), x0:x1] = 1.0
    # Detector-like margins: the detector's box hugs the ink, then pads it a little.
    my0, my1 = (int(text_h * rng.uniform(0.0, 0.3)) for _ in range(2))
    mx0, mx1 = (int(text_h * rng.uniform(0.0, 0.7)) for _ in range(2))
    if left or right:   # the box overshoots into the neighbour by a fraction of a glyph
        ink_cols = np.nonzero(mask.max(axis=0) > 0.2)[0]
        if left and (before := ink_cols[ink_cols < x0]).size:
            mx0 = int(x0 - before.max() + _uniform(rng, mix.neighbour_fragment) * size)
        if right and (after := ink_cols[ink_cols >= x1]).size:
            mx1 = int(after.min() - x1 + 1 + _uniform(rng, mix.neighbour_fragment) * size)
    pad = max(my0, my1, mx0, mx1) + 2
    mask = np.pad(mask, pad)
    mask = mask[y0 + pad - my0: y1 + pad + my1, x0 + pad - mx0: x1 + pad + mx1]
    if rng.random() < mix.table_line:
        if rng.random() < 0.5:
            mask[int(rng.integers(0, max(1, my0 + 1))), :] = 1.0
        else:
            mask[:, int(rng.integers(0, max(1, mx0 + 1)))] = 1.0
    paper_level = rng.uniform(160, 255)
    ink_level = rng.uniform(0, min(110, paper_level - 50))
    paper = _paper(mask.shape, paper_level, rng, rng.random() < mix.shadow)
    if _chance(rng, mix.paper_texture):
        kind = TEXTURES[int(rng.integers(0, len(TEXTURES)))]
        paper = paper + texture(kind, mask.shape, rng) * _uniform(rng, mix.texture_strength)
    image = paper * (1 - mask) + ink_level * mask
    if _chance(rng, mix.crease):
        image = crease(image, _uniform(rng, mix.crease_strength), rng)
    return _photometric(image, mix, rng)


def _ink(mask: np.ndarray, size: int, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    """How the printer laid the ink down: weight, dots, dropouts, bleeding."""
    if rng.random() < mix.bold_ink:
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    if rng.random() < mix.dot_matrix:
        mask = _dot_matrix(mask, size, rng)
    elif rng.random() < mix.thermal_stipple:
        mask = _stipple(mask, rng)
    if _chance(rng, mix.low_ink):
        mask = low_ink(mask, _uniform(rng, mix.low_ink_strength), size, rng)
    if _chance(rng, mix.ink_bleed):
        mask = ink_bleed(mask, _uniform(rng, mix.ink_bleed_px) * size / 32, rng)
    return mask


def _photometric(image: np.ndarray, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape
    if rng.random() < mix.rotate:
        angle = rng.uniform(-mix.max_rotation_deg, mix.max_rotation_deg)
        shear = rng.uniform(-0.15, 0.15) if rng.random() < 0.3 else 0.0
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        m[0, 1] += shear
        image = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    image = _geometry(image.astype(np.float32), mix, rng)
    h, w = image.shape
    if rng.random() < mix.blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.4))
    if _chance(rng, mix.motion_blur):
        image = motion_blur(image, _uniform(rng, mix.motion_blur_px), rng)
    if _chance(rng, mix.defocus_blur):
        image = defocus_blur(image, _uniform(rng, mix.defocus_px))
    if rng.random() < mix.low_resolution:
        target_h = int(rng.integers(11, 24))
        if target_h < h:
            small = cv2.resize(image, (max(1, int(w * target_h / h)), target_h), interpolation=cv2.INTER_AREA)
            image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < mix.noise:
        image = image + rng.normal(0, rng.uniform(2, 14), image.shape)
    if _chance(rng, mix.camera):
        image = camera(image, _uniform(rng, mix.camera_height), _uniform(rng, mix.camera_blur), rng)
    if rng.random() < mix.invert:
        image = 255 - image
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < mix.jpeg:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def _geometry(image: np.ndarray, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    """The v2 warps, after the v1 rotation: perspective, curl, elastic, then scale and aspect."""
    if _chance(rng, mix.perspective):
        image = perspective(image, _uniform(rng, mix.perspective_strength), rng)
    if _chance(rng, mix.curl):
        image = curl(image, _uniform(rng, mix.curl_strength), rng)
    if _chance(rng, mix.elastic):
        image = elastic(image, _uniform(rng, mix.elastic_strength), rng)
    if _chance(rng, mix.scale_aspect):
        image = scale_aspect(image, _uniform(rng, mix.scale_range), _uniform(rng, mix.aspect_range))
    return image


NEGATIVE_KINDS = ("texture", "noise", "rules", "shapes", "fragment")
NEGATIVE_WEIGHTS = (0.3, 0.1, 0.2, 0.2, 0.2)


def render_negative(face: FontFace, rng: np.random.Generator, mix: DistortionMix | None = None,
                    kind: str | None = None) -> np.ndarray:
    """A crop with no text, of one of NEGATIVE_KINDS: a surface texture (paper, wood, marble,
    fabric, countertop), plain noise, rules and table lines, logo-like shapes, or the top or bottom
    sliver of a line of text, too little of the glyphs to read."""
    mix = mix or DistortionMix()
    h = int(rng.integers(20, 60))
    w = int(h * rng.uniform(0.5, 8))
    if kind is None:
        kind = NEGATIVE_KINDS[int(rng.choice(len(NEGATIVE_KINDS), p=NEGATIVE_WEIGHTS))]
    base = rng.uniform(120, 255)
    if kind == "texture":
        surface = TEXTURES[int(rng.integers(0, len(TEXTURES)))]
        image = base + texture(surface, (h, w), rng) * rng.uniform(6, 35)
    elif kind == "noise":   # blurred noise at a random scale, maybe grain stripes (the v1 texture)
        tex = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), rng.uniform(0.5, 6))
        tex = tex / (tex.std() + 1e-6) * rng.uniform(5, 40)
        if rng.random() < 0.5:
            tex += 20 * np.sin(np.arange(w)[None, :] / rng.uniform(2, 12) + tex / 30)
        image = base + tex
    elif kind == "rules":   # rules, double rules and the corners of table cells
        image = np.full((h, w), base, np.float32)
        ink = rng.uniform(0, 100)
        for _ in range(int(rng.integers(1, 4))):
            thick = int(rng.integers(1, 4))
            if rng.random() < 0.5:
                y = int(rng.integers(0, h))
                image[y: y + thick, :] = ink
                if rng.random() < 0.3:   # a double rule
                    gap = thick + int(rng.integers(2, 5))
                    image[y + gap: y + gap + thick, :] = ink
            else:
                x = int(rng.integers(0, w))
                image[:, x: x + thick] = ink
    elif kind == "shapes":  # logos, stamps and stains: filled or hollow ellipses, boxes, polygons
        image = np.full((h, w), base, np.float32)
        for _ in range(int(rng.integers(1, 4))):
            shade = float(rng.uniform(0, 110))
            line = -1 if rng.random() < 0.5 else int(rng.integers(1, 4))
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            shape = rng.integers(0, 3)
            if shape == 0:
                cv2.ellipse(image, centre, (int(rng.integers(2, max(3, w // 3))), int(rng.integers(2, max(3, h // 2)))),
                            float(rng.uniform(0, 180)), 0, 360, shade, line)
            elif shape == 1:
                size = (int(rng.integers(3, max(4, w // 2))), int(rng.integers(3, max(4, h))))
                cv2.rectangle(image, centre, (centre[0] + size[0], centre[1] + size[1]), shade, line)
            else:
                points = rng.integers(0, [w, h], (int(rng.integers(3, 7)), 2)).astype(np.int32)
                if line < 0:
                    cv2.fillPoly(image, [points], shade)
                else:
                    cv2.polylines(image, [points], True, shade, line)
    else:                   # the top or bottom sliver of a text line: ink but no readable character
        mask = _text_mask("".join(rng.choice(list("ABCDEFGHKMNPRSTWXYZ0123456789"), 6)), face, 40)
        ys = np.nonzero(mask.max(axis=1) > 0.2)[0]
        if len(ys) > 8:
            cut = max(2, int(len(ys) * rng.uniform(0.08, 0.18)))
            top = rng.random() < 0.5
            rows = ys[:cut] if top else ys[-cut:]
            sliver = mask[rows.min(): rows.max() + 1]
            blank = np.zeros((max(h, sliver.shape[0] * 4), sliver.shape[1]), np.float32)
            if top:
                blank[-sliver.shape[0]:] = sliver   # the detector box ends where the line begins
            else:
                blank[: sliver.shape[0]] = sliver
            mask = blank
        image = base * (1 - mask) + rng.uniform(0, 80) * mask
    return _photometric(image.astype(np.float32), mix, rng)


class CropGenerator:
    """Seeded stream of (grey crop, label). Sample i depends only on (seed, i): resumable, shardable."""

    def __init__(self, corpus: Corpus, faces: list[FontFace], mix: DistortionMix = DistortionMix(), seed: int = 0):
        self.corpus, self.faces, self.mix, self.seed = corpus, faces, mix, seed
        self._weights = [f.weight for f in faces]

    def sample(self, index: int) -> tuple[np.ndarray, str]:
        prng = random.Random(self.seed * 1_000_003 + index)
        rng = np.random.default_rng([self.seed, index])
        face = prng.choices(self.faces, self._weights)[0]
        text = "" if prng.random() < self.mix.negative else self.corpus.sample(prng)
        if face.missing and not set(face.missing).isdisjoint(text):   # e.g. '€' in a face without it
            able = [f for f in self.faces if set(f.missing).isdisjoint(text)]
            face = prng.choices(able, [f.weight for f in able])[0]
        return render_crop(text, face, self.mix, rng), text
