"""Synthetic data engine v2 (issue 3): symbol boost, fonts, distortions, negatives, shards, stream, CLI."""
from __future__ import annotations

import json
import re
import shutil
from copy import deepcopy
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from PIL import Image

from lector.cli import _font_boosts, _mix, main
from lector.core.errors import InputError, LectorError
from lector.recognize.charset import DEFAULT_CHARSET
from lector.synth import render
from lector.synth.corpus import Corpus
from lector.synth.fonts import FontWarning, boost_faces, load_collection, validate_font
from lector.synth.render import (NEGATIVE_KINDS, V2_DISTORTIONS, CropGenerator, DistortionMix, camera, defocus_blur,
                                 ink_bleed, low_ink, motion_blur, render_crop, render_negative, scale_aspect)
from lector.synth.shards import load_shards, make_shards
from lector.synth.stream import OnTheFlyCrops, input_crop
from lector.synth.textures import TEXTURES, texture

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Every v1 distortion off: what a crop looks like before any of them.
CLEAN = replace(DistortionMix.v1(), **{name: 0.0 for name in (
    "negative", "wide_spaces", "thermal_stipple", "dot_matrix", "underline", "strike", "table_line", "rotate",
    "blur", "low_resolution", "noise", "jpeg", "shadow", "invert", "bold_ink")})


@pytest.fixture(scope="module")
def corpus():
    return Corpus.load()


@pytest.fixture(scope="module")
def faces():
    return load_collection()[0]


@pytest.fixture(scope="module")
def sans(faces):
    return next(f for f in faces if f.name == "Liberation Sans")


# --- corpus ----------------------------------------------------------------------------------

def test_every_charset_symbol_reaches_the_floor_after_boosting(corpus):
    raw = Corpus.load(boost=False)
    before, after = raw.measure(20000, seed=1), corpus.measure(20000, seed=1)
    assert {"{", "^", "\\", "|", "~", "°"} <= set(before.below(DEFAULT_CHARSET, corpus.symbol_floor))
    assert all(after.counts.get(ch, 0) > 0 for ch in DEFAULT_CHARSET)
    assert after.below(DEFAULT_CHARSET, corpus.symbol_floor) == []
    # The boost adds a source; the others keep their proportions, and it stays a minority.
    base = {k: v for k, v in corpus.weights.items() if k != "symbol"}
    assert base == raw.weights
    assert 0 < corpus.weights["symbol"] / sum(corpus.weights.values()) < 0.25
    assert corpus.boosted().symbol_weights == corpus.symbol_weights          # seeded: same on every load


def test_symbols_come_in_natural_contexts(corpus):
    import random
    rng = random.Random(0)
    for symbol in "(&#%@=*'^\\{€°Q":
        snippets = [corpus.symbol_text(symbol, rng) for _ in range(20)]
        assert all(symbol in s for s in snippets), (symbol, snippets)
        assert any(any(ch.isalnum() for ch in s) for s in snippets)         # next to words or numbers


def test_texts_are_one_to_four_words_in_three_cases(corpus):
    stats = corpus.measure(5000, seed=2)
    assert sum(n for k, n in stats.words_per_text.items() if 1 <= k <= 4) > 0.97 * stats.texts
    words = sum(stats.cases.values())
    assert all(stats.cases[style] > 0.08 * words for style in ("lower", "Title", "UPPER"))
    import random
    rng = random.Random(3)
    texts = [corpus.sample(rng) for _ in range(3000)]
    assert all(t == t.strip() and "  " not in t and 0 < len(t) <= corpus.max_chars for t in texts)
    assert any(" " in t for t in texts)


def test_shards_without_a_corpus_stop_with_its_name_not_a_hang(tmp_path, monkeypatch):
    """A pool worker whose start-up fails is replaced for ever: make_shards checks the corpus first."""
    import lector.synth.corpus as corpus_module
    monkeypatch.setattr(corpus_module, "SHARED_CORPUS", tmp_path / "no-corpus")
    with pytest.raises(InputError, match="no-corpus"):
        make_shards(tmp_path / "shards", 10, workers=1, shard_size=10)
    assert not list((tmp_path / "shards").glob("shard-*.npz"))


