"""Layers only look down (import-linter contracts in .importlinter), and OCR never loads torch."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    run = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_ocr_path_does_not_import_torch(tiny_model):
    _, model = tiny_model
    code = (
        "import sys, lector\n"
        "from pathlib import Path\n"
        "from lector.pipeline import LectorEngine, PipelineConfig\n"
        "from lector.recognize.recognizer import RecognizerConfig\n"
        f"engine = LectorEngine(PipelineConfig(recognizer=RecognizerConfig(model_path=Path({str(model)!r}))))\n"
        f"lector.read({str(ROOT / 'samples' / 'receipt.jpg')!r}, engine)\n"
        "from lector.export.pdf_export import write_searchable_pdf\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
