"""Scoring plate reads against labels: the figures ``alpr recognition eval`` and the benchmark print.

Exact-plate accuracy compares normalised text; character accuracy is 1 - Levenshtein distance /
the longer length; detection recall and precision count boxes at IoU >= 0.5. The read's
confidence (issue 21, item 3): its expected calibration error over the frames read, the read rate
at 95 % precision (the share of frames whose read is at or above the lowest confidence at which
the reads there are right 95 % of the time), and top-5 coverage (the share of frames whose plate is
among the read's candidates, beside exact accuracy: the top read alone). State accuracy is
over the US images whose state a person could read (``states.csv`` not ``unknown``), and the
expected calibration error compares ``region_confidence`` with how often the state model's best
guess is right. Beside each ECE, the ECE a perfectly calibrated reader would show with the same
confidences on as many images (``calibrated_ece``): on a few dozen images it is far from zero.

Beside the exact figure and the ECE, the same with the letter O and the digit 0 counted as one
character (``same_but_o0``): the development labels' documented quirk (``plates-dev/README.md``)
is O where the plate's series has a digit (Slovak ``RKO99AN`` for ``RK099AN``). The strict figures
are the goals'; the other says how much of a miss is that quirk.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from alpr_common import normalize_plate

from .devset import StateLabel

BoxT = tuple[float, float, float, float]


def iou(a: BoxT, b: BoxT) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def same_but_o0(truth: str, read: str) -> bool:
    """Equal once the letter O and the digit 0 are one character."""
    return normalize_plate(truth).replace("O", "0") == normalize_plate(read).replace("O", "0")


def char_accuracy(truth: str, read: str) -> float:
    truth, read = normalize_plate(truth), normalize_plate(read)
    longest = max(len(truth), len(read))
    return 1.0 if longest == 0 else 1.0 - Levenshtein.distance(truth, read) / longest


@dataclass(frozen=True, slots=True)
class Predicted:
    plate: str
    confidence: float
    box: BoxT | None  # None when the reader gives no box (a whole-frame OCR peer)
    region: str = "unknown"
    region_confidence: float = 0.0
    region_guess: str | None = None  # the state model's best class before its threshold
    candidates: tuple[str, ...] = ()  # the read's candidate plates, best first


def read_rate_at_precision(pairs: list[tuple[float, bool]], total: int, precision: float = 0.95) -> float:
    """The share of ``total`` frames whose read has at least the lowest confidence at which the reads
    at or above it are right ``precision`` of the time (0 when no threshold reaches it)."""
    right = 0
    answered = 0
    for k, (_, ok) in enumerate(sorted(pairs, key=lambda pair: -pair[0]), start=1):
        right += int(ok)
        if right / k >= precision:
            answered = k
    return answered / max(1, total)


def expected_calibration_error(pairs: list[tuple[float, bool]], bins: int = 10) -> float:
    """ECE: the mean over equal-width confidence bins of |accuracy - mean confidence|, weighted by
    the bin's share of the samples."""
    if not pairs:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in pairs if lo < c <= hi or (b == 0 and c == 0)]
        if inside:
            accuracy = sum(ok for _, ok in inside) / len(inside)
            confidence = sum(c for c, _ in inside) / len(inside)
            total += len(inside) / len(pairs) * abs(accuracy - confidence)
    return total


def calibrated_ece(pairs: list[tuple[float, bool]], draws: int = 1000, seed: int = 0) -> tuple[float, float]:
    """The ECE a perfectly calibrated reader would show with these confidences on this many samples:
    its median and 95th percentile over ``draws`` draws in which each answer is right with the
    probability its confidence gives. Ten bins over a few dozen images hold a handful of answers
    each, so sampling alone gives an ECE well above zero: one below the 95th percentile is no
    evidence that the confidences are off (issue 21, item 3)."""
    if not pairs:
        return 0.0, 0.0
    rng = random.Random(seed)
    drawn = sorted(
        expected_calibration_error([(c, rng.random() < c) for c, _ in pairs]) for _ in range(draws)
    )
    return statistics.median(drawn), drawn[int(0.95 * (len(drawn) - 1))]