def test_missing_or_empty_sources_are_named(tmp_path):
    with pytest.raises(InputError, match="corpus source is missing or empty"):
        Corpus.load(tmp_path / "nowhere")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(InputError, match="missing or empty"):
        Corpus.load(tmp_path)
    with pytest.raises(InputError, match="'book' is empty"):
        Corpus(book_lines=[], words=["total"], word_weights=[1.0])
    with pytest.raises(InputError, match="'words' is empty"):
        Corpus(book_lines=["a line of text"], words=[], word_weights=[])
    with pytest.raises(InputError, match="unknown corpus source 'poems'"):
        Corpus(book_lines=["a line"], words=["total"], word_weights=[1.0], weights={"poems": 1.0})


# --- fonts -----------------------------------------------------------------------------------

def _broken_fonts(directory: Path) -> None:
    """DejaVu Sans copies: good, duplicate, 'a' deleted, 'a' empty, 'a' a tofu box, garbage, truncated."""
    directory.mkdir()
    shutil.copy(DEJAVU, directory / "good.ttf")
    shutil.copy(DEJAVU, directory / "good2.ttf")
    font = TTFont(str(DEJAVU))   # ASCII without 'a': gone from cmap and glyf alike
    subsetter = Subsetter(Options(notdef_outline=True))
    subsetter.populate(unicodes=[c for c in range(32, 127) if c != ord("a")] + [ord(c) for c in "€£°"])
    subsetter.subset(font)
    assert "a" not in font["glyf"].keys()
    font.save(str(directory / "no-a.ttf"))
    font = TTFont(str(DEJAVU))
    font["glyf"]["a"] = Glyph()           # still in cmap, but draws nothing
    font.save(str(directory / "empty-a.ttf"))
    font = TTFont(str(DEJAVU))
    font["glyf"]["a"] = deepcopy(font["glyf"][".notdef"])   # 'a' draws the .notdef box
    font["hmtx"]["a"] = font["hmtx"][".notdef"]
    font.save(str(directory / "tofu-a.ttf"))
    (directory / "garbage.ttf").write_bytes(b"not a font at all" * 10)
    (directory / "truncated.ttf").write_bytes(DEJAVU.read_bytes()[:3000])


def test_validation_rejects_broken_fonts_and_counts_them(tmp_path):
    fonts = tmp_path / "fonts"
    _broken_fonts(fonts)
    assert validate_font(fonts / "good.ttf") is None
    assert validate_font(fonts / "no-a.ttf").startswith("missing 1 glyphs")
    assert validate_font(fonts / "empty-a.ttf") == "renders nothing for 'a'"
    assert validate_font(fonts / "tofu-a.ttf").startswith("tofu")
    with pytest.warns(FontWarning, match="garbage.ttf"):
        assert validate_font(fonts / "garbage.ttf").startswith("unreadable")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        faces, excluded = load_collection((fonts,))
    assert [Path(f.path).name for f in faces] == ["good.ttf"]
    kinds = {Path(e.path).name: e.kind for e in excluded}
    assert kinds == {"good2.ttf": "duplicate", "no-a.ttf": "missing glyphs", "empty-a.ttf": "renders nothing",
                     "tofu-a.ttf": "tofu", "garbage.ttf": "unreadable", "truncated.ttf": "unreadable"}
    assert sum(issubclass(w.category, FontWarning) for w in caught) == 2


def test_collection_is_large_varied_and_weighted(faces):
    names = {f.name for f in faces}
    assert len(faces) >= 150 and len(names) == len(faces)
    assert {"Liberation Sans", "Arimo Regular", "Tinos Regular", "Cousine Regular"} <= names   # metric clones
    assert any("Condensed" in n or "Narrow" in n for n in names)
    assert any("VT220" in n for n in names) and any("OCR B" in n for n in names)          # receipt-like
    assert sum(f.monospace for f in faces) >= 30
    weight = {f.name: f.weight for f in faces}
    assert weight["Liberation Sans"] > weight["Liberation Sans Bold"] > weight["Liberation Sans Italic"]
    assert weight["Liberation Sans"] >= 5 * min(weight.values())      # common faces much more often
    assert min(weight.values()) > 0                                   # the long tail is kept


def test_faces_without_a_symbol_never_draw_it(faces, monkeypatch):
    lacking = next(f for f in faces if "€" in f.missing)
    able = next(f for f in faces if not f.missing)

    class Euros:
        def sample(self, rng):
            return "€5.00"

    seen = []
    monkeypatch.setattr(render, "render_crop", lambda text, face, mix, rng: seen.append(face) or np.zeros((4, 4)))
    generator = CropGenerator(Euros(), [replace(lacking, weight=100.0), able], mix=replace(CLEAN, negative=0.0))
    for i in range(20):
        generator.sample(i)
    assert seen and all(face == able for face in seen)


