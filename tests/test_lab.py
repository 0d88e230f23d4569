"""The lab notebook follows real (tiny) training runs: git hash, metrics, resume, import, page, CLI."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import pytest

from lector.cli import main
from lector.core.errors import InputError
from lector.lab.notebook import (add_result, import_run, list_experiments, load_experiment,
                                 render_page, start_experiment, sync_metrics)
from lector.synth.shards import git_revision, make_shards
from lector.train.train import TrainConfig, train


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    make_shards(out, 192, seed=5, workers=1, shard_size=192)
    return out


def _config(run_dir: Path, data: Path, steps: int = 20, notebook: Path | None = None) -> TrainConfig:
    return TrainConfig(run_dir=str(run_dir), synth_dirs=[str(data)], val_synth_dir=str(data), steps=steps,
                       batch_size=16, lr=3e-3, warmup_steps=5, channels=(8, 16, 32, 32, 32, 48), lstm_hidden=32,
                       eval_every=10, checkpoint_every=10, log_every=1, threads=1,
                       goal="tiny: does the notebook keep up?", notebook=str(notebook or ""))


def _recorded_train(cfg: TrainConfig, notebook: Path, stop_after: int | None = None) -> int:
    """`train` records the run in the notebook itself: at launch, at each evaluation, at the end."""
    train(replace(cfg, notebook=str(notebook)), stop_after=stop_after)
    return next(e.number for e in list_experiments(notebook) if Path(e.run_dir).resolve() == Path(cfg.run_dir).resolve())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, tiny_data) -> tuple[Path, TrainConfig, int]:
    """A notebook holding one finished tiny run (copy it before changing it)."""
    root = tmp_path_factory.mktemp("lab")
    cfg = _config(root / "runs" / "tiny", tiny_data)
    return root / "lab", cfg, _recorded_train(cfg, root / "lab")


def _copy(notebook: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(notebook, tmp_path / "lab"))


def test_notebook_records_a_run_with_its_git_hash(recorded):
    notebook, cfg, number = recorded
    exp = load_experiment(number, notebook)
    revision = git_revision()
    assert (exp.git, exp.dirty) == (revision.removesuffix("-dirty"), revision.endswith("-dirty"))
    written = json.loads((Path(cfg.run_dir) / "config.json").read_text())["git"]
    assert written == exp.git + ("-dirty" if exp.dirty else "")
    assert (notebook / "experiments" / "0001-tiny.json").is_file() and number == 1
    assert exp.goal == cfg.goal and exp.config["steps"] == 20 and exp.status == "finished" and exp.ended
    assert [row["step"] for row in exp.metrics] == [10, 20]
    assert exp.final["step"] == 20 and 0 <= exp.final["val_synth"]["cer"] and exp.final["val_synth"]["n"] == 192
    assert len(exp.loss_curve) == 20 and exp.last_step == 20
    assert exp.data[0]["role"] == "train-synth" and exp.data[0]["manifest"]["seed"] == 5


def test_list_is_newest_first(recorded, tmp_path, capsys):
    notebook = _copy(recorded[0], tmp_path)
    second = start_experiment({"goal": "a second run", "steps": 5}, tmp_path / "runs" / "second", notebook)
    assert second == 2 and [e.number for e in list_experiments(notebook)] == [2, 1]
    assert main(["lab", "list", "--notebook", str(notebook)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[:2] for row in rows] == [["2", "second"], ["1", "tiny"]]
    assert "running" in rows[0] and "finished" in rows[1]


def test_a_resumed_run_keeps_one_record(tmp_path, tiny_data):
    notebook, cfg = tmp_path / "lab", _config(tmp_path / "runs" / "killed", tiny_data)
    number = _recorded_train(cfg, notebook, stop_after=10)
    exp = load_experiment(number, notebook)
    assert (exp.status, exp.ended, exp.last_step, [r["step"] for r in exp.metrics]) == ("running", None, 10, [10])
    assert _recorded_train(cfg, notebook) == number
    exp = load_experiment(number, notebook)
    assert len(list((notebook / "experiments").glob("*.json"))) == 1
    assert len(exp.resumed) == 1 and exp.status == "finished"
    assert [r["step"] for r in exp.metrics] == [10, 20] and exp.final["step"] == 20


def test_import_is_idempotent(recorded, tmp_path):
    _, cfg, number = recorded
    notebook = tmp_path / "fresh"
    assert import_run(cfg.run_dir, notebook) == import_run(cfg.run_dir, notebook) == 1
    exp = load_experiment(1, notebook)
    assert len(list_experiments(notebook)) == 1
    assert exp.status == "finished" and [r["step"] for r in exp.metrics] == [10, 20]
    assert exp.git + ("-dirty" if exp.dirty else "") == json.loads((Path(cfg.run_dir) / "config.json").read_text())["git"]
    live = _copy(recorded[0], tmp_path)
    assert import_run(cfg.run_dir, live) == number and len(list_experiments(live)) == 1
    with pytest.raises(InputError):
        import_run(tmp_path, notebook)


def test_page_has_a_table_and_real_plots(recorded, tmp_path):
    notebook = _copy(recorded[0], tmp_path)
    add_result(1, "eval_words_real", {"swa_ci": 0.5}, notebook)
    sync_metrics(1, Path(recorded[1].run_dir) / "metrics.jsonl", notebook)      # keeps results added later
    assert load_experiment(1, notebook).final["eval_words_real"] == {"swa_ci": 0.5}
    page = render_page(notebook).read_text()
    assert "| 1 | [tiny]" in page and "plots/0001.png" in page and "eval_words_real" in page
    image = cv2.imread(str(notebook / "plots" / "0001.png"))
    assert image is not None and image.shape[0] > 100


def test_show_prints_a_record_and_rejects_unknown_numbers(recorded, capsys):
    assert main(["lab", "show", "1", "--notebook", str(recorded[0])]) == 0
    out = capsys.readouterr().out
    assert "experiment 1: tiny" in out and "git:" in out and "step     20" in out
    assert main(["lab", "show", "999", "--notebook", str(recorded[0])]) != 0
    assert "no experiment 999" in capsys.readouterr().err
