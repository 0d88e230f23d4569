"""Synthetic data v1: seeded determinism, font validation, corpus errors, page truth."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from lector.core.errors import InputError
from lector.synth.corpus import Corpus
from lector.synth.fonts import FontWarning, load_collection, validate_font
from lector.synth.render import CropGenerator

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def generator():
    faces, excluded = load_collection()
    return CropGenerator(Corpus.load(), faces, seed=3), faces, excluded


def test_same_seed_same_bytes(generator):
    gen, faces, _ = generator
    again = CropGenerator(Corpus.load(), faces, seed=3)
    for i in (0, 7, 123):
        (a, ta), (b, tb) = gen.sample(i), again.sample(i)
        assert ta == tb and a.tobytes() == b.tobytes()
    assert gen.sample(1)[1] != gen.sample(2)[1] or gen.sample(1)[0].shape != gen.sample(2)[0].shape


def test_fonts_validated_and_weighted(generator):
    _, faces, excluded = generator
    assert len(faces) >= 40
    assert any(f.monospace for f in faces) and max(f.weight for f in faces) > 1
    assert any("glyphs" in e.reason for e in excluded)     # e.g. Noto faces for other scripts
    assert all(validate_font(Path(f.path)) is None for f in faces[:5])


def test_font_with_deleted_glyph_is_rejected(tmp_path):
    font = TTFont(str(DEJAVU))
    for table in font["cmap"].tables:
        table.cmap.pop(ord("Q"), None)
    broken = tmp_path / "broken.ttf"
    font.save(str(broken))
    assert "missing" in validate_font(broken)
    garbage = tmp_path / "garbage.ttf"
    garbage.write_bytes(b"not a font at all")
    with pytest.warns(FontWarning, match="unreadable font"):
        assert validate_font(garbage).startswith("unreadable")


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="corpus source is missing or empty"):
        Corpus.load(tmp_path / "nowhere")


def test_labels_are_in_charset_and_some_are_negative(generator):
    gen, _, _ = generator
    samples = [gen.sample(i) for i in range(300)]
    from lector.recognize.charset import DEFAULT_CHARSET
    assert all(set(text) <= set(DEFAULT_CHARSET) for _, text in samples)
    assert any(text == "" for _, text in samples)
    assert all(img.dtype == np.uint8 and img.ndim == 2 and min(img.shape) > 0 for img, _ in samples)
