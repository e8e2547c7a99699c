"""Scoring plate reads against labels: the figures ``alpr recognition eval`` and the benchmark print.

Exact-plate accuracy compares normalised text; character accuracy is 1 - Levenshtein distance /
the longer length; detection recall and precision count boxes at IoU >= 0.5.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from alpr_common import normalize_plate

BoxT = tuple[float, float, float, float]


def iou(a: BoxT, b: BoxT) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def char_accuracy(truth: str, read: str) -> float:
    truth, read = normalize_plate(truth), normalize_plate(read)
    longest = max(len(truth), len(read))
    return 1.0 if longest == 0 else 1.0 - Levenshtein.distance(truth, read) / longest


@dataclass(frozen=True, slots=True)
class Predicted:
    plate: str
    confidence: float
    box: BoxT | None  # None when the reader gives no box (a whole-frame OCR peer)


@dataclass(slots=True)
class Score:
    images: int = 0
    exact: int = 0
    chars: float = 0.0
    boxes_true: int = 0
    boxes_found: int = 0  # true boxes with a prediction at IoU >= 0.5
    predictions: int = 0
    predictions_matched: int = 0
    millis: list[float] = field(default_factory=list)

    def add(self, truth: str, truth_box: BoxT | None, predicted: list[Predicted], millis: float) -> str:
        """Scores one image; answers the plate taken as its reading."""
        self.images += 1
        self.millis.append(millis)
        self.predictions += len(predicted)
        chosen = pick(predicted)
        text = chosen.plate if chosen else ""
        self.exact += int(normalize_plate(text) == normalize_plate(truth))
        self.chars += char_accuracy(truth, text)
        if truth_box is not None:
            self.boxes_true += 1
            matched = [p for p in predicted if p.box is not None and iou(p.box, truth_box) >= 0.5]
            self.boxes_found += int(bool(matched))
            self.predictions_matched += len(matched)
        return text

    def row(self) -> dict[str, float]:
        ms = sorted(self.millis) or [0.0]
        return {
            "images": self.images,
            "exact_accuracy": self.exact / max(1, self.images),
            "char_accuracy": self.chars / max(1, self.images),
            "detection_recall": self.boxes_found / max(1, self.boxes_true),
            "detection_precision": self.predictions_matched / max(1, self.predictions),
            "ms_p50": statistics.median(ms),
            "ms_p95": ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))],
        }


def pick(predicted: Iterable[Predicted]) -> Predicted | None:
    """The frame's reading: its most confident read. The label's box is not used to choose (a
    reader gets no help from the answer); it only decides detection recall."""
    return max(predicted, key=lambda p: p.confidence, default=None)
