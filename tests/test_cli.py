"""Bad input at the command line: one line naming the file and the problem, a non-zero exit
code, and every other file of the same call still processed."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image


def _png(path: Path, size=(200, 80)) -> Path:
    image = Image.new("L", size, 255)
    image.save(path)
    return path


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lector.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture()
def bad_inputs(tmp_path) -> dict[str, Path]:
    good = _png(tmp_path / "good.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    jpeg = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300), dtype=np.uint8)).save(jpeg, "JPEG")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    text = tmp_path / "notes.txt"
    text.write_text("this is not an image\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nxref\n0 3\ngarbage\n%%EOF")
    encrypted = tmp_path / "encrypted.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(encrypted, encryption=pikepdf.Encryption(owner="o", user="secret"))
    huge = tmp_path / "huge.png"
    Image.new("1", (12000, 9000), 1).save(huge)          # 108 megapixels, tiny on disk
    return {"good": good, "missing": tmp_path / "missing.png", "empty": empty, "truncated": truncated,
            "text": text, "broken": broken, "encrypted": encrypted, "huge": huge}


def test_each_bad_input_is_named_and_the_good_one_still_done(bad_inputs, tmp_path, tiny_model):
    _, model = tiny_model
    order = ["missing", "empty", "good", "truncated", "text", "broken", "encrypted", "huge"]
    run = _run("ocr", *[bad_inputs[k] for k in order], "-o", tmp_path / "out", "--model", model)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith("lector:")]
    for key in order:
        if key == "good":
            continue
        assert any(str(bad_inputs[key]) in line for line in errors), (key, run.stderr)
    assert len(errors) == len(order) - 1
    assert (tmp_path / "out" / "good.json").is_file() and (tmp_path / "out" / "good.pdf").is_file()
    assert "megapixel" in run.stderr or "pixels" in run.stderr


@pytest.mark.parametrize("key,code", [("missing", 2), ("text", 2), ("huge", 3), ("encrypted", 8), ("broken", 2)])
def test_exit_codes(bad_inputs, tmp_path, tiny_model, key, code):
    _, model = tiny_model
    run = _run("ocr", bad_inputs[key], "-o", tmp_path / "x", "--model", model)
    assert run.returncode == code, run.stderr
    assert run.stderr.count("\n") == 1 and str(bad_inputs[key]) in run.stderr


def test_missing_model_is_a_clear_error(bad_inputs, tmp_path):
    run = _run("ocr", bad_inputs["good"], "--model", tmp_path / "none.onnx")
    assert run.returncode == 4 and "model file not found" in run.stderr
