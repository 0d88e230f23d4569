"""Render one labelled word crop: text in a font, on paper, through seeded distortions.

A crop is cut the way the detector cuts one (ink box plus a margin), so training inputs look
like inference inputs. The output is a grey uint8 image of any height; the recognizer's own
`normalise_crop` brings it to the input height, exactly as at inference.
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


@dataclass(frozen=True)
class DistortionMix:
    """Probability of each distortion; the defaults are the v1 mix the shipped model saw."""

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


@lru_cache(maxsize=2048)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _text_mask(text: str, face: FontFace, size: int) -> np.ndarray:
    """Float mask (1 = ink) of `text`, with a generous canvas so nothing is clipped."""
    font = _font(face.path, size)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = size // 2
    canvas = Image.new("L", (max(1, x1 - x0) + 2 * pad, max(1, y1 - y0) + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x0, pad - y0), text, font=font, fill=255)
    return np.asarray(canvas, np.float32) / 255.0


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


def _paper(shape: tuple[int, int], level: float, rng: np.random.Generator, shadow: bool) -> np.ndarray:
    h, w = shape
    paper = np.full(shape, level, np.float32)
    paper += rng.normal(0, rng.uniform(0, 6), (1, 1)).astype(np.float32)
    if shadow:
        ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :] if rng.random() < 0.5 else \
            np.linspace(0, 1, h, dtype=np.float32)[:, None]
        paper -= ramp * rng.uniform(20, 90) * rng.choice([1, -1]) + 0
    return paper


def render_crop(text: str, face: FontFace, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    """A grey uint8 crop of `text` (empty text gives a negative crop)."""
    if not text:
        return render_negative(face, rng)
    size = int(rng.integers(20, 48))
    drawn = text.replace(" ", " " * int(rng.integers(2, 4))) if rng.random() < mix.wide_spaces else text
    mask = _text_mask(drawn, face, size)
    if rng.random() < mix.bold_ink:
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    if rng.random() < mix.dot_matrix:
        mask = _dot_matrix(mask, size, rng)
    elif rng.random() < mix.thermal_stipple:
        mask = _stipple(mask, rng)
    ys, xs = np.nonzero(mask > 0.2)
    if len(ys) == 0:
        return render_negative(face, rng)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
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
    image = paper * (1 - mask) + ink_level * mask
    return _photometric(image, mix, rng)


def _photometric(image: np.ndarray, mix: DistortionMix, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape
    if rng.random() < mix.rotate:
        angle = rng.uniform(-mix.max_rotation_deg, mix.max_rotation_deg)
        shear = rng.uniform(-0.15, 0.15) if rng.random() < 0.3 else 0.0
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        m[0, 1] += shear
        image = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < mix.blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.4))
    if rng.random() < mix.low_resolution:
        target_h = int(rng.integers(11, 24))
        if target_h < h:
            small = cv2.resize(image, (max(1, int(w * target_h / h)), target_h), interpolation=cv2.INTER_AREA)
            image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < mix.noise:
        image = image + rng.normal(0, rng.uniform(2, 14), image.shape)
    if rng.random() < mix.invert:
        image = 255 - image
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < mix.jpeg:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def render_negative(face: FontFace, rng: np.random.Generator) -> np.ndarray:
    """A crop with no text: texture, noise, rules, shapes or a sliver cut off a line of text."""
    h = int(rng.integers(20, 60))
    w = int(h * rng.uniform(0.5, 8))
    kind = rng.integers(0, 4)
    base = rng.uniform(120, 255)
    if kind == 0:   # procedural texture: blurred noise at a random scale, maybe grain stripes
        tex = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), rng.uniform(0.5, 6))
        tex = tex / (tex.std() + 1e-6) * rng.uniform(5, 40)
        if rng.random() < 0.5:
            tex += 20 * np.sin(np.arange(w)[None, :] / rng.uniform(2, 12) + tex / 30)
        image = base + tex
    elif kind == 1:  # rules and table lines
        image = np.full((h, w), base, np.float32)
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5:
                y = int(rng.integers(0, h))
                image[y: y + int(rng.integers(1, 4)), :] = rng.uniform(0, 100)
            else:
                x = int(rng.integers(0, w))
                image[:, x: x + int(rng.integers(1, 4))] = rng.uniform(0, 100)
    elif kind == 2:  # blobs, like logos or stains
        image = np.full((h, w), base, np.float32)
        for _ in range(int(rng.integers(1, 4))):
            cv2.ellipse(image, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                        (int(rng.integers(2, max(3, w // 3))), int(rng.integers(2, max(3, h // 2)))),
                        float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0, 100)), -1)
    else:            # the top or bottom sliver of a text line: ink but no readable character
        mask = _text_mask("".join(rng.choice(list("ABCDEFGHKMNPRSTWXYZ0123456789"), 6)), face, 40)
        ys = np.nonzero(mask.max(axis=1) > 0.2)[0]
        if len(ys) > 8:
            cut = int(len(ys) * rng.uniform(0.1, 0.22))
            rows = ys[:cut] if rng.random() < 0.5 else ys[-cut:]
            mask = mask[rows.min(): rows.max() + 1]
        image = base * (1 - mask) + rng.uniform(0, 80) * mask
        image = cv2.resize(image, (image.shape[1], max(h, image.shape[0] * 3)))
    return _photometric(image.astype(np.float32), DistortionMix(), rng)


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
        return render_crop(text, face, self.mix, rng), text
