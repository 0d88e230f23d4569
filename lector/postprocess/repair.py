"""Lexicon repair of middle-confidence words, scored by the net's own CTC output.

The confidence buckets: a word read with high confidence is kept as read, a low one is dropped
as noise, and a middle one gets here. Candidates come from four places: the net's own
alternatives (prefix beam search over the word's time steps), single substitutions between
glyphs that look alike (I/l/1, O/0, rn/m...), the known words one edit away ("Chrnstmas"), and
splits into two known words ("helloworld"); neighbouring words in one crop may be merged
("wo rld"). A candidate must be a known word (or
a number/date/code pattern) in a clean case, and the net must find it nearly as likely as what
it read: log P(candidate | crop) >= log P(reading | crop) - `max_loss`. Edit distance alone
never decides, and a token that looks like data (digits, e-mails, URLs) is never changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lector.postprocess.lexicon import Lexicon, has_clean_case, is_protected, split_edges
from lector.recognize.ctc import Reading, beam_decode, encode_text, reading_for_text, text_log_likelihood

# glyph pairs a recognizer confuses; each is tried as a single substitution, both ways
LOOKALIKES = (("I", "l"), ("l", "1"), ("I", "1"), ("i", "l"), ("O", "0"), ("o", "0"), ("O", "D"), ("S", "5"),
              ("B", "8"), ("Z", "2"), ("G", "6"), ("rn", "m"), ("cl", "d"), ("vv", "w"), ("ii", "u"),
              ("c", "e"), ("n", "h"), ("u", "v"), ("C", "G"), ("E", "F"), ("P", "R"), ("Q", "O"), ("T", "I"),
              ("M", "W"), ("N", "H"), ("L", "I"), ("K", "X"))


MIN_MARK_MASS = 0.1    # of a missing mark's probability over a word's steps, before its likelihood is scored


@dataclass(frozen=True)
class RepairConfig:
    keep_above: float = 0.9      # at or above: kept as read
    max_loss: float = 4.0        # nats of CTC log-likelihood a candidate may lose against the reading
    beam_width: int = 6
    frequency_weight: float = 0.3
    lexicon_neighbours: bool = True   # also try the known words one edit away (words of 4+ letters)
    punctuation_max_loss: float = 1.0  # nats a small mark the net nearly read may cost (`_punctuation_edits`); 0: off


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    first: int          # index of its first character in reading.chars
    last: int           # index of its last character


def _tokens(reading: Reading) -> list[_Token]:
    tokens, start = [], None
    for i, span in enumerate(reading.chars + (None,)):
        if span is None or span.char == " ":
            if start is not None:
                tokens.append(_Token("".join(c.char for c in reading.chars[start:i]), start, i - 1))
            start = None
        elif start is None:
            start = i
    return tokens


def _window(reading: Reading, first: int, last: int) -> np.ndarray:
    """The token's time steps, out to (not into) its neighbouring characters."""
    chars = reading.chars
    lo = chars[first - 1].t_end + 1 if first > 0 else 0
    hi = chars[last + 1].t_start if last + 1 < len(chars) else reading.steps
    return reading.log_probs[lo:hi]


def _lookalike_edits(word: str) -> set[str]:
    out = set()
    for a, b in LOOKALIKES:
        for src, dst in ((a, b), (b, a)):
            start = word.find(src)
            while start >= 0:
                out.add(word[:start] + dst + word[start + len(src):])
                start = word.find(src, start + 1)
    return out


def _splits(word: str, lexicon: Lexicon) -> set[str]:
    _, core, _ = split_edges(word)
    out = set()
    for i in range(2, len(core) - 1):
        left, right = core[:i], core[i:]
        if (left in lexicon or is_protected(left)) and right in lexicon:
            out.add(word.replace(core, f"{left} {right}", 1))
    return out


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _lexicon_neighbours(word: str, lexicon: Lexicon, min_length: int = 4) -> set[str]:
    """The known words one edit (substitution, insertion, deletion, swap of neighbours) from the
    word's core, in its case, with its clinging punctuation: "Chrnstmas" -> "Christmas". Only
    candidates: the net's likelihood decides (`Repairer._best`)."""
    pre, core, post = split_edges(word)
    if len(core) < min_length or not has_clean_case(core):
        return set()
    low = core.lower()
    cuts = [(low[:i], low[i:]) for i in range(len(low) + 1)]
    edits = {a + b[1:] for a, b in cuts if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in cuts if b for c in LETTERS}
    edits |= {a + c + b for a, b in cuts for c in LETTERS}
    known = [e for e in edits if e in lexicon.zipf and e != low]
    if core.isupper():
        known = [e.upper() for e in known]
    elif core[0].isupper():
        known = [e.capitalize() for e in known]
    return {pre + e + post for e in known}


def _punctuation_edits(word: str) -> dict[str, str]:
    """The word with the small mark a blurred photo loses, each with that mark: the decimal point
    of a price ("850" -> "8.50") or a label's colon ("Date" -> "Date:"). Only candidates: the net
    must have nearly read the mark itself (`RepairConfig.punctuation_max_loss`). Model v11, photos /
    held-out forms, each alone: decimal point +13 / +0 words, colon +2 / +0; a trailing point
    ("Apt.") +1 / -12 and a point read as a colon +1 / -2 are not tried."""
    out = {}
    if len(word) >= 3 and word.isdigit():
        out[word[:-2] + "." + word[-2:]] = "."
    if word[-1:].isalpha():
        out[word + ":"] = ":"
    return out


def _known(token: str, lexicon: Lexicon) -> bool:
    return all(lexicon.accepts(part) for part in token.split(" "))


