"""Plate reader: a CRNN (convolutions, then a bidirectional GRU over columns) trained with CTC.

Input: RGB crops resized to ``HEIGHT x WIDTH``. Output: per-column class log-probabilities for
CTC (``text.ALPHABET`` plus blank) and logits over ``regions.REGIONS`` for the issuing region.
"""

from __future__ import annotations

import torch
from torch import nn

from ..regions import REGIONS
from ..text import NUM_CLASSES

HEIGHT = 48
WIDTH = 160


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlateReader(nn.Module):
    def __init__(self, width: int = 1) -> None:
        super().__init__()
        c = [32 * width, 64 * width, 96 * width, 128 * width, 160 * width]
        self.features = nn.Sequential(
            _block(3, c[0]), nn.MaxPool2d(2),  # 24 x 80
            _block(c[0], c[1]), nn.MaxPool2d(2),  # 12 x 40
            _block(c[1], c[2]), _block(c[2], c[2]), nn.MaxPool2d((2, 1)),  # 6 x 40
            _block(c[2], c[3]), _block(c[3], c[3]),
        )  # fmt: skip
        self.squeeze = nn.Sequential(
            nn.MaxPool2d((2, 1)),  # 3 x 40
            nn.Conv2d(c[3], c[4], (3, 1), bias=False), nn.BatchNorm2d(c[4]), nn.ReLU(inplace=True),  # 1 x 40
        )  # fmt: skip
        self.rnn = nn.GRU(c[4], 128, bidirectional=True, batch_first=True)
        self.classifier = nn.Linear(256, NUM_CLASSES)
        self.region = nn.Sequential(
            nn.AdaptiveAvgPool2d((3, 4)), nn.Flatten(), nn.Dropout(0.2), nn.Linear(c[3] * 12, 256),
            nn.ReLU(inplace=True), nn.Linear(256, len(REGIONS)),
        )  # fmt: skip

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``images`` ``(N, 3, H, W)`` in [0, 1] -> CTC log-probs ``(T, N, C)``, region logits ``(N, R)``."""
        maps = self.features((images - 0.5) / 0.25)
        columns = self.squeeze(maps).squeeze(2).permute(0, 2, 1)  # N, T, C
        sequence, _ = self.rnn(columns)
        log_probs = self.classifier(sequence).log_softmax(2).permute(1, 0, 2)
        return log_probs, self.region(maps)