@dataclass(slots=True)
class StateScore:
    """The issuing state of US plates: right, answered ``unknown``, calibration (``sure`` labels apart)."""

    answers: list[tuple[str, str, bool]] = field(default_factory=list)  # truth, answer, label sure
    calibration: list[tuple[float, bool]] = field(default_factory=list)  # confidence, best guess right

    @property
    def images(self) -> int:
        return len(self.answers)

    def add(self, truth: str, sure: bool, chosen: Predicted | None) -> None:
        self.answers.append((truth, chosen.region if chosen else "unknown", sure))
        if chosen is not None:
            self.calibration.append((chosen.region_confidence, chosen.region_guess == truth))

    def row(self) -> dict[str, float]:
        sure = [a for a in self.answers if a[2]]
        calibrated = calibrated_ece(self.calibration)
        return {
            "state_images": len(self.answers),
            "state_accuracy": _share(self.answers, lambda a: a[1] == a[0]),
            "state_accuracy_sure": _share(sure, lambda a: a[1] == a[0]),
            "state_unknown": _share(self.answers, lambda a: a[1] == "unknown"),
            "state_ece": expected_calibration_error(self.calibration),
            "state_ece_calibrated_p50": calibrated[0],
            "state_ece_calibrated_p95": calibrated[1],
        }


def _share(answers: list[tuple[str, str, bool]], test: Callable[[tuple[str, str, bool]], bool]) -> float:
    return sum(map(test, answers)) / max(1, len(answers))


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
    calibration: list[tuple[float, bool]] = field(default_factory=list)  # the read's confidence, right
    calibration_o0: list[tuple[float, bool]] = field(default_factory=list)  # right with O and 0 as one
    exact_o0: int = 0
    covered: int = 0  # frames whose plate is among the read's candidates (or is the read)
    state: StateScore = field(default_factory=lambda: StateScore())

    def add(
        self,
        truth: str,
        truth_box: BoxT | None,
        predicted: list[Predicted],
        millis: float,
        state: StateLabel | None = None,
    ) -> str:
        """Scores one image (its state too where ``state`` names one); answers the plate it reads."""
        self.images += 1
        self.millis.append(millis)
        self.predictions += len(predicted)
        chosen = pick(predicted)
        if state is not None and state.state != "unknown":
            self.state.add(state.state, state.sure, chosen)
        text = chosen.plate if chosen else ""
        right = normalize_plate(text) == normalize_plate(truth)
        self.exact += int(right)
        self.exact_o0 += int(same_but_o0(truth, text))
        if chosen is not None:
            self.calibration.append((chosen.confidence, right))
            self.calibration_o0.append((chosen.confidence, same_but_o0(truth, text)))
            plates = {normalize_plate(c) for c in chosen.candidates}
            self.covered += int(right or normalize_plate(truth) in plates)
        self.chars += char_accuracy(truth, text)
        if truth_box is not None:
            self.boxes_true += 1
            matched = [p for p in predicted if p.box is not None and iou(p.box, truth_box) >= 0.5]
            self.boxes_found += int(bool(matched))
            self.predictions_matched += len(matched)
        return text

    def row(self) -> dict[str, float]:
        ms = sorted(self.millis) or [0.0]
        calibrated = calibrated_ece(self.calibration)
        return {
            "images": self.images,
            "exact_accuracy": self.exact / max(1, self.images),
            "exact_accuracy_o0": self.exact_o0 / max(1, self.images),
            "char_accuracy": self.chars / max(1, self.images),
            "detection_recall": self.boxes_found / max(1, self.boxes_true),
            "detection_precision": self.predictions_matched / max(1, self.predictions),
            "confidence_ece": expected_calibration_error(self.calibration),
            "confidence_ece_calibrated_p50": calibrated[0],
            "confidence_ece_calibrated_p95": calibrated[1],
            "confidence_ece_o0": expected_calibration_error(self.calibration_o0),
            "read_rate_p95": read_rate_at_precision(self.calibration, self.images),
            "top5_coverage": self.covered / max(1, self.images),
            "ms_p50": statistics.median(ms),
            "ms_p95": ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))],
            **(self.state.row() if self.state.images else {}),
        }


def pick(predicted: Iterable[Predicted]) -> Predicted | None:
    """The frame's reading: the reader's first read (ours orders a frame's reads its own plate
    first, ``pipeline.primary_first``). The label's box is not used to choose (a reader gets no
    help from the answer); it only decides detection recall."""
    return next(iter(predicted), None)
