"""The word net at inference: CTC decoding, ONNX/PyTorch parity, a model that describes itself."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from lector.core.errors import ModelError
from lector.recognize.charset import DEFAULT_CHARSET
from lector.recognize.ctc import greedy_decode
from lector.recognize.preprocess import batch_crops, normalise_crop
from lector.recognize.recognizer import Recognizer, RecognizerConfig


def _log_probs(path: list[int], classes: int = 5, p: float = 0.9) -> np.ndarray:
    lp = np.full((len(path), classes), np.log((1 - p) / (classes - 1)), np.float32)
    lp[np.arange(len(path)), path] = np.log(p)
    return lp


def test_greedy_decode_collapses_repeats_and_keeps_spans():
    # classes: 0 blank, 1 'a', 2 'b', 3 ' ' ; "aa-b b" with a blank separating a repeated 'b'
    charset = "ab "
    reading = greedy_decode(_log_probs([1, 1, 0, 2, 3, 2, 0, 2, 0]), steps=9, charset=charset)
    assert reading.text == "ab bb"
    assert [(c.char, c.t_start, c.t_end) for c in reading.chars] == [
        ("a", 0, 1), ("b", 3, 3), (" ", 4, 4), ("b", 5, 5), ("b", 7, 7)]
    assert 0.85 < reading.confidence <= 0.9 + 1e-6


def test_decode_ignores_padding_steps_and_confidence_drops_with_doubt():
    charset = "ab "
    sure = greedy_decode(_log_probs([1, 0, 2, 1, 1]), steps=3, charset=charset)
    assert sure.text == "ab"
    doubtful = greedy_decode(_log_probs([1, 0, 2], p=0.4), steps=3, charset=charset)
    assert doubtful.text == "ab" and doubtful.confidence < sure.confidence - 0.3


def test_normalise_crop_height_width_and_contrast():
    crop = np.full((64, 200), 200, np.uint8)
    crop[20:40, 30:170] = 60
    out = normalise_crop(crop)
    assert out.shape == (32, 100) and out.dtype == np.float32
    assert out.min() == pytest.approx(0.0) and out.max() == pytest.approx(1.0)
    batch, steps = batch_crops([out, normalise_crop(crop[:, :80])])
    assert batch.shape == (2, 1, 32, 100) and list(steps) == [25, 10]


def test_onnx_matches_pytorch_on_random_inputs(tiny_model):
    model, path = tiny_model
    recognizer = Recognizer(RecognizerConfig(model_path=path, threads=1))
    rng = np.random.default_rng(0)
    for batch_size, width in ((1, 16), (3, 64), (5, 200)):
        images = rng.random((batch_size, 1, 32, width), dtype=np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(images)).numpy()
        got = recognizer.log_probs(images)
        assert got.shape == expected.shape == (width // 4, batch_size, len(DEFAULT_CHARSET) + 1)
        assert np.abs(got - expected).max() < 1e-4



def test_paper_zero_frames_the_crop_in_paper_and_converts_older_weights(tiny_model):
    import copy
    from dataclasses import replace

    from lector.train.model import WordNet, shift_to_paper_zero

    model = copy.deepcopy(tiny_model[0])
    torch.manual_seed(1)
    for norm in (m for m in model.cnn if isinstance(m, torch.nn.BatchNorm2d)):   # stats as after training
        norm.running_mean.uniform_(-0.5, 0.5)
        norm.running_var.uniform_(0.5, 2.0)
    shifted = WordNet(replace(model.config, paper_zero=True)).eval()
    shifted.load_state_dict(shift_to_paper_zero(model.state_dict()))
    paper = torch.ones(1, 1, 32, 64)
    with torch.no_grad():
        first = slice(0, 3)     # the first convolution, its BatchNorm and ReLU
        old, new = model.cnn[first](paper)[0], shifted.cnn[first](paper - 1.0)[0]
        # blank paper: the same first features at the edges as inside only when the padding is paper
        assert (new - new[:, 16:17, 32:33]).abs().max() < 1e-5
        assert (old - old[:, 16:17, 32:33]).abs().max() > 1e-3
        words = torch.rand(2, 1, 32, 96)
        # away from the edges the first layer computes what it did (deeper layers see the
        # crop's top and bottom rows everywhere: the converted net needs some training)
        inside = (..., slice(1, -1), slice(1, -1))
        assert torch.allclose(model.cnn[first](words)[inside], shifted.cnn[first](words - 1.0)[inside], atol=1e-5)
        assert shifted(words).shape == model(words).shape


def test_recognizer_reads_metadata_and_keeps_input_order(tiny_model):
    _, path = tiny_model
    recognizer = Recognizer(RecognizerConfig(model_path=path))
    assert recognizer.charset == DEFAULT_CHARSET and recognizer.input_height == 32
    crops = [np.full((20, w), 255, np.uint8) for w in (300, 40, 120)]
    readings = recognizer.read(crops)
    assert [r.steps for r in readings] == [normalise_crop(c).shape[1] // 4 for c in crops]


def test_a_doubtful_crop_keeps_its_most_confident_look(tiny_model):
    """`second_look`: a crop read under `second_look_below` is read again stretched and with
    paper after it; the most confident reading is kept, with steps that still span the crop
    (stretched: more steps over the same ink) and the added paper counted as its tail."""
    from lector.recognize.recognizer import look_again
    _, path = tiny_model
    rng = np.random.default_rng(2)
    crops = [rng.integers(0, 256, (24, w), dtype=np.uint8) for w in (60, 90, 150)]
    once = Recognizer(RecognizerConfig(model_path=path, calibrated=False, second_look=())).read(crops)
    looks = ((1.2, 0), (1.1, 2))
    recognizer = Recognizer(RecognizerConfig(model_path=path, calibrated=False, second_look=looks,
                                             second_look_below=1.01, second_look_margin=0.0))
    kept = recognizer.read(crops)
    for i, crop in enumerate(crops):
        norm = normalise_crop(crop)
        stretched, padded = (recognizer._read_normalised([look_again(norm, scale, paper)], paper)[0]
                             for scale, paper in looks)
        best = max([once[i], stretched, padded], key=lambda r: r.confidence)
        assert kept[i].confidence == pytest.approx(best.confidence) and kept[i].text == best.text
        assert stretched.crop_steps == look_again(norm, 1.2, 0).shape[1] // 4 > norm.shape[1] // 4
        assert padded.tail == 2 and padded.crop_steps == look_again(norm, 1.1, 0).shape[1] // 4
    assert any(k.confidence > o.confidence for k, o in zip(kept, once))    # a look was kept
    # nothing doubtful, or no look more confident by the margin: the first reading stays
    sure = Recognizer(RecognizerConfig(model_path=path, calibrated=False, second_look=looks, second_look_below=0.0))
    steady = Recognizer(RecognizerConfig(model_path=path, calibrated=False, second_look=looks,
                                         second_look_below=1.01, second_look_margin=1.0))
    for other in (sure, steady):
        assert [r.log_probs.tobytes() for r in other.read(crops)] == [r.log_probs.tobytes() for r in once]


def test_a_crop_is_batched_only_with_crops_of_nearly_its_width(tiny_model):
    """With max_padding, a short word is read exactly as it is read alone (no padding from a
    long line in its batch); without it, the two share a batch."""
    _, path = tiny_model
    rng = np.random.default_rng(0)
    short, long_line = (rng.integers(0, 256, (32, w), dtype=np.uint8) for w in (40, 400))
    alone = Recognizer(RecognizerConfig(model_path=path, calibrated=False)).read([short])[0]
    limited = Recognizer(RecognizerConfig(model_path=path, calibrated=False, max_padding=0.25))
    together = Recognizer(RecognizerConfig(model_path=path, calibrated=False, max_padding=None))
    assert limited.read([long_line, short])[1].log_probs.tobytes() == alone.log_probs.tobytes()
    assert together.read([long_line, short])[1].log_probs.tobytes() != alone.log_probs.tobytes()


def test_missing_or_anonymous_model_is_a_model_error(tmp_path, tiny_model):
    with pytest.raises(ModelError, match="not found"):
        Recognizer(RecognizerConfig(model_path=tmp_path / "nope.onnx"))
    proto = onnx.load(str(tiny_model[1]))
    del proto.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    onnx.save(proto, str(bare))
    with pytest.raises(ModelError, match="charset"):
        Recognizer(RecognizerConfig(model_path=bare))


def test_the_cards_calibration_maps_confidences_and_beam_decoding_is_available(tmp_path, tiny_model):
    import shutil

    from lector.recognize.calibration import Calibration
    from lector.train.export import update_card
    path = Path(shutil.copy(tiny_model[1], tmp_path / "calibrated.onnx"))
    crops = [np.random.default_rng(k).integers(0, 255, (24, 90), np.uint8) for k in range(6)]
    raw = Recognizer(RecognizerConfig(model_path=path, calibrated=False)).read(crops)
    table = Calibration((0.0, 0.5, 1.0), (0.0, 0.1, 0.9))
    update_card(path, {"calibration": table.to_card()})
    calibrated = Recognizer(RecognizerConfig(model_path=path)).read(crops)
    assert [c.text for c in calibrated] == [r.text for r in raw]
    assert [c.confidence for c in calibrated] == pytest.approx([float(table(r.confidence)) for r in raw])
    beam = Recognizer(RecognizerConfig(model_path=path, decoder="beam", calibrated=False)).read(crops)
    assert all(b.steps == r.steps and 0.0 <= b.confidence <= 1.0 for b, r in zip(beam, raw))
    with pytest.raises(ValueError, match="decoder"):
        Recognizer(RecognizerConfig(model_path=path, decoder="viterbi"))
