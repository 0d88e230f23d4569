"""Re-assemble the readings of a crop that was read in pieces (`lector.detect.crops.chop_box`).

A segment wider than the recognizer takes is cut into overlapping pieces; each piece is read on
its own. The CTC path places every character: time step t of a piece covers its crop pixels
[t, t + 1) x (piece width / steps). Each character is put back at its place in the whole crop;
each overlap is cut once, in a gap between characters near its middle, and each piece speaks
for its side of the cuts. The result is one `Reading` on the whole crop's time axis, so word
boxes come out of the Wordinator as if the crop had been read at once.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lector.detect.crops import Chop
from lector.recognize.ctc import CharSpan, Reading


def assemble_readings(pieces: Sequence[Reading], chops: Sequence[Chop], piece_widths: Sequence[int],
                      whole_width: int) -> Reading:
    """One reading of the whole crop (`whole_width` px) from the readings of its pieces.

    `piece_widths` are the widths (px) of the crops the pieces were read from, in the order of
    `chops`. Two pieces place a character they both saw a step or two apart, so the cut
    between them is not taken at a fixed point, where such a character could fall on both
    sides or on neither: it is moved to the middle of the widest gap between the left piece's
    characters in the central half of the overlap, and the right piece's characters are
    judged after undoing their offset (the median offset of the characters both read). The
    whole reading's time step is the first piece's (all
    pieces share the crop's height, so their scale); its confidence is the least confident
    piece's.
    """
    if len(pieces) != len(chops) or len(pieces) != len(piece_widths):
        raise ValueError("one reading, one chop and one width per piece")
    if not pieces:
        return Reading(text="", confidence=0.0, chars=(), steps=0)
    if len(pieces) == 1:
        return pieces[0]
    confidence = min(p.confidence for p in pieces)
    reference = next(((w, p.crop_steps) for p, w in zip(pieces, piece_widths) if p.crop_steps > 0), None)
    if reference is None:
        return Reading(text="", confidence=confidence, chars=(), steps=0)
    whole_step = reference[0] / reference[1]                  # crop px per time step
    steps = max(1, int(round(whole_width / whole_step)))
    placed = [_place(reading, chop, width) for reading, chop, width in zip(pieces, chops, piece_widths)]
    # cut k lies between pieces k and k + 1; piece k + 1 places characters shifts[k] px later
    cuts, shifts = [], []
    for k in range(len(chops) - 1):
        overlap = (chops[k + 1].offset, chops[k].offset + piece_widths[k])
        shift = _shift(placed[k], placed[k + 1], overlap)
        cuts.append(_cut_in_gap(placed[k], overlap, chops[k].keep_to))
        shifts.append(shift)
    chars: list[CharSpan] = []
    for k, spans in enumerate(placed):
        for span, start, end in spans:
            centre = (start + end) / 2
            if k > 0 and centre - shifts[k - 1] < cuts[k - 1]:
                continue
            if k < len(cuts) and centre >= cuts[k]:
                continue
            t_start = int(np.clip(np.floor(start / whole_step), 0, steps - 1))
            t_end = int(np.clip(np.ceil(end / whole_step) - 1, t_start, steps - 1))
            chars.append(CharSpan(span.char, t_start, t_end, span.probability))
    chars = _tidy_spaces(chars)
    return Reading(text="".join(c.char for c in chars), confidence=confidence, chars=tuple(chars), steps=steps)


def _place(reading: Reading, chop: Chop, width: int) -> list[tuple[CharSpan, float, float]]:
    """Each character of a piece with its start and end in the whole crop's pixels."""
    if reading.crop_steps <= 0:
        return []
    step = width / reading.crop_steps
    return [(span, chop.offset + span.t_start * step, chop.offset + (span.t_end + 1) * step) for span in reading.chars]


def _shift(left: list, right: list, overlap: tuple[float, float]) -> float:
    """How much later (px) the right piece places the characters both pieces read in their
    overlap: the median offset between each left character and the nearest same character on
    the right; 0 when fewer than two pair up."""
    lo, hi = overlap
    reach = (hi - lo) / 4
    inside_right = [(span.char, (start + end) / 2) for span, start, end in right if lo <= (start + end) / 2 <= hi]
    offsets = []
    for span, start, end in left:
        centre = (start + end) / 2
        if not lo <= centre <= hi or span.char == " ":
            continue
        same = [c - centre for ch, c in inside_right if ch == span.char and abs(c - centre) <= reach]
        if same:
            offsets.append(min(same, key=abs))
    return float(np.median(offsets)) if len(offsets) >= 2 else 0.0


def _cut_in_gap(left: list, overlap: tuple[float, float], default: float) -> float:
    """Where to cut between two pieces: the middle of the widest gap between the left piece's
    characters in the central half of the overlap (`default` if it places none there)."""
    lo, hi = overlap
    quarter = (hi - lo) / 4
    centres = sorted((start + end) / 2 for span, start, end in left if lo + quarter <= (start + end) / 2 <= hi - quarter)
    if not centres:
        return default
    bounds = [lo + quarter, *centres, hi - quarter]
    k = int(np.argmax(np.diff(bounds)))
    return (bounds[k] + bounds[k + 1]) / 2


def _tidy_spaces(chars: list[CharSpan]) -> list[CharSpan]:
    """No space at either end and none twice in a row: a cut at a word gap may give both pieces'
    reading of the gap a space."""
    tidy: list[CharSpan] = []
    for span in chars:
        if span.char == " " and (not tidy or tidy[-1].char == " "):
            continue
        tidy.append(span)
    while tidy and tidy[-1].char == " ":
        tidy.pop()
    return tidy
