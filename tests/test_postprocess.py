"""Post-processing on the net's own evidence: CTC scoring and beam search, the confidence
calibration, lexicon repair (splits, merges, protected patterns), and Wordinator boxes."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lector.core.geometry import Box
from lector.postprocess.lexicon import Lexicon, has_clean_case, is_protected, split_edges
from lector.postprocess.repair import Repairer, RepairConfig
from lector.postprocess.wordinator import word_confidences, words_from_reading
from lector.recognize.calibration import fit_calibration
from lector.recognize.charset import DEFAULT_CHARSET
from lector.recognize.ctc import (beam_decode, forced_alignment, greedy_decode, reading_for_text,
                                  text_log_likelihood)
from lector.recognize.recognizer import Recognizer, RecognizerConfig

SHIPPED = Path(__file__).resolve().parents[1] / "models"


def _collapse(path, charset):
    out, prev = [], 0
    for c in path:
        if c and c != prev:
            out.append(charset[c - 1])
        prev = c
    return "".join(out)


def test_text_likelihood_and_beam_search_agree_with_brute_force():
    charset = "ab"
    lp = np.log(np.random.default_rng(3).dirichlet(np.ones(3), size=5))
    totals: dict[str, float] = {}
    for path in itertools.product(range(3), repeat=5):
        text = _collapse(path, charset)
        totals[text] = np.logaddexp(totals.get(text, -np.inf), sum(lp[t, c] for t, c in enumerate(path)))
    for text, total in totals.items():
        assert text_log_likelihood(lp, text, charset) == pytest.approx(total, abs=1e-9)
    assert text_log_likelihood(lp, "ababab", charset) == float("-inf")      # needs more steps than there are
    best = max(totals, key=totals.get)
    assert beam_decode(lp, 5, charset, beam_width=16, prune=1e-12)[0][0] == best


def test_beam_search_adds_up_paths_that_greedy_decoding_splits():
    # per step: blank 0.4, 'a' 0.35, 'b' 0.25: greedy reads nothing, yet "a" is the likeliest text
    lp = np.log(np.array([[0.4, 0.35, 0.25]] * 2))
    assert greedy_decode(lp, 2, "ab").text == ""
    text, score = beam_decode(lp, 2, "ab")[0]
    assert text == "a" and np.exp(score) == pytest.approx(0.35 ** 2 + 2 * 0.35 * 0.4)


def test_forced_alignment_places_every_character():
    lp = np.log(np.full((8, 3), 0.05))
    for t, c in enumerate([1, 1, 0, 1, 0, 2, 2, 0]):
        lp[t, c] = np.log(0.9)
    spans = forced_alignment(lp, "aab", "ab")
    assert [(s.char, s.t_start, s.t_end) for s in spans] == [("a", 0, 1), ("a", 3, 3), ("b", 5, 6)]
    assert forced_alignment(lp, "aaaaa", "ab") is None          # repeats need blanks: 9 steps


def _reading(text_steps: list[dict[str, float]]) -> object:
    """A reading whose net output at each step is the given {char or '' (blank): probability}."""
    lp = np.full((len(text_steps), len(DEFAULT_CHARSET) + 1), np.log(1e-4), np.float32)
    for t, step in enumerate(text_steps):
        for ch, p in step.items():
            lp[t, 0 if ch == "" else DEFAULT_CHARSET.index(ch) + 1] = np.log(p)
    return greedy_decode(lp, len(lp), DEFAULT_CHARSET)


def _spelled(word: str) -> list[dict[str, float]]:
    return [s for ch in word for s in ({ch: 0.95}, {"": 0.95})]


@pytest.fixture(scope="module")
def repairer():
    return Repairer(Lexicon.load(), DEFAULT_CHARSET, RepairConfig(keep_above=0.9))


def test_a_doubtful_run_together_word_is_split(repairer):
    reading = _reading(_spelled("hello") + [{"": 0.55, " ": 0.45}] + _spelled("world"))
    assert reading.text == "helloworld"
    repaired, confidences = repairer.repair(reading, [0.7])
    assert repaired.text == "hello world" and confidences == [0.7, 0.7]   # both halves stay in their bucket
    assert [c.char for c in repaired.chars] == list("hello world")
    assert repaired.chars[5].t_start == 10                  # the space sits where the net hesitated


def test_a_word_broken_by_a_doubtful_space_is_merged(repairer):
    reading = _reading(_spelled("wo") + [{" ": 0.55, "": 0.45}] + _spelled("rld"))
    assert reading.text == "wo rld"
    assert repairer.repair(reading, [0.7, 0.7])[0].text == "world"


def test_lookalike_glyphs_are_repaired_where_the_net_allows_it(repairer):
    steps = _spelled("C") + [{"I": 0.6, "l": 0.35}, {"": 0.95}] + _spelled("osed")
    reading = _reading(steps)
    assert reading.text == "CIosed"
    assert repairer.repair(reading, [0.7])[0].text == "Closed"


def test_a_known_word_one_edit_away_is_taken_where_the_net_allows_it():
    from lector.postprocess.repair import _lexicon_neighbours
    lexicon = Lexicon.load()
    assert "Christmas" in _lexicon_neighbours("Chrnstmas", lexicon)
    assert "TOTAL:" in _lexicon_neighbours("TOTAI:", lexicon)                # case and punctuation kept
    assert _lexicon_neighbours("Cat", lexicon) == set()                       # short words: too many neighbours
    with_neighbours = Repairer(lexicon, DEFAULT_CHARSET, RepairConfig(keep_above=0.9, lexicon_neighbours=True))
    # the net gave i a little of n's step, and hesitated over three other letters, so its own
    # six best alternatives all keep the n; "Christmas" is still nearly as likely as the reading
    hesitant = _reading(_spelled("C") + [{"h": 0.5, "b": 0.45}, {"": 0.95}] + _spelled("r")
                        + [{"n": 0.85, "i": 0.1}, {"": 0.95}, {"s": 0.5, "z": 0.45}, {"": 0.95}] + _spelled("t")
                        + [{"m": 0.5, "w": 0.45}, {"": 0.95}] + _spelled("as"))
    assert hesitant.text == "Chrnstmas"
    assert with_neighbours.repair(hesitant, [0.7])[0].text == "Christmas"
    assert Repairer(lexicon, DEFAULT_CHARSET, RepairConfig(keep_above=0.9, lexicon_neighbours=False)).repair(
        hesitant, [0.7])[0].text == "Chrnstmas"
    # the net saw an n and nothing like an i: no evidence, no change
    sure = _reading(_spelled("Chrnstmas"))
    assert with_neighbours.repair(sure, [0.7])[0].text == "Chrnstmas"


def test_a_price_point_or_label_colon_the_net_nearly_read_is_restored():
    """A blurred photo's decimal point or colon gets a little under half of its steps: greedy
    decoding drops it, the repair puts it back; where the net saw nothing there, nothing is added."""
    lexicon = Lexicon.load()
    repairer = Repairer(lexicon, DEFAULT_CHARSET, RepairConfig(keep_above=0.9))
    faint_point = _reading(_spelled("8") + [{"": 0.55, ".": 0.45}] + _spelled("30"))
    assert faint_point.text == "830"
    assert repairer.repair(faint_point, [0.7])[0].text == "8.30"
    faint_colon = _reading(_spelled("Date") + [{"": 0.6, ":": 0.4}, {"": 0.95}])
    assert faint_colon.text == "Date"
    assert repairer.repair(faint_colon, [0.7])[0].text == "Date:"
    # off, confident, or no mark seen: as read
    off = Repairer(lexicon, DEFAULT_CHARSET, RepairConfig(keep_above=0.9, punctuation_max_loss=0))
    assert off.repair(faint_point, [0.7])[0].text == "830"
    assert repairer.repair(faint_point, [0.95])[0].text == "830"
    for text in ("830", "2457", "Date"):
        assert repairer.repair(_reading(_spelled(text) + [{"": 0.95}]), [0.7])[0].text == text


def test_repair_needs_the_nets_support_and_spares_confident_words_and_data(repairer):
    # "wrld" is one edit from "world", but the net saw no 'o': no evidence, no change
    reading = _reading(_spelled("wrld"))
    assert repairer.repair(reading, [0.7])[0].text == "wrld"
    # a confident unknown word is kept as read
    odd = _reading(_spelled("Zqxv") + [{"": 0.55, " ": 0.45}] + _spelled("ab"))
    assert repairer.repair(odd, [0.95])[0].text == odd.text
    # numbers, prices, dates and codes are never turned into words
    for data in ("2O17", "1O.5O", "l0/05/2018", "INV-0O1"):
        assert is_protected(data)
        reading = _reading(_spelled(data))
        assert repairer.repair(reading, [0.6])[0].text == data


def test_lexicon_helpers():
    assert split_edges("(Total):") == ("(", "Total", "):")
    assert has_clean_case("Closed") and has_clean_case("TOTAL") and not has_clean_case("CIosed")
    lexicon = Lexicon.load()
    assert lexicon.accepts("Total:") and lexicon.accepts("12.50") and not lexicon.accepts("TOTAl")
    assert lexicon.frequency("the") > lexicon.frequency("receipt") > 0


def test_isotonic_calibration_recovers_the_true_accuracy():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, 20000)
    correct = rng.uniform(0, 1, raw.size) < raw ** 2       # over-confident raw scores
    calibration = fit_calibration(raw, correct)
    grid = np.linspace(0.05, 0.95, 10)
    assert np.all(np.diff(calibration(np.linspace(0, 1, 101))) >= 0)
    assert np.max(np.abs(calibration(grid) - grid ** 2)) < 0.05


def test_bagging_steadies_the_calibration_where_crops_are_few():
    """One isotonic fit follows the noise where samples are few; the average over bootstrap
    fits has a smaller worst error and no steep steps."""
    from lector.recognize.calibration import centred_isotonic
    rng = np.random.default_rng(1)
    grid, fine = np.linspace(0.05, 0.95, 19), np.linspace(0, 1, 101)
    worst, steps = {"one": [], "bagged": []}, {"one": [], "bagged": []}
    for _ in range(10):
        raw = rng.uniform(0, 1, 1000)
        correct = rng.uniform(0, 1, raw.size) < raw ** 2
        for name, fit in (("one", centred_isotonic(raw, correct)), ("bagged", fit_calibration(raw, correct))):
            worst[name].append(np.abs(fit(grid) - grid ** 2).max())
            steps[name].append(np.diff(fit(fine)).max())
    assert np.mean(worst["bagged"]) < 0.92 * np.mean(worst["one"]), worst
    assert np.mean(steps["bagged"]) < 0.7 * np.mean(steps["one"]), steps


def test_wordinator_boxes_each_word_of_a_rendered_line():
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    words = ["TOTAL", "AMOUNT", "12.50", "cash"]
    image = Image.new("L", (520, 50), 255)
    draw = ImageDraw.Draw(image)
    x, truth = 10.0, []
    for word in words:
        truth.append(Box(*draw.textbbox((x, 8), word, font=font)))
        draw.text((x, 8), word, font=font, fill=0)
        x += draw.textlength(word + "  ", font=font)
    crop = np.asarray(image)
    recognizer = Recognizer(RecognizerConfig(model_path=SHIPPED / "wordnet.onnx", threads=1))
    reading = recognizer.read([crop])[0]
    offset = Box(100, 200, 100 + crop.shape[1], 200 + crop.shape[0])
    found = words_from_reading(reading, crop, offset, recognizer.calibration)
    assert [w.text.casefold() for w in found] == [w.casefold() for w in words]
    assert len(word_confidences(reading, recognizer.calibration)) == len(words)
    for word, box in zip(found, truth):
        assert word.box.iou(box.translate(100, 200)) >= 0.7, (word, box)
    # after a repair changes the text, forced alignment still boxes every word
    again = reading_for_text(reading, " ".join(words), DEFAULT_CHARSET)
    assert [w.text for w in words_from_reading(again, crop, offset)] == words



def test_a_mark_read_in_the_nets_tail_is_boxed_at_the_crops_right_end():
    """A net with `tail_steps` reads past the crop: its last steps are appended paper, and a
    mark emitted there still belongs inside the crop (at its right end)."""
    crop = np.full((32, 80), 255, np.uint8)
    crop[8:24, 10:40] = 0                    # "AB"
    crop[20:24, 72:76] = 0                   # "." at the very right edge
    steps = [{"": 0.95}] * 24
    steps[3], steps[8], steps[22] = {"A": 0.95}, {"B": 0.95}, {".": 0.95}   # "." in the tail
    lp = np.full((24, len(DEFAULT_CHARSET) + 1), np.log(1e-4), np.float32)
    for t, step in enumerate(steps):
        for ch, prob in step.items():
            lp[t, 0 if ch == "" else DEFAULT_CHARSET.index(ch) + 1] = np.log(prob)
    reading = greedy_decode(lp, 24, DEFAULT_CHARSET, tail=4)
    assert reading.text == "AB." and reading.crop_steps == 20
    word, = words_from_reading(reading, crop, Box(0, 0, 80, 32))
    assert word.text == "AB." and word.box.x0 == 10 and word.box.x1 == 76


def test_page_gate_empties_pages_of_isolated_specks_only():
    from lector.core.document import Line, Word
    from lector.postprocess.page_gate import gate_page
    specks = (Line.from_words([Word("S", Box(10, 10, 16, 20), 0.95)]),
              Line.from_words([Word("#", Box(40, 60, 48, 70), 0.93), Word("T0", Box(60, 60, 75, 70), 0.91)]))
    assert gate_page(specks) == ()
    text = specks + (Line.from_words([Word("12.50", Box(10, 90, 60, 100), 0.99)]),)
    assert gate_page(text) == text                       # one real word keeps every line
    assert gate_page(specks, min_chars=0) == specks      # switched off
    lined_up = specks + (Line.from_words([Word("232", Box(10, 90, 40, 100), 0.29)]),)
    assert gate_page(lined_up) == ()                     # three specks in a row, read unsure
    assert gate_page(lined_up, min_confidence=0.2) == lined_up


def test_a_text_free_texture_reads_as_an_empty_page():
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_postprocess import text_free_image

    from lector.pipeline import LectorEngine, PipelineConfig
    engine = LectorEngine(PipelineConfig(recognizer=RecognizerConfig(threads=1)))
    rng = np.random.default_rng(7)
    for kind in ("noise", "fabric", "shapes"):
        assert not engine.read_page(text_free_image(kind, rng, shape=(600, 480))).words, kind


def test_cross_fitted_confidences_come_from_the_other_part():
    """Each part is mapped by the calibration fitted on the other one: here part A is always
    right and part B always wrong, so A's crops get B's map (near 0) and B's get A's (near 1)."""
    from lector.train.calibrate import cross_fitted
    rng = np.random.default_rng(3)
    raw_a, raw_b = rng.uniform(0.2, 1.0, 400), rng.uniform(0.2, 1.0, 300)
    confidence, correct = cross_fitted((raw_a, np.ones(400, bool)), (raw_b, np.zeros(300, bool)))
    assert confidence.shape == (700,) and correct[:400].all() and not correct[400:].any()
    assert confidence[:400].max() < 0.05 and confidence[400:].min() > 0.95


def test_words_read_in_a_line_are_right_when_its_truth_holds_them_once():
    """Word-level calibration labels each word read: in the truth (any case), each truth word once."""
    from lector.train.calibrate import words_right
    assert words_right(["Total", "12.50", "12.50", "RM"], "TOTAL 12.50 RM 1.00") == [True, True, False, True]
    assert words_right([], "TOTAL") == [] and words_right(["TOTAL"], "") == [False]
