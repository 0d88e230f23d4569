"""Word Deep Net: CNN (BatchNorm) -> 2-layer bidirectional LSTM -> per-step class scores for CTC.

Input (N, 1, 32, W) in [0, 1], paper 1 and ink 0; output (T=W/4, N, C) log-probabilities, C = len(charset) + 1
(class 0 = blank). Training-only module: inference runs the exported ONNX file.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch
from torch import nn

from lector.recognize.preprocess import TIME_STRIDE


@dataclass(frozen=True)
class WordNetConfig:
    num_classes: int
    channels: tuple[int, ...] = (32, 64, 128, 128, 192, 256)
    lstm_hidden: int = 128
    lstm_layers: int = 2
    input_height: int = 32
    # Shift the input so paper is 0 before the first convolution: its zero padding then frames
    # the crop with paper, not ink (0). v11 drops a word's last narrow mark ("RECEIPT." read
    # "RECEIPT"); trained this way (v14) it dropped fewer but misread as many other words.
    paper_zero: bool = False
    # Steps of blank paper appended after every crop, inside the net (so ONNX and PyTorch agree
    # and every reader gets them); the output has this many steps more than W/4, and they count
    # as the crop's. CTC emits a character a step or two behind its ink, and the backward LSTM
    # reads the paper after the text first: with 4, v11's weights read held-out SROIE words
    # 0.933 -> 0.937 however they are batched, but pages a little worse (README).
    tail_steps: int = 0

    # the settings that shape the net, as training configs and checkpoints name them
    ARCHITECTURE = ("channels", "lstm_hidden", "lstm_layers", "paper_zero", "tail_steps")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_settings(cls, settings: Mapping) -> "WordNetConfig":
        """The net a training config or checkpoint config (with its charset) describes; what an
        older one leaves out takes the default."""
        given = {k: settings[k] for k in cls.ARCHITECTURE if k in settings}
        if "channels" in given:
            given["channels"] = tuple(given["channels"])
        return cls(num_classes=len(settings["charset"]) + 1, **given)

    def architecture(self) -> dict:
        return {k: getattr(self, k) for k in self.ARCHITECTURE}


def _conv(cin: int, cout: int, kernel=(3, 3), padding=(1, 1)) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, padding=padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class WordNet(nn.Module):
    def __init__(self, config: WordNetConfig):
        super().__init__()
        self.config = config
        c1, c2, c3, c4, c5, c6 = config.channels
        self.cnn = nn.Sequential(
            *_conv(1, c1), nn.MaxPool2d(2, 2),                 # 32 -> 16, W -> W/2
            *_conv(c1, c2), nn.MaxPool2d(2, 2),                # 16 -> 8,  W/2 -> W/4
            *_conv(c2, c3), *_conv(c3, c4), nn.MaxPool2d((2, 1), (2, 1)),   # 8 -> 4
            *_conv(c4, c5), nn.MaxPool2d((2, 1), (2, 1)),      # 4 -> 2
            *_conv(c5, c6, kernel=(2, 1), padding=(0, 0)),     # 2 -> 1
        )
        self.rnn = nn.LSTM(c6, config.lstm_hidden, num_layers=config.lstm_layers, bidirectional=True)
        self.head = nn.Linear(2 * config.lstm_hidden, config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.config.tail_steps:
            images = nn.functional.pad(images, (0, TIME_STRIDE * self.config.tail_steps), value=1.0)
        if self.config.paper_zero:
            images = images - 1.0
        features = self.cnn(images).squeeze(2)          # (N, C, T)
        sequence = features.permute(2, 0, 1)            # (T, N, C)
        hidden, _ = self.rnn(sequence)
        return self.head(hidden).log_softmax(-1)        # (T, N, classes)

    def output_lengths(self, input_lengths: torch.Tensor) -> torch.Tensor:
        """Valid output steps of crops `input_lengths` (W/4) steps wide: the tail is theirs too."""
        return input_lengths + self.config.tail_steps


def shift_to_paper_zero(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Weights of a net trained without `paper_zero`, for one with it: away from the crop's
    edges the first layer computes exactly what it did (its BatchNorm's running mean absorbs
    the shift of the input). Deeper layers see the top and bottom rows at every step, so the
    converted net reads a little differently and is trained on from there (v11 converted:
    held-out SROIE words 0.932 as before, FUNSD words 0.822 -> 0.812)."""
    shifted = dict(weights)
    shifted["cnn.1.running_mean"] = weights["cnn.1.running_mean"] - weights["cnn.0.weight"].sum(dim=(1, 2, 3))
    return shifted