# --- rendering -------------------------------------------------------------------------------

def test_same_seed_same_bytes(corpus, faces):
    a, b = CropGenerator(corpus, faces, seed=5), CropGenerator(Corpus.load(), list(faces), seed=5)
    for i in (0, 11, 4242):
        (ia, ta), (ib, tb) = a.sample(i), b.sample(i)
        assert ta == tb and ia.shape == ib.shape and ia.tobytes() == ib.tobytes()


@pytest.fixture(scope="module")
def clean_crop(sans):
    return render_crop("TOTAL 12.50 Hamburg", sans, CLEAN, np.random.default_rng(0)).astype(np.float32)


@pytest.mark.parametrize("name", ["perspective", "curl", "elastic", "scale_aspect", "motion_blur", "defocus_blur",
                                  "crease"])
def test_each_image_distortion_changes_the_crop_and_keeps_it_sane(name, clean_crop):
    rng = np.random.default_rng(1)
    strength = {"perspective": 0.2, "curl": 0.1, "elastic": 0.03, "motion_blur": 6.0, "crease": 50.0}.get(name)
    out = {"scale_aspect": lambda: scale_aspect(clean_crop, 0.8, 1.25),
           "defocus_blur": lambda: defocus_blur(clean_crop, 2.0),
           "motion_blur": lambda: motion_blur(clean_crop, strength, rng)}.get(name)
    out = out() if out else getattr(render, name)(clean_crop, strength, rng)
    h, w = clean_crop.shape
    assert out.ndim == 2 and 0.6 * h <= out.shape[0] <= 1.6 * h and 0.6 * w <= out.shape[1] <= 1.6 * w
    if out.shape == clean_crop.shape:
        assert np.abs(out - clean_crop).mean() > 0.3
    assert abs(float(np.median(out)) - float(np.median(clean_crop))) < 30      # still paper with some ink


def _sharpness(image: np.ndarray) -> float:
    return float(np.abs(np.diff(image.astype(np.float32), axis=1)).mean())


def test_camera_keeps_the_size_and_takes_the_detail(clean_crop):
    """Imaged 14 px tall, the crop comes back at its size with far softer edges; imaged taller than
    it is, it is not resampled down, so only blur, noise and JPEG soften it."""
    h, w = clean_crop.shape
    small = camera(clean_crop, 14.0, 0.8, np.random.default_rng(4))
    large = camera(clean_crop, 4.0 * h, 0.4, np.random.default_rng(4))
    assert small.shape == large.shape == (h, w)
    assert _sharpness(small) < 0.6 * _sharpness(clean_crop)
    assert _sharpness(small) < _sharpness(large)
    assert abs(float(np.median(small)) - float(np.median(clean_crop))) < 30      # still paper with some ink


def test_camera_is_off_by_default_and_changes_crops_when_on(corpus, faces):
    """Off by default, so shards made before it existed stay reproducible sample for sample."""
    assert DistortionMix().camera == 0.0
    plain = CropGenerator(corpus, faces, DistortionMix(), seed=12)
    photo = CropGenerator(corpus, faces, replace(DistortionMix(), camera=1.0), seed=12)
    pairs = [(plain.sample(i), photo.sample(i)) for i in range(12)]
    assert all(a[1] == b[1] for a, b in pairs)                       # same words
    texts = [(a[0], b[0]) for a, b in pairs if a[1]]
    assert sum(_sharpness(b) < _sharpness(a) for a, b in texts) >= 0.8 * len(texts)


def test_cli_mix_changes_the_default_mix_and_names_bad_specs(tmp_path):
    assert _mix(["camera=0.6", "camera_height=10,20"]) == replace(DistortionMix(), camera=0.6,
                                                                    camera_height=(10.0, 20.0))
    assert _mix(None) == DistortionMix()
    for bad, named in (("cmera=0.5", "no distortion named 'cmera'"), ("camera=lots", "NAME=NUMBER"),
                       ("camera=0.1,0.2", "one number"), ("camera_height=12", "range")):
        with pytest.raises(LectorError, match=named):
            _mix([bad])
    assert main(["synth", "make", "--out", str(tmp_path / "s"), "--n", "6", "--shard-size", "6", "--workers", "1",
                 "--mix", "camera=0.5"]) == 0
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["mix"]["camera"] == 0.5
    assert main(["synth", "make", "--out", str(tmp_path / "t"), "--n", "6", "--mix", "nothing=1"]) != 0
    assert not (tmp_path / "t" / "manifest.json").exists()


