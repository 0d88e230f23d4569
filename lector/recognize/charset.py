"""The recognizer's alphabet. Class 0 is the CTC blank; class i+1 is CHARSET[i].

The charset travels inside the ONNX model's metadata, so a loaded model never depends on this
constant; it is the default for training new models.
"""
from __future__ import annotations

# Printable ASCII (space included, so one crop may hold several words) plus common receipt symbols.
DEFAULT_CHARSET = "".join(chr(c) for c in range(32, 127)) + "€£°"


def encode(text: str, charset: str) -> list[int]:
    """Class indices for `text`; characters outside the charset are an error for training data."""
    index = {ch: i + 1 for i, ch in enumerate(charset)}
    return [index[ch] for ch in text]


def normalise_text(text: str, charset: str) -> str:
    """Map typographic look-alikes to charset characters; drop what remains outside it."""
    table = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "•": "*", "\u00a0": " ",
             "×": "x", "…": "..."}
    text = "".join(table.get(ch, ch) for ch in text)
    allowed = set(charset)
    return "".join(ch for ch in text if ch in allowed)
