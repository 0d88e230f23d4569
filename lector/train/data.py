"""Training batches: crops bucketed by width, synthetic and real mixed by a ratio, resumable by step."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from lector.recognize.charset import encode
from lector.recognize.preprocess import paper_after

CAMERA_BLUR = (0.3, 0.9)     # optics blur of real crops imaged small (Gaussian sigma at that size, px)


class CropSet:
    """In-memory normalised crops (uint8, 32 x W) with labels, batched by similar width."""

    def __init__(self, crops: list[np.ndarray], labels: list[str], charset: str, batch_size: int):
        keep = [i for i, t in enumerate(labels) if all(ch in charset for ch in t)]
        self.crops = [crops[i] for i in keep]
        self.labels = [labels[i] for i in keep]
        self.targets = [encode(t, charset) for t in self.labels]
        self.batch_size = batch_size
        order = np.argsort([c.shape[1] for c in self.crops], kind="stable")
        self.buckets = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]

    def __len__(self) -> int:
        return len(self.crops)

    def batch_order(self, seed: int, epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([seed, epoch])
        return [self.buckets[i] for i in rng.permutation(len(self.buckets))]

    def collate(self, indices, rng: np.random.Generator | None = None, jitter: float = 0.0,
                extra_width: float = 0.0, camera: float = 0.0, camera_blur: tuple[float, float] = CAMERA_BLUR,
                camera_motion: float = 0.0, strokes: float = 0.0
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A padded batch; with `rng`, each crop is re-drawn by `jitter_crop` with probability `jitter`,
        given other strokes by `restroke_crop` with probability `strokes` and photographed small by
        `camera_crop` (`camera_blur`, `camera_motion`) with probability `camera`.
        `extra_width` widens the batch by that share of its widest crop, padded with background."""
        crops = [self.crops[i] for i in indices]
        if rng is not None and jitter > 0:
            crops = [jitter_crop(c, rng) if rng.random() < jitter else c for c in crops]
        if rng is not None and strokes > 0:
            crops = [restroke_crop(c, rng) if rng.random() < strokes else c for c in crops]
        if rng is not None and camera > 0:
            crops = [camera_crop(c, rng, camera_blur, camera_motion) if rng.random() < camera else c for c in crops]
        width = max(c.shape[1] for c in crops)
        width += int(width * extra_width) // 4 * 4
        images = np.empty((len(crops), 1, crops[0].shape[0], width), np.float32)
        for k, crop in enumerate(crops):
            images[k, 0, :, : crop.shape[1]] = crop / 255.0
            images[k, 0, :, crop.shape[1]:] = paper_after(crop) / 255.0
        targets = [self.targets[i] for i in indices]
        flat = torch.tensor([c for t in targets for c in t], dtype=torch.long)
        target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
        input_lengths = torch.tensor([c.shape[1] // 4 for c in crops], dtype=torch.long)
        return torch.from_numpy(images), flat, input_lengths, target_lengths


def jitter_crop(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same line as another detector or camera might have framed it.

    Real crops are few (8k SROIE lines) and were cut by one fixed rule from their truth boxes;
    at reading time the detector's boxes sit a few pixels off, the print is lighter or darker and
    the scan softer. Re-drawing the frame, the width, the exposure and the sharpness each time a
    crop is drawn keeps the net from learning the exact pixels of those 8k lines.
    """
    height = crop.shape[0]
    out = crop
    # width: a little narrower or wider print (keeps at least 8 px)
    scale = rng.uniform(0.85, 1.15)
    out = cv2.resize(out, (max(8, round(out.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    # frame: a few pixels trimmed from or added to each side, and a small vertical shift
    background = int(np.median(np.concatenate([out[:, :2].ravel(), out[:, -2:].ravel()])))
    left, right = (int(v) for v in rng.integers(-3, 5, size=2))
    if left < 0 and out.shape[1] + left > 8:
        out = out[:, -left:]
    if right < 0 and out.shape[1] + right > 8:
        out = out[:, :right]
    out = cv2.copyMakeBorder(out, 0, 0, max(0, left), max(0, right), cv2.BORDER_CONSTANT, value=background)
    shift = int(rng.integers(-2, 3))
    if shift:
        out = cv2.warpAffine(out, np.float32([[1, 0, 0], [0, 1, shift]]), (out.shape[1], height),
                             borderMode=cv2.BORDER_REPLICATE)
    # light: contrast and brightness, then sometimes blur and sensor noise
    pixels = out.astype(np.float32)
    mean = pixels.mean()
    pixels = (pixels - mean) * rng.uniform(0.6, 1.2) + mean + rng.uniform(-25, 25)
    if rng.random() < 0.25:
        pixels = cv2.GaussianBlur(pixels, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < 0.3:
        pixels += rng.normal(0, rng.uniform(2, 10), pixels.shape).astype(np.float32)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def restroke_crop(crop: np.ndarray, rng: np.random.Generator, weight: int | None = None,
                  slant: float | None = None) -> np.ndarray:
    """The same words in a bolder or lighter cut of the font, upright or slanted.

    The net's misses on unseen receipts are mostly one glyph in a face it has not met (a
    dot-matrix D read C, a bold 6 read 5); the real crops come from a few hundred documents, so
    their faces are few. Strokes grow or thin by about half a pixel (a 2x2 or 3x3 min or max
    filter at twice the size) and the text leans by up to 0.2 of its height (0.1 back), as italic and
    condensed receipt faces do. `weight` +1 bolder, -1 lighter, 0 unchanged (None: drawn);
    `slant` the shear (None: drawn, upright half the time).
    """
    height, width = crop.shape
    weight = int(rng.integers(-1, 2)) if weight is None else weight
    if slant is None:
        slant = float(rng.uniform(-0.1, 0.2)) if rng.random() < 0.5 else 0.0
    big = cv2.resize(crop, (width * 2, height * 2), interpolation=cv2.INTER_LINEAR)
    if weight:
        kernel = np.ones((int(rng.integers(2, 4)),) * 2, np.uint8)
        big = cv2.erode(big, kernel) if weight > 0 else cv2.dilate(big, kernel)   # ink is dark: min = bolder
    if slant:
        background = int(np.median(np.concatenate([big[:, :2].ravel(), big[:, -2:].ravel()])))
        reach = int(np.ceil(abs(slant) * height))           # half the lean of the doubled height
        big = cv2.copyMakeBorder(big, 0, 0, reach, reach, cv2.BORDER_CONSTANT, value=background)
        shear = np.float32([[1, -slant, slant * height], [0, 1, 0]])    # leans right about the middle row
        big = cv2.warpAffine(big, shear, (big.shape[1], big.shape[0]), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=background)
    return cv2.resize(big, (max(8, big.shape[1] // 2), height), interpolation=cv2.INTER_AREA)


def camera_crop(crop: np.ndarray, rng: np.random.Generator, blur: tuple[float, float] = CAMERA_BLUR,
                motion: float = 0.0) -> np.ndarray:
    """The same line as a phone would image it from across the table: 16-28 px tall, blurred,
    noised and JPEG-compressed at that size (synth.render.camera). Real receipt and form lines
    are scans; photos of the same print lose the few pixels per stroke that the scans keep.
    Gentler by default than the synthetic range (12-24 px, sigma to 1.1): a real crop's text fills
    more of its height, and a line made illegible would only teach the net to guess. `blur` widens
    the range and `motion` shakes that share of crops (a streak of 8-20 % of the crop's height):
    held-out FUNSD words blurred at sigma 1.2 (still legible) read 0.65 with v11, 0.82 sharp."""
    from lector.synth.render import camera, motion_blur
    height = rng.uniform(16.0, 28.0)
    sigma = min(rng.uniform(*blur), 0.07 * height)    # legible still: at most 1.1 px at 16 px tall
    image = crop.astype(np.float32)
    if motion > 0 and rng.random() < motion:
        image = motion_blur(image, rng.uniform(0.08, 0.2) * crop.shape[0], rng)
    return np.clip(camera(image, height, sigma, rng), 0, 255).astype(np.uint8)


class OnTheFlySet:
    """Synthetic batches rendered when training asks for them (`lector.synth.stream`), no shards.

    Draw k is a pure function of (the stream's seed, k), so a resumed run sees the same batches.
    Samples are made a block of `block` batches at a time and bucketed by width within the
    block, as shard-backed batches are bucketed within the whole set.
    """

    def __init__(self, stream, charset: str, batch_size: int, block: int = 8):
        self.stream, self.charset, self.batch_size, self.block = stream, charset, batch_size, block
        self._cached: tuple[int, CropSet] | None = None

    def batch(self, k: int, extra_width: float = 0.0):
        block_no, j = divmod(k, self.block)
        if self._cached is None or self._cached[0] != block_no:
            size = self.batch_size * self.block
            crops, labels = self.stream.crops_for(range(block_no * size, (block_no + 1) * size))
            self._cached = (block_no, CropSet(crops, labels, self.charset, self.batch_size))
        crop_set = self._cached[1]
        return crop_set.collate(crop_set.buckets[j % len(crop_set.buckets)], extra_width=extra_width)


class BatchStream:
    """Batch number `step` is a pure function of (seed, step): exact resume after a kill."""

    def __init__(self, synth: CropSet | OnTheFlySet, real: CropSet | None, real_ratio: float, seed: int,
                 total_steps: int, real_jitter: float = 0.0, pad_jitter: float = 0.0, real_camera: float = 0.0,
                 camera_blur: tuple[float, float] = CAMERA_BLUR, camera_motion: float = 0.0, synth_camera: float = 0.0,
                 real_strokes: float = 0.0):
        self.synth, self.real, self.seed, self.real_jitter = synth, real, seed, real_jitter
        self.real_strokes = real_strokes
        self.pad_jitter, self.real_camera = pad_jitter, real_camera
        self.camera_blur, self.camera_motion, self.synth_camera = tuple(camera_blur), camera_motion, synth_camera
        ratio = real_ratio if real is not None else 0.0
        self.use_real = np.random.default_rng([seed, 12345]).random(total_steps + 1) < ratio
        # k-th draw from each source: count of earlier steps that drew from the same source
        self.source_index = np.where(self.use_real, np.cumsum(self.use_real) - 1, np.cumsum(~self.use_real) - 1)
        self._orders: dict[tuple[str, int], list[np.ndarray]] = {}

    def _pick(self, name: str, crop_set: CropSet, k: int, extra_width: float):
        epoch, offset = divmod(k, len(crop_set.buckets))
        key = (name, epoch)
        if key not in self._orders:
            self._orders = {kk: v for kk, v in self._orders.items() if kk[0] != name}
            self._orders[key] = crop_set.batch_order(self.seed + (7 if name == "real" else 0), epoch)
        if name == "real" and (self.real_jitter > 0 or self.real_camera > 0 or self.real_strokes > 0):
            rng = np.random.default_rng([self.seed, 99, k])     # draw k jitters the same way on resume
            return crop_set.collate(self._orders[key][offset], rng, self.real_jitter, extra_width, self.real_camera,
                                    self.camera_blur, self.camera_motion, self.real_strokes)
        if name == "synth" and self.synth_camera > 0:
            rng = np.random.default_rng([self.seed, 98, k])
            return crop_set.collate(self._orders[key][offset], rng, 0.0, extra_width, self.synth_camera,
                                    self.camera_blur, self.camera_motion)
        return crop_set.collate(self._orders[key][offset], extra_width=extra_width)

    def extra_width(self, step: int) -> float:
        """How much wider than its widest crop batch `step` is padded (a share; mostly 0).

        Batched inference pads each crop to the widest of its batch, and the backward LSTM reads
        that padding before the text. Bucketed training batches hold crops of nearly one width,
        so without this a net can learn to rely on the crop ending where the batch does: model
        v5 read held-out SROIE lines 0.867 right alone, 0.753 padded by a quarter, 0.47 by 1x.
        """
        rng = np.random.default_rng([self.seed, 77, step])
        return float(rng.uniform(0.0, 1.0)) if rng.random() < self.pad_jitter else 0.0

    def batch(self, step: int):
        step = min(step, len(self.use_real) - 1)
        k = int(self.source_index[step])
        extra = self.extra_width(step)
        if self.use_real[step]:
            return self._pick("real", self.real, k, extra)
        if isinstance(self.synth, OnTheFlySet):
            return self.synth.batch(k, extra)
        return self._pick("synth", self.synth, k, extra)