def test_ink_distortions_take_and_spread_ink(sans):
    mask = render._text_mask("Hamburg 12.50", sans, 32)
    thin = low_ink(mask, 0.6, 32, np.random.default_rng(2))
    wet = ink_bleed(mask, 1.0, np.random.default_rng(2))
    assert thin.shape == wet.shape == mask.shape
    assert thin.sum() < 0.9 * mask.sum() and wet.sum() > 1.1 * mask.sum()


def test_paper_textures_are_distinct_zero_mean_fields():
    fields = {kind: texture(kind, (40, 200), np.random.default_rng(3)) for kind in TEXTURES}
    for kind, field in fields.items():
        assert field.shape == (40, 200) and abs(field.mean()) < 0.05 and 0.9 < field.std() < 1.1, kind
    assert len({f.tobytes() for f in fields.values()}) == len(TEXTURES)


def test_every_v2_distortion_on_at_once_renders_sane_crops(corpus, faces):
    everything = replace(DistortionMix(), **{name: 1.0 for name in V2_DISTORTIONS})
    generator = CropGenerator(corpus, faces, everything, seed=9)
    for i in range(40):
        crop, text = generator.sample(i)
        assert crop.dtype == np.uint8 and crop.ndim == 2 and 8 <= crop.shape[0] <= 200 and crop.shape[1] >= 8
    assert DistortionMix.v1().perspective == 0 and DistortionMix.v1().rotate == DistortionMix().rotate


def test_neighbour_fragments_reach_the_crop_edges(sans):
    def edge_ink(mix: DistortionMix) -> int:
        hits = 0
        for seed in range(12):
            crop = render_crop("PAID 4.20", sans, mix, np.random.default_rng(seed))
            dark = crop < (int(np.median(crop)) - 60)
            hits += bool(dark[:, :2].any() or dark[:, -2:].any())
        return hits
    assert edge_ink(replace(CLEAN, neighbours=1.0)) >= 8
    assert edge_ink(CLEAN) <= 4


# --- negatives -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", NEGATIVE_KINDS)
def test_negatives_hold_no_readable_ink(kind, sans):
    for seed in range(8):
        crop = render_negative(sans, np.random.default_rng(seed), CLEAN, kind).astype(np.int16)
        assert crop.ndim == 2 and crop.shape[0] >= 8 and crop.shape[1] >= 8
        dark = crop < np.median(crop) - 60
        if kind in ("texture", "noise"):   # tone and grain, nothing near ink-black
            assert (crop < np.median(crop) - 90).mean() < 0.04, (kind, seed)
        if kind == "fragment":   # only a sliver of glyph tops or bottoms, at one edge
            rows = np.nonzero(dark.any(axis=1))[0]
            assert len(rows) <= 0.35 * crop.shape[0], (seed, len(rows), crop.shape)


def test_negative_share_gives_empty_labels(corpus, faces):
    generator = CropGenerator(corpus, faces, replace(DistortionMix(), negative=1.0), seed=4)
    samples = [generator.sample(i) for i in range(30)]
    assert all(text == "" and crop.dtype == np.uint8 for crop, text in samples)


# --- shards and the on-the-fly stream --------------------------------------------------------

def test_shards_are_deterministic_and_match_the_stream(tmp_path, corpus, faces):
    a = make_shards(tmp_path / "a", 24, seed=6, workers=1, shard_size=12)
    b = make_shards(tmp_path / "b", 24, seed=6, workers=1, shard_size=12)
    for name in ("shard-00000.npz", "shard-00001.npz"):
        with np.load(a / name) as za, np.load(b / name) as zb:
            assert all(np.array_equal(za[key], zb[key]) for key in ("pixels", "widths", "offsets", "labels"))
    crops, labels = load_shards(a)
    stream = OnTheFlyCrops(generator=CropGenerator(corpus, faces, seed=6))
    again, again_labels = stream.crops_for(range(24))
    assert labels == again_labels and len(crops) == 24
    assert all(np.array_equal(x, y) for x, y in zip(crops, again))
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["mix"]["perspective"] == DistortionMix().perspective and manifest["engine"] == "synth-v2"


