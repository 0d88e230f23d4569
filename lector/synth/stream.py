"""Crops made on the fly: the trainer asks for sample indices and gets network-ready crops.

Sample i is a function of (seed, i) alone, so a trainer can draw any index range, in any order,
on any number of worker processes, and get the same crops and labels as from shards written with
the same seed and mix (`lector.synth.shards` stores exactly `input_crop(grey)`), without the disk.

    stream = OnTheFlyCrops(seed=7, workers=2)
    crops, labels = stream.crops_for(range(0, 256))   # uint8 (32, W) crops, W a multiple of 4
    ...
    stream.close()
"""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable

import numpy as np

from lector.recognize.preprocess import INPUT_HEIGHT, normalise_crop
from lector.synth.render import CropGenerator, DistortionMix

_WORKER: tuple[CropGenerator, int] | None = None   # this worker process's generator and crop height


def input_crop(grey: np.ndarray, height: int = INPUT_HEIGHT) -> np.ndarray:
    """A rendered grey crop as the net takes it, stored as uint8: normalised to `height`."""
    return (normalise_crop(grey, height) * 255).astype(np.uint8)


def _init_worker(generator: CropGenerator, height: int) -> None:
    global _WORKER
    import cv2
    cv2.setNumThreads(1)   # one process per core already; OpenCV's own threads would oversubscribe
    _WORKER = (generator, height)


def _make(indices: list[int]) -> tuple[list[np.ndarray], list[str]]:
    assert _WORKER is not None, "worker not initialised"
    generator, height = _WORKER
    return render_inputs(generator, indices, height)


def render_inputs(generator: CropGenerator, indices: Iterable[int],
                  height: int = INPUT_HEIGHT) -> tuple[list[np.ndarray], list[str]]:
    """Samples `indices` of `generator` as network inputs (what shards store and the stream returns)."""
    crops, labels = [], []
    for index in indices:
        grey, text = generator.sample(int(index))
        crops.append(input_crop(grey, height))
        labels.append(text)
    return crops, labels


class OnTheFlyCrops:
    """Normalised crops and labels for any sample indices, made now, deterministic per index.

    `workers=0` renders in the calling process; `workers=n` keeps a pool of n processes (started
    with `start_method`, 'spawn' by default: safe in a trainer that has already started torch's
    threads) that each hold a copy of the generator. Results come back in the order asked.
    """

    def __init__(self, seed: int = 0, mix: DistortionMix = DistortionMix(), workers: int = 0,
                 generator: CropGenerator | None = None, height: int = INPUT_HEIGHT,
                 chunk: int = 64, start_method: str = "spawn") -> None:
        if generator is None:
            from lector.synth.corpus import Corpus
            from lector.synth.fonts import load_collection
            faces, _ = load_collection()
            generator = CropGenerator(Corpus.load(), faces, mix=mix, seed=seed)
        self.generator, self.height, self.chunk, self.workers = generator, height, chunk, workers
        self._pool = None
        if workers > 0:
            self._pool = mp.get_context(start_method).Pool(workers, _init_worker, (generator, height))

    @property
    def seed(self) -> int:
        return self.generator.seed

    def crops_for(self, indices: Iterable[int]) -> tuple[list[np.ndarray], list[str]]:
        """(crops, labels) for `indices`, in that order: uint8 (height, W) crops, W a multiple of 4."""
        indices = [int(i) for i in indices]
        if self._pool is None or len(indices) <= self.chunk:
            return render_inputs(self.generator, indices, self.height)
        parts = [indices[k: k + self.chunk] for k in range(0, len(indices), self.chunk)]
        crops, labels = [], []
        for part_crops, part_labels in self._pool.imap(_make, parts):
            crops += part_crops
            labels += part_labels
        return crops, labels

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "OnTheFlyCrops":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
