"""State classifier: which US state issued a plate, read from a crop larger than the reader's.

The reader's 48-pixel crop leaves a state's caption a few pixels high; this network reads the
detected box widened by ``PAD`` (captions sit above and below the characters) at
``HEIGHT x WIDTH``, and answers logits over ``CLASSES``: ``unknown`` (not a US plate, or no state
can be told) and the USPS codes of ``regions.US_STATES``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..regions import UNKNOWN, US_STATES
from .reader import _block

HEIGHT = 80
WIDTH = 160
PAD = (0.1, 0.2)  # the box is widened by these shares of its width and height on each side
CLASSES: tuple[str, ...] = (UNKNOWN, *US_STATES)
CLASS_INDEX = {code: i for i, code in enumerate(CLASSES)}
CAPTION_CHANNELS = 16


class StateClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),  # 40x80
            _block(32, 40), nn.MaxPool2d(2),  # 20 x 40
            _block(40, 64), _block(64, 64), nn.MaxPool2d(2),  # 10 x 20
            _block(64, 96), nn.MaxPool2d((2, 1)),  # 5 x 20: a column per caption letter
            _block(96, 128),
        )  # fmt: skip
        # Where a mark sits matters (a caption on top, a slogan below): pool to a coarse grid.
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 6, 192),
            nn.ReLU(inplace=True), nn.Linear(192, len(CLASSES)),
        )  # fmt: skip
        # The generic design differs only in the caption's words: a second head sees the whole
        # 5 x 20 grid (8 pixels a column, about a caption letter), its logits added to the first's.
        # Its last layer starts at zero, so a model fine-tuned from the design head starts as it.
        self.caption = nn.Sequential(
            nn.Conv2d(128, CAPTION_CHANNELS, 1), nn.ReLU(inplace=True), nn.Flatten(), nn.Dropout(0.2),
            nn.Linear(CAPTION_CHANNELS * 5 * 20, 160), nn.ReLU(inplace=True), nn.Linear(160, len(CLASSES)),
        )  # fmt: skip
        last = self.caption[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` ``(N, 3, HEIGHT, WIDTH)`` in [0, 1] -> logits ``(N, len(CLASSES))``."""
        grid = self.features((images - 0.5) / 0.25)
        return self.head(grid) + self.caption(grid)  # type: ignore[no-any-return]
