"""Word Deep Net: CNN (BatchNorm) -> 2-layer bidirectional LSTM -> per-step class scores for CTC.

Input (N, 1, 32, W) in [0, 1], paper 1 and ink 0; output (T=W/4, N, C) log-probabilities, C = len(charset) + 1
(class 0 = blank). Training-only module: inference runs the exported ONNX file.
"""
from __future__ import annotations

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
    # the crop with paper. Unshifted, the frame is ink (0), and the net learned to discount ink
    # at the crop's edge; v11 dropped a word's last narrow mark ("RECEIPT." read "RECEIPT").
    paper_zero: bool = False
    # Steps of blank paper appended after every crop, inside the net (so ONNX and PyTorch agree
    # and every reader gets them). CTC emits a character a step or two behind its ink: a crop
    # that ends right after a narrow mark (":" "," ".") leaves it no step to be read in. The
    # output has this many steps more than W/4, and they count as the crop's.
    tail_steps: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


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
