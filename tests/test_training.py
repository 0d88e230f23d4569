"""Training on tiny synthetic data: the loss falls, and a killed run resumes exactly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lector.synth.shards import load_shards, make_shards
from lector.train.train import TrainConfig, train


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    make_shards(out, 384, seed=5, workers=1, shard_size=192)
    return out


def _config(run_dir: Path, data: Path, steps: int) -> TrainConfig:
    return TrainConfig(run_dir=str(run_dir), synth_dirs=[str(data)], steps=steps, batch_size=16, lr=3e-3,
                       warmup_steps=5, channels=(8, 16, 32, 32, 32, 48), lstm_hidden=32, eval_every=10_000,
                       checkpoint_every=10, log_every=1, threads=1, notebook="")


def _losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows}


def test_shards_are_deterministic_and_resumable(tmp_path, tiny_data):
    crops, labels = load_shards(tiny_data)
    assert len(crops) == len(labels) == 384
    assert all(c.shape[0] == 32 for c in crops) and "" in labels        # negatives have empty labels
    again = tmp_path / "again"
    make_shards(again, 384, seed=5, workers=1, shard_size=192)
    (again / "shard-00001.npz").unlink()                                 # as if killed mid-run
    make_shards(again, 384, seed=5, workers=1, shard_size=192)
    crops2, labels2 = load_shards(again)
    assert labels2 == labels and all(np.array_equal(a, b) for a, b in zip(crops, crops2))
    first, first_labels = load_shards(again, limit=250)                  # a prefix, across shards
    assert first_labels == labels[:250] and all(np.array_equal(a, b) for a, b in zip(first, crops[:250]))


def test_fifty_steps_lower_the_loss(tmp_path, tiny_data):
    cfg = _config(tmp_path / "run", tiny_data, steps=50)
    train(cfg)
    losses = _losses(tmp_path / "run")
    first = np.mean([losses[s] for s in range(1, 6)])
    last = np.mean([losses[s] for s in range(46, 51)])
    assert last < 0.6 * first, (first, last)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["git"]


def test_resume_after_kill_gives_the_same_next_step(tmp_path, tiny_data):
    straight = tmp_path / "straight"
    train(_config(straight, tiny_data, steps=24))
    killed = tmp_path / "killed"
    train(_config(killed, tiny_data, steps=24), stop_after=20)
    assert 21 not in _losses(killed)
    train(_config(killed, tiny_data, steps=24))
    assert _losses(killed)[21] == pytest.approx(_losses(straight)[21], abs=1e-4)
    assert _losses(killed)[24] == pytest.approx(_losses(straight)[24], abs=1e-3)


def test_finetuning_on_a_few_real_crops_moves_accuracy_on_them_up(tmp_path, tiny_data):
    from lector.eval.dataset import load_dataset
    from lector.train.data import CropSet
    from lector.train.finetune import finetune
    from lector.train.publish import load_checkpoint_model, publish_checkpoint
    from lector.train.real_crops import truth_crops, write_crop_shard
    from lector.train.train import evaluate_set
    sroie = Path(__file__).resolve().parents[2] / "shared" / "evaldata" / "sroie_dev"
    if not sroie.is_dir():
        pytest.skip("../shared/evaldata/sroie_dev is absent")
    # short lines (prices, single words): a tiny net can learn a few dozen of them in seconds
    pairs = [p for doc in load_dataset(sroie, limit=4) for p in truth_crops(doc) if len(p[1]) <= 8][:32]
    real = tmp_path / "real"
    write_crop_shard(real / "shard-00000.npz", [c for c, _ in pairs], [t for _, t in pairs])
    start = train(_config(tmp_path / "synth-run", tiny_data, steps=40))
    weights = publish_checkpoint(start, tmp_path / "models" / "tiny.onnx").with_suffix(".pt")
    assert weights.is_file()
    crops, labels = load_shards(real)

    def real_cer(checkpoint: Path) -> float:
        model, state = load_checkpoint_model(checkpoint)
        charset = state["config"]["charset"]
        return evaluate_set(model, CropSet(crops, labels, charset, 16), charset)["cer"]

    before = real_cer(start)
    from lector.cli import main
    assert main(["recase", str(start), str(real), str(tmp_path / "recased")]) == 0
    report = json.loads((tmp_path / "recased" / "manifest.json").read_text())
    assert report["crops"] + report["skipped_unsure_case"] == len(pairs)
    assert len(load_shards(tmp_path / "recased")[0]) == report["crops"]
    tuned = finetune([str(real)], str(tmp_path / "tuned"), [str(tiny_data)], init_from=weights, steps=300,
                     real_ratio=0.9, lr=5e-3, threads=1, batch_size=16, notebook="", checkpoint_every=300)
    after = real_cer(tuned)
    assert after < before - 0.1, (before, after)


def test_on_the_fly_synthetic_batches_train_and_resume_exactly(tmp_path):
    def config(run_dir: Path, steps: int = 12) -> TrainConfig:
        return TrainConfig(run_dir=str(run_dir), synth_dirs=[], synth_on_the_fly=True, synth_seed=3, steps=steps,
                           batch_size=8, lr=3e-3, warmup_steps=2, channels=(8, 16, 32, 32, 32, 48), lstm_hidden=32,
                           eval_every=10_000, checkpoint_every=6, log_every=1, threads=1, notebook="")
    train(config(tmp_path / "straight"))
    train(config(tmp_path / "killed"), stop_after=6)
    train(config(tmp_path / "killed"))
    straight, resumed = _losses(tmp_path / "straight"), _losses(tmp_path / "killed")
    assert set(straight) == set(range(1, 13))
    assert resumed[7] == pytest.approx(straight[7], rel=1e-5) and resumed[12] == pytest.approx(straight[12], rel=1e-5)


def test_real_crop_jitter_redraws_the_frame_and_light_reproducibly(tiny_data):
    from lector.train.data import CropSet, jitter_crop
    crops, labels = load_shards(tiny_data, limit=64)
    crop = next(c for c, t in zip(crops, labels) if t)
    a = jitter_crop(crop, np.random.default_rng(3))
    b = jitter_crop(crop, np.random.default_rng(3))
    assert np.array_equal(a, b) and a.shape[0] == crop.shape[0] and a.dtype == np.uint8
    widths = [jitter_crop(crop, np.random.default_rng(s)).shape[1] for s in range(20)]
    assert len(set(widths)) > 3                                     # frames and widths vary ...
    assert all(0.8 * crop.shape[1] - 6 <= w <= 1.2 * crop.shape[1] + 8 for w in widths)   # ... within bounds
    assert not np.array_equal(jitter_crop(crop, np.random.default_rng(4)), crop)

    real = CropSet(crops, labels, TrainConfig().charset, 16)
    synth = CropSet(crops, labels, TrainConfig().charset, 16)
    _assert_redrawn_reproducibly(synth, real, 2, real_jitter=1.0)


def test_restroked_real_crops_are_bolder_lighter_or_slanted_reproducibly(tiny_data):
    from lector.train.data import CropSet, restroke_crop
    crops, labels = load_shards(tiny_data, limit=64)
    crop = next(c for c, t in zip(crops, labels) if len(t) >= 3)
    ink = lambda image: float((image < 128).mean())                 # share of dark pixels
    bolder = restroke_crop(crop, np.random.default_rng(0), weight=1, slant=0.0)
    lighter = restroke_crop(crop, np.random.default_rng(0), weight=-1, slant=0.0)
    assert bolder.shape == lighter.shape == crop.shape and bolder.dtype == np.uint8
    assert ink(bolder) > ink(crop) > ink(lighter)
    slanted = restroke_crop(crop, np.random.default_rng(0), weight=0, slant=0.2)
    assert slanted.shape[0] == crop.shape[0] and slanted.shape[1] > crop.shape[1]   # room for the lean
    assert abs(ink(slanted) - ink(crop)) < 0.3 * ink(crop)          # the same ink, moved
    assert np.array_equal(restroke_crop(crop, np.random.default_rng(7)), restroke_crop(crop, np.random.default_rng(7)))

    real = CropSet(crops, labels, TrainConfig().charset, 16)
    synth = CropSet(crops, labels, TrainConfig().charset, 16)
    _assert_redrawn_reproducibly(synth, real, 2, real_strokes=1.0)


def _sharpness(image: np.ndarray) -> float:
    return float(np.abs(np.diff(image.astype(np.float64), axis=1)).mean())


def _assert_redrawn_reproducibly(synth, real, step: int, **options) -> None:
    """Batch `step` of a stream with `options` against one without: the same on resume, the
    images re-drawn, the labels untouched."""
    from lector.train.data import BatchStream
    ratio = 1.0 if real is not None else 0.0
    stream = BatchStream(synth, real, real_ratio=ratio, seed=0, total_steps=10, **options)
    again = BatchStream(synth, real, real_ratio=ratio, seed=0, total_steps=10, **options)
    plain = BatchStream(synth, real, real_ratio=ratio, seed=0, total_steps=10)
    first, second, unchanged = stream.batch(step), again.batch(step), plain.batch(step)
    assert all(torch_equal(x, y) for x, y in zip(first, second))   # a resumed run sees the same batch
    assert not torch_equal(first[0], unchanged[0])                  # the images are re-drawn
    assert torch_equal(first[1], unchanged[1])                     # labels untouched


def test_real_camera_blurs_real_crops_at_their_size_reproducibly(tiny_data):
    """`real_camera`: real crops imaged small and blurred as a phone would, same size, same
    draw on resume, labels untouched; sharp edges lose contrast."""
    from lector.train.data import CropSet, camera_crop
    crops, labels = load_shards(tiny_data, limit=64)
    crop = next(c for c, t in zip(crops, labels) if len(t) >= 3)
    photographed = camera_crop(crop, np.random.default_rng(5))
    assert photographed.shape == crop.shape and photographed.dtype == np.uint8
    assert np.array_equal(photographed, camera_crop(crop, np.random.default_rng(5)))
    assert _sharpness(photographed) < 0.9 * _sharpness(crop)

    real = CropSet(crops, labels, TrainConfig().charset, 16)
    synth = CropSet(crops, labels, TrainConfig().charset, 16)
    _assert_redrawn_reproducibly(synth, real, 3, real_camera=1.0)


def test_stronger_camera_blur_and_shake_and_synthetic_camera_crops(tiny_data):
    """`camera_blur` widens the blur, `camera_motion` shakes crops (blurrier still, the same on
    resume); `synth_camera` photographs stored synthetic crops too, leaving the default draw alone."""
    from lector.train.data import CropSet, camera_crop
    crops, labels = load_shards(tiny_data, limit=64)
    crop = next(c for c, t in zip(crops, labels) if len(t) >= 3)
    seeds = range(12)
    gentle = np.mean([_sharpness(camera_crop(crop, np.random.default_rng(s))) for s in seeds])
    strong = np.mean([_sharpness(camera_crop(crop, np.random.default_rng(s), (1.0, 1.5))) for s in seeds])
    shaken = np.mean([_sharpness(camera_crop(crop, np.random.default_rng(s), (1.0, 1.5), 1.0)) for s in seeds])
    assert shaken < strong < gentle
    assert np.array_equal(camera_crop(crop, np.random.default_rng(3), (1.0, 1.5), 1.0),
                          camera_crop(crop, np.random.default_rng(3), (1.0, 1.5), 1.0))

    synth = CropSet(crops, labels, TrainConfig().charset, 16)
    _assert_redrawn_reproducibly(synth, None, 4, synth_camera=1.0)


def test_pad_jitter_widens_some_batches_with_background_reproducibly(tiny_data):
    from lector.train.data import BatchStream, CropSet
    crops, labels = load_shards(tiny_data, limit=64)
    synth = CropSet(crops, labels, TrainConfig().charset, 16)
    padded = BatchStream(synth, None, real_ratio=0.0, seed=0, total_steps=40, pad_jitter=0.5)
    again = BatchStream(synth, None, real_ratio=0.0, seed=0, total_steps=40, pad_jitter=0.5)
    plain = BatchStream(synth, None, real_ratio=0.0, seed=0, total_steps=40)
    extra = [padded.extra_width(step) for step in range(40)]
    assert 8 <= sum(e > 0 for e in extra) <= 32 and all(0.0 <= e <= 1.0 for e in extra)
    assert extra == [again.extra_width(step) for step in range(40)]         # the same on resume
    step = max(range(40), key=lambda s: extra[s])
    wide, narrow = padded.batch(step), plain.batch(step)
    assert wide[0].shape[3] > narrow[0].shape[3] and wide[0].shape[3] % 4 == 0
    width = narrow[0].shape[3]
    assert torch_equal(wide[0][..., :width], narrow[0])                     # the crops as they were ...
    assert torch_equal(wide[2], narrow[2]) and torch_equal(wide[1], narrow[1])   # ... read for as long
    right = wide[0][..., width:]
    assert torch_equal(right, right[..., :1].expand_as(right))             # padded with each crop's background


def torch_equal(a, b) -> bool:
    return a.shape == b.shape and bool((a == b).all())


def test_precision_choice():
    import torch
    from lector.train.train import use_bf16
    cpu = torch.device("cpu")
    assert use_bf16("bf16", cpu) and not use_bf16("fp32", cpu)
    assert use_bf16("auto", cpu) == bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    with pytest.raises(ValueError, match="precision"):
        use_bf16("fp8", cpu)
