"""The Word Deep Net at inference: ONNX Runtime on CPU, batched by width, CTC decoding.

The model file describes itself (charset, input height, time stride and the confidence
calibration in its metadata), so the loader hard-codes none of them. No torch here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from lector.core.errors import ModelError
from lector.recognize.calibration import Calibration
from lector.recognize.ctc import Reading, beam_reading, greedy_decode
from lector.recognize.preprocess import TIME_STRIDE, batch_crops, normalise_crop, paper_after

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "wordnet.onnx"
# The looks a doubtful crop gets with `second_look=SECOND_LOOK`: 1.2x wider; 1.1x wider with 8 px
# of paper after it (in steps of the net's time stride, at its input height).
SECOND_LOOK: tuple[tuple[float, int], ...] = ((1.2, 0), (1.1, 2))


@dataclass(frozen=True)
class RecognizerConfig:
    model_path: Path = DEFAULT_MODEL
    threads: int = 2
    batch_width_budget: int = 16384     # sum of padded widths per ONNX call: bounds memory
    max_padding: float | None = 0.25    # a crop shares a batch only with crops at most this much wider (None: any)
    decoder: str = "greedy"             # or "beam": prefix beam search (slower; see bench)
    beam_width: int = 8
    calibrated: bool = True             # map confidences through the card's calibration (False: raw)
    # A doubtful crop (raw confidence under `second_look_below`) is read again as each of these
    # (width scale, steps of paper after it), and the most confident reading is kept. Off by
    # default: single word crops gain (v11, held-out SROIE words 0.933 -> 0.943) but pages do
    # not (their crops already end in half a text height of page, and the lexicon repair
    # mends the same words), and reading takes about a third longer (README).
    second_look: tuple[tuple[float, int], ...] = ()
    second_look_below: float = 0.8      # raw: about a quarter of word crops (v11, SROIE and FUNSD words)
    second_look_margin: float = 0.1     # a look replaces the reading kept only if this much more confident (raw)


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

    def _decode_raw(self, log_probs: np.ndarray, steps: int, paper: int = 0) -> Reading:
        """One crop's reading, raw confidence, from its `steps` steps, then `paper` steps of
        paper added after it and the net's own tail."""
        tail = paper + self.tail_steps
        if self.config.decoder == "beam":
            return beam_reading(log_probs, steps + tail, self.charset, self.config.beam_width, tail)
        return greedy_decode(log_probs, steps + tail, self.charset, tail)

    def _calibrated(self, reading: Reading) -> Reading:
        """The reading with its confidence calibrated where the model card says how."""
        return replace(reading, confidence=float(self.calibration(reading.confidence)))

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        """Read grey uint8 crops of any size; results in input order.

        With `second_look`, a crop the net reads with doubt is read again stretched wider and
        with paper after it, keeping the most confident reading. The net reads many
        receipt faces better a little wider than the crop's own aspect, and a last narrow mark
        better with page after it; the confidence picks the look that fits. A look must be
        clearly more confident (`second_look_margin`): the best of three guesses at a crease
        is a confident guess, and photos gained false words without it. Held-out SROIE words,
        v11: 0.933 read once, 0.943 with a second look at a quarter of them (README).
        """
        if not crops:
            return []
        normalised = [normalise_crop(c, self.input_height) for c in crops]
        readings = self._read_normalised(normalised)
        for scale, paper in self.config.second_look:
            doubtful = [i for i, r in enumerate(readings) if r.confidence < self.config.second_look_below]
            if not doubtful:
                break
            again = self._read_normalised([look_again(normalised[i], scale, paper) for i in doubtful], paper)
            for i, reading in zip(doubtful, again):
                if reading.confidence > readings[i].confidence + self.config.second_look_margin:
                    readings[i] = reading
        return [self._calibrated(r) for r in readings]

    def _read_normalised(self, normalised: list[np.ndarray], paper: int = 0) -> list[Reading]:
        """Raw readings of normalised crops whose last `paper` steps are paper added after them.

        Crops are read in batches of similar width: each is padded to the widest of its batch,
        and the backward LSTM reads that padding before the text, so a short word batched with
        long lines reads worse (`max_padding`).
        """
        order = np.argsort([c.shape[1] for c in normalised], kind="stable")
        readings: list[Reading | None] = [None] * len(normalised)
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
                readings[i] = self._decode_raw(out[:, k, :], int(steps[k]) - paper, paper)
            start = end
        return readings  # type: ignore[return-value]


def look_again(crop: np.ndarray, scale: float, paper: int) -> np.ndarray:
    """A normalised crop stretched `scale` times wider (to whole steps), then `paper` steps of
    its own background after it. Its reading's steps cover the stretched crop, so the
    Wordinator's step-to-pixel scale (crop width / crop steps) still lands on the crop's ink."""
    height, width = crop.shape
    if scale != 1.0:
        wide = max(TIME_STRIDE, int(round(width * scale / TIME_STRIDE)) * TIME_STRIDE)
        crop = cv2.resize(crop, (wide, height), interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
    if paper:
        crop = np.concatenate([crop, np.full((height, paper * TIME_STRIDE), paper_after(crop), np.float32)], axis=1)
    return crop
