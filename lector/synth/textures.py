"""Procedural surface textures for paper and for empty crops: no image files, any size, seeded.

Receipts are photographed on wooden tables, marble and granite counters and cloth, and printed on
paper with its own grain. Each texture is a zero-mean float field of about unit standard deviation;
the caller scales it to grey levels. Built from low-resolution noise grids resized up with cubic
interpolation (cheap at word-crop sizes, a few tens of microseconds).
"""
from __future__ import annotations

import cv2
import numpy as np

TEXTURES = ("paper", "wood", "marble", "fabric", "countertop")


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean noise whose features are about `scale` pixels across."""
    h, w = shape
    gh, gw = max(2, int(h / max(scale, 1.0)) + 2), max(2, int(w / max(scale, 1.0)) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _turbulence(shape: tuple[int, int], scale: float, rng: np.random.Generator, octaves: int = 3) -> np.ndarray:
    field = np.zeros(shape, np.float32)
    for octave in range(octaves):
        field += smooth_noise(shape, scale / 2 ** octave, rng) / 2 ** octave
    return field


def _unit(field: np.ndarray) -> np.ndarray:
    field = field - field.mean()
    return field / (field.std() + 1e-6)


def texture(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A zero-mean, unit-std float32 field of the named texture (one of TEXTURES)."""
    h, w = shape
    if kind == "paper":   # fibre grain at two scales, slightly stretched along the web direction
        grain = smooth_noise((h, max(1, w // 2)), rng.uniform(0.8, 2.0), rng)
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR)
        return _unit(grain + 0.7 * smooth_noise(shape, rng.uniform(6, 20), rng))
    if kind == "wood":    # growth rings bent by turbulence, with fine grain along them
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        theta = rng.uniform(-0.3, 0.3) + (np.pi / 2 if rng.random() < 0.3 else 0.0)
        along = y * np.cos(theta) + x * np.sin(theta)
        period = rng.uniform(4, 14)
        rings = np.sin(2 * np.pi * along / period + 2.5 * _turbulence(shape, rng.uniform(10, 30), rng, 2))
        return _unit(rings ** 3 + 0.3 * smooth_noise(shape, 1.2, rng))
    if kind == "marble":  # dark veins: where a turbulent sine crosses zero
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        fx, fy = rng.uniform(-0.15, 0.15, 2)
        phase = x * fx + y * fy + rng.uniform(3, 7) * _turbulence(shape, rng.uniform(8, 25), rng)
        veins = 1.0 - np.abs(np.sin(phase)) ** rng.uniform(0.15, 0.4)
        return _unit(-veins + 0.2 * smooth_noise(shape, rng.uniform(10, 30), rng))
    if kind == "fabric":  # a weave: alternating over/under threads, uneven yarn
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        pitch = rng.uniform(2.5, 6)
        warp, weft = np.sin(2 * np.pi * x / pitch), np.sin(2 * np.pi * y / pitch)
        checker = np.sign(np.sin(np.pi * x / pitch) * np.sin(np.pi * y / pitch))
        weave = np.where(checker > 0, warp, weft) + 0.4 * smooth_noise(shape, rng.uniform(3, 8), rng)
        return _unit(weave)
    if kind == "countertop":  # granite / terrazzo: speckles of several tones on a mottled base
        base = 0.6 * smooth_noise(shape, rng.uniform(6, 20), rng)
        speckle = rng.random(shape).astype(np.float32)
        density = rng.uniform(0.02, 0.12)
        dots = np.where(speckle < density, -2.5, np.where(speckle > 1 - density / 2, 1.8, 0.0)).astype(np.float32)
        if rng.random() < 0.5:
            dots = cv2.dilate(dots, np.ones((2, 2), np.uint8)) + cv2.erode(dots, np.ones((2, 2), np.uint8))
        return _unit(base + cv2.GaussianBlur(dots, (0, 0), 0.6))
    raise ValueError(f"unknown texture {kind!r} (known: {', '.join(TEXTURES)})")
