"""Turn a training checkpoint into a shippable ONNX model with its card."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from lector.lab.notebook import find_run
from lector.train.export import export_onnx
from lector.train.model import WordNet, WordNetConfig


def load_checkpoint_model(checkpoint: Path) -> tuple[WordNet, dict]:
    state = torch.load(checkpoint, weights_only=False, map_location="cpu")
    cfg = state["config"]
    model = WordNet(WordNetConfig.from_settings(cfg))
    model.load_state_dict(state["model"])
    return model.eval(), state


def publish_checkpoint(checkpoint: Path, out: Path, metrics: dict | None = None, data: list | None = None,
                       thresholds: dict | None = None) -> Path:
    model, state = load_checkpoint_model(checkpoint)
    cfg = state["config"]
    run_config = json.loads((checkpoint.parent / "config.json").read_text()) if (checkpoint.parent / "config.json").exists() else {}
    card = {"name": out.stem, "run": cfg["run_dir"], "steps": state["step"], "git": run_config.get("git", "unknown"),
            "goal": cfg.get("goal", ""), "architecture": model.config.architecture(),
            "experiment": getattr(find_run(Path(cfg["run_dir"])), "number", None),
            "training_data": data or [], "metrics": metrics or {}, "thresholds": thresholds or {}}
    # the weights beside the ONNX file: `lector finetune` starts from them
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "config": {"charset": cfg["charset"], **model.config.architecture()}},
               out.with_suffix(".pt"))
    return export_onnx(model, cfg["charset"], out, card)
