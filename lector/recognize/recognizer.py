"""The Word Deep Net at inference: ONNX Runtime on CPU, batched by width, CTC decoding.

The model file describes itself (charset, input height, time stride and the confidence
calibration in its metadata), so the loader hard-codes none of them. No torch here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lector.core.errors import ModelError
from lector.recognize.calibration import Calibration
from lector.recognize.ctc import Reading, beam_reading, greedy_decode
from lector.recognize.preprocess import batch_crops, normalise_crop

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "wordnet.onnx"


@dataclass(frozen=True)
class RecognizerConfig:
    model_path: Path = DEFAULT_MODEL
    threads: int = 2
    batch_width_budget: int = 16384     # sum of padded widths per ONNX call: bounds memory
    max_padding: float | None = 0.25    # a crop shares a batch only with crops at most this much wider (None: any)
    decoder: str = "greedy"             # or "beam": prefix beam search (slower; see bench)
    beam_width: int = 8
    calibrated: bool = True             # map confidences through the card's calibration (False: raw)


class Recognizer:
    def __init__(self, config: RecognizerConfig = RecognizerConfig()):
        import onnxruntime as ort
        path = Path(config.model_path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}", str(path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot load ONNX model ({exc.__class__.__name__})", str(path)) from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        if "charset" not in meta:
            raise ModelError("model has no charset in its metadata", str(path))
        self.charset = meta["charset"]
        self.input_height = int(meta.get("input_height", 32))
        self.time_stride = int(meta.get("time_stride", 4))
        # steps of paper the net appends after each crop (its architecture says; older nets none)
        self.tail_steps = int(json.loads(meta.get("architecture", "{}")).get("tail_steps", 0))
        self.card = json.loads(meta.get("card", "{}"))
        self.calibration = Calibration.from_card(self.card) if config.calibrated else Calibration()
        self.config = config
        if config.decoder not in ("greedy", "beam"):
            raise ValueError(f"unknown decoder {config.decoder!r} (greedy, beam)")

    def log_probs(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, H, W) float32 -> (T, N, C) log-probabilities."""
        return self.session.run(None, {"images": batch})[0]

    def decode(self, log_probs: np.ndarray, steps: int) -> Reading:
        """One crop's reading from its `steps` steps and the net's tail after them; its
        confidence calibrated where the model card says how."""
        steps += self.tail_steps
        if self.config.decoder == "beam":
            reading = beam_reading(log_probs, steps, self.charset, self.config.beam_width, self.tail_steps)
        else:
            reading = greedy_decode(log_probs, steps, self.charset, self.tail_steps)
        return replace(reading, confidence=float(self.calibration(reading.confidence)))

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        """Read grey uint8 crops of any size; results in input order.

        Crops are read in batches of similar width: each is padded to the widest of its batch,
        and the backward LSTM reads that padding before the text, so a short word batched with
        long lines reads worse (`max_padding`).
        """
        if not crops:
            return []
        normalised = [normalise_crop(c, self.input_height) for c in crops]
        order = np.argsort([c.shape[1] for c in normalised], kind="stable")
        readings: list[Reading | None] = [None] * len(crops)
        start = 0
        while start < len(order):
            end = start + 1
            narrowest = normalised[order[start]].shape[1]
            widest = narrowest * (1 + self.config.max_padding) if self.config.max_padding is not None else np.inf
            while end < len(order):
                width = normalised[order[end]].shape[1]
                if width * (end - start + 1) > self.config.batch_width_budget or width > widest:
                    break
                end += 1
            idx = order[start:end]
            batch, steps = batch_crops([normalised[i] for i in idx])
            out = self.log_probs(batch)
            for k, i in enumerate(idx):
                readings[i] = self.decode(out[:, k, :], int(steps[k]))
            start = end
        return readings  # type: ignore[return-value]