def test_font_boost_tilts_the_draw_and_is_recorded(tmp_path, corpus, faces):
    boosts = {"quicksand|urwgothic": 50.0}
    boosted = boost_faces(faces, boosts)
    hit = [i for i, f in enumerate(faces) if re.search("quicksand|urwgothic", f.name.lower().replace(" ", ""))]
    assert hit, "the system fonts include Quicksand / URW Gothic"
    assert all(boosted[i].weight == round(faces[i].weight * 50, 3) for i in hit)
    assert all(boosted[i] == faces[i] for i in range(len(faces)) if i not in hit)
    share = sum(boosted[i].weight for i in hit) / sum(f.weight for f in boosted)
    assert share > 10 * sum(faces[i].weight for i in hit) / sum(f.weight for f in faces) > 0
    out = make_shards(tmp_path / "boosted", 12, seed=6, workers=1, shard_size=12, font_boost=boosts)
    assert json.loads((out / "manifest.json").read_text())["font_boost"] == boosts
    plain = make_shards(tmp_path / "plain", 12, seed=6, workers=1, shard_size=12)
    a, labels_a = load_shards(out)
    b, labels_b = load_shards(plain)
    assert labels_a == labels_b       # the words are drawn as before: only the faces change
    assert any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(a, b))


def test_cli_font_boost_parses_and_rejects_bad_specs():
    assert _font_boosts(["quicksand|urwgothic=8", "light=2.5"]) == {"quicksand|urwgothic": 8.0, "light": 2.5}
    for bad in ("quicksand", "=3", "x=0", "(=2", "x=many"):
        with pytest.raises(LectorError, match="--font-boost"):
            _font_boosts([bad])


def test_stream_is_deterministic_in_any_order_and_with_workers(corpus, faces):
    generator = CropGenerator(corpus, faces, seed=8)
    stream = OnTheFlyCrops(generator=generator)
    crops, labels = stream.crops_for([5, 3, 9, 100000])
    assert all(c.dtype == np.uint8 and c.shape[0] == 32 and c.shape[1] % 4 == 0 for c in crops)
    back, back_labels = stream.crops_for([100000, 9, 3, 5])
    assert back_labels == labels[::-1] and all(np.array_equal(x, y) for x, y in zip(back, crops[::-1]))
    grey, text = generator.sample(3)
    assert text == labels[1] and np.array_equal(input_crop(grey), crops[1])
    with OnTheFlyCrops(generator=generator, workers=1, chunk=2) as pooled:
        pool_crops, pool_labels = pooled.crops_for([5, 3, 9, 100000])
    assert pool_labels == labels and all(np.array_equal(x, y) for x, y in zip(pool_crops, crops))


# --- CLI -------------------------------------------------------------------------------------

def test_cli_stats_writes_the_histogram(tmp_path, capsys):
    out = tmp_path / "stats.json"
    assert main(["synth", "stats", "--n", "3000", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [row["symbol"] for row in report["symbols"]] == list(DEFAULT_CHARSET)
    assert report["below_floor_before"] and len(report["below_floor_after"]) < len(report["below_floor_before"])
    text = capsys.readouterr().out
    assert "rarest before" in text and "rarest after" in text and "symbol" in text


def test_cli_fonts_writes_sheet_and_report(tmp_path, capsys):
    sheet, report = tmp_path / "fonts.png", tmp_path / "fonts.json"
    assert main(["synth", "fonts", "--sheet", str(sheet), "--report", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["valid"] >= 150 and data["exclusion_summary"]["missing glyphs"] > 0
    pages = sorted(tmp_path.glob("fonts*.png"))
    assert len(pages) == -(-data["valid"] // 60)
    with Image.open(sheet) as page:
        assert page.width >= 1000 and page.height == 60 * 34 + 8
    assert f"{data['valid']} valid faces" in capsys.readouterr().out


def test_cli_grid_shows_64_labelled_samples(tmp_path):
    out = tmp_path / "grid.png"
    assert main(["synth", "grid", "--out", str(out)]) == 0
    with Image.open(out) as grid:
        assert grid.height == 32 * 36 + 4
        right_half = np.asarray(grid)[:, 420:750]
    assert (right_half < 128).mean() > 0.01      # the labels are drawn