def _in_need(token: str, lexicon: Lexicon) -> bool:
    """An unprotected word the lexicon does not accept as it stands."""
    _, core, _ = split_edges(token)
    return bool(core) and not is_protected(core) and not lexicon.accepts(token)


class Repairer:
    """Repairs the middle-confidence words of one reading; holds the lexicon and the charset."""

    def __init__(self, lexicon: Lexicon, charset: str, config: RepairConfig = RepairConfig()):
        self.lexicon, self.charset, self.config = lexicon, charset, config

    def _best(self, window: np.ndarray, read: str, candidates: set[str]) -> str | None:
        floor = text_log_likelihood(window, read, self.charset) - self.config.max_loss
        best, best_score = None, -np.inf
        for candidate in candidates:
            if candidate == read or not _known(candidate, self.lexicon):
                continue
            ll = text_log_likelihood(window, candidate, self.charset)
            if ll < floor:
                continue
            score = ll + self.config.frequency_weight * min(
                self.lexicon.frequency(split_edges(p)[1]) for p in candidate.split(" "))
            if score > best_score:
                best, best_score = candidate, score
        return best

    def _merge(self, reading: Reading, left: _Token, right: _Token) -> str | None:
        """The two neighbours as one word, where one of them is unknown, together they make a
        known word, and the net finds no space between them nearly as likely as a space."""
        joined = left.text + right.text
        if not (_in_need(left.text, self.lexicon) or _in_need(right.text, self.lexicon)) or is_protected(joined):
            return None
        if not _known(joined, self.lexicon) or not has_clean_case(split_edges(joined)[1]):
            return None
        window = _window(reading, left.first, right.last)
        apart = text_log_likelihood(window, f"{left.text} {right.text}", self.charset)
        return joined if text_log_likelihood(window, joined, self.charset) >= apart - self.config.max_loss else None

    def _replacement(self, reading: Reading, token: _Token) -> str | None:
        """The best known spelling among the net's alternatives, look-alike swaps, case
        variants and splits, if the net supports it."""
        window = _window(reading, token.first, token.last)
        candidates = {text.strip() for text, _ in beam_decode(window, len(window), self.charset, self.config.beam_width)}
        candidates |= _lookalike_edits(token.text) | _splits(token.text, self.lexicon)
        candidates |= {token.text.upper(), token.text.lower(), token.text.capitalize()}
        if self.config.lexicon_neighbours:
            candidates |= _lexicon_neighbours(token.text, self.lexicon)
        return self._best(window, token.text, {c for c in candidates if c and not is_protected(split_edges(c)[1])})

    def _punctuated(self, reading: Reading, token: _Token) -> str | None:
        """The token with a mark the net nearly read, if it found one nearly as likely. A mark
        the net gave under `MIN_MARK_MASS` probability summed over the token's steps cannot come
        within the allowed loss, and is not scored (the forward pass is the repair's cost)."""
        if self.config.punctuation_max_loss <= 0:
            return None
        window = _window(reading, token.first, token.last)
        candidates = [c for c, mark in _punctuation_edits(token.text).items()
                      if self._mark_mass(window, mark) >= MIN_MARK_MASS]
        if not candidates:
            return None
        floor = text_log_likelihood(window, token.text, self.charset) - self.config.punctuation_max_loss
        best, best_ll = None, floor
        for candidate in candidates:
            ll = text_log_likelihood(window, candidate, self.charset)
            if ll >= best_ll:
                best, best_ll = candidate, ll
        return best

    def _mark_mass(self, window: np.ndarray, mark: str) -> float:
        """Probability the net put on `mark`, summed over `window`."""
        index = encode_text(mark, self.charset)
        return float(np.exp(window[:, index[0]]).sum()) if index else 0.0

    def repair(self, reading: Reading, word_confidences: list[float]) -> tuple[Reading, list[float]]:
        """The repaired reading, and for each of its words the confidence of the word(s) it came
        from: the bucket was decided on what the net read, so a repaired middle-bucket word stays
        in, even where the net found the repaired spelling a little less likely.

        `word_confidences`: one per space-separated token of `reading.text`, in order."""
        unchanged = reading, list(word_confidences)
        if reading.log_probs is None or not reading.chars:
            return unchanged
        tokens = _tokens(reading)
        if len(tokens) != len(word_confidences):
            return unchanged
        middle = [c < self.config.keep_above for c in word_confidences]
        replaced: dict[int, str] = {}        # token index -> new text ("" : merged into the one before)
        merged_with_next: set[int] = set()
        for k, token in enumerate(tokens):
            if k in replaced:
                continue
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            if nxt is not None and (middle[k] or middle[k + 1]):
                joined = self._merge(reading, token, nxt)
                if joined is not None:
                    replaced[k], replaced[k + 1] = joined, ""
                    merged_with_next.add(k)
                    continue
            if middle[k] and _in_need(token.text, self.lexicon):
                best = self._replacement(reading, token)
                if best is not None:
                    replaced[k] = best
            if middle[k] and k not in replaced:
                marked = self._punctuated(reading, token)
                if marked is not None:
                    replaced[k] = marked
        if not replaced:
            return unchanged
        words, floors = [], []
        for k, token in enumerate(tokens):
            new = replaced.get(k, token.text)
            if not new:
                continue                            # merged into the word before
            source = min(word_confidences[k], word_confidences[k + 1]) if k in merged_with_next else word_confidences[k]
            words.append(new)
            floors += [source] * len(new.split(" "))
        repaired = reading_for_text(reading, " ".join(words), self.charset)
        return (repaired, floors) if repaired is not None else unchanged
