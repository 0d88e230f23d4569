"""Export a trained WordNet to ONNX with a self-describing header (metadata_props)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import onnx
import torch

from lector.recognize.preprocess import INPUT_HEIGHT, TIME_STRIDE
from lector.train.model import WordNet


def export_onnx(model: WordNet, charset: str, path: Path, card: dict) -> Path:
    """Write `path` (ONNX, dynamic batch and width) and `path.with_suffix('.json')` (the model card)."""
    model = model.eval()
    example = torch.rand(2, 1, INPUT_HEIGHT, 64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the LSTM has no initial-state inputs, so any batch size is safe (the parity test checks)
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), input_names=["images"], output_names=["log_probs"],
                          dynamic_axes={"images": {0: "batch", 3: "width"}, "log_probs": {0: "steps", 1: "batch"}},
                          opset_version=17, dynamo=False)
    proto = onnx.load(str(path))
    meta = {"charset": charset, "input_height": str(INPUT_HEIGHT), "time_stride": str(TIME_STRIDE),
            "normalisation": "grey, resize to height, stretch 2nd-98th percentile to [0,1]",
            "architecture": json.dumps(model.config.to_dict()), "card": json.dumps(card)}
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
    path.with_suffix(".json").write_text(json.dumps({**card, "charset": charset,
                                                     "input_height": INPUT_HEIGHT}, indent=2) + "\n")
    return path


def update_card(model_path: Path, updates: dict) -> dict:
    """Merge `updates` into a shipped model's card, in the ONNX metadata and the JSON beside it."""
    proto = onnx.load(str(model_path))
    entry = next((e for e in proto.metadata_props if e.key == "card"), None)
    if entry is None:
        entry = proto.metadata_props.add()
        entry.key, entry.value = "card", "{}"
    card = {**json.loads(entry.value), **updates}
    entry.value = json.dumps(card)
    onnx.save(proto, str(model_path))
    card_path = model_path.with_suffix(".json")
    on_disk = json.loads(card_path.read_text()) if card_path.exists() else {}
    card_path.write_text(json.dumps({**on_disk, **updates}, indent=2) + "\n")
    return card
