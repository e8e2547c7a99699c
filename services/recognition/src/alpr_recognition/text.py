"""Plate alphabet and CTC decoding: indices in, plate text with confidence and top-N candidates out."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import torch

from alpr_common import normalize_plate

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BLANK = 0  # CTC blank; character i of ALPHABET is class i + 1
NUM_CLASSES = len(ALPHABET) + 1
_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}


def encode(text: str) -> list[int]:
    """Class indices of a plate's characters (normalised first: spaces, dashes dropped)."""
    return [_INDEX[ch] for ch in normalize_plate(text)]


@dataclass(frozen=True, slots=True)
class Reading:
    plate: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]


def _greedy(log_probs: torch.Tensor) -> tuple[str, list[tuple[int, float, torch.Tensor]]]:
    """Best path: the text and, per emitted character, (class, probability, the step's distribution)."""
    probs = log_probs.exp()
    best = probs.argmax(dim=1).tolist()
    chars: list[tuple[int, float, torch.Tensor]] = []
    previous = BLANK
    for step, cls in enumerate(best):
        if cls != BLANK and cls != previous:
            chars.append((cls, float(probs[step, cls]), probs[step]))
        elif cls != BLANK and chars and float(probs[step, cls]) > chars[-1][1]:
            chars[-1] = (cls, float(probs[step, cls]), probs[step])  # a repeated step: keep its best
        previous = cls
    return "".join(ALPHABET[c - 1] for c, _, _ in chars), chars


def decode(log_probs: torch.Tensor, top_n: int = 5) -> Reading:
    """Reads one sequence of per-step log-probabilities ``(T, NUM_CLASSES)``.

    The plate is the best path; its confidence is the product of its characters' probabilities.
    Candidates swap the least certain characters for their runners-up (at most two swaps), the
    alternatives a person checking a misread would try first (R19).
    """
    text, chars = _greedy(log_probs)
    if not chars:
        return Reading("", 0.0, ())
    base = [p for _, p, _ in chars]
    confidence = math.prod(base)
    options: list[list[tuple[int, float]]] = []
    for cls, _, dist in chars:
        alt = dist.clone()
        alt[BLANK] = 0
        alt[cls] = 0
        values, indices = alt.topk(2)
        options.append([(int(i), float(v)) for v, i in zip(values, indices, strict=True) if float(v) > 0.01])
    scored: dict[str, float] = {text: confidence}
    singles: list[tuple[float, int, int, float]] = []
    for pos, alts in enumerate(options):
        for cls, p in alts:
            singles.append((confidence / base[pos] * p, pos, cls, p))
    for score, pos, cls, _ in heapq.nlargest(top_n * 2, singles):
        chars_list = list(text)
        chars_list[pos] = ALPHABET[cls - 1]
        scored.setdefault("".join(chars_list), score)
    top_singles = heapq.nlargest(4, singles)
    for i, (_, pos_a, cls_a, p_a) in enumerate(top_singles):
        for _, pos_b, cls_b, p_b in top_singles[i + 1 :]:
            if pos_a == pos_b:
                continue
            chars_list = list(text)
            chars_list[pos_a] = ALPHABET[cls_a - 1]
            chars_list[pos_b] = ALPHABET[cls_b - 1]
            score = confidence / base[pos_a] / base[pos_b] * p_a * p_b
            scored.setdefault("".join(chars_list), score)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])[:top_n]
    return Reading(text, confidence, tuple((plate, min(1.0, score)) for plate, score in ranked))


def calibrate(confidence: float, temperature: float) -> float:
    """A plate-level confidence scaled by ``temperature`` on its log (``p ** (1 / T)``, clipped to
    [0, 1]): monotone, so the order of reads and candidates never changes (issue 21, item 3)."""
    if confidence <= 0.0:
        return 0.0
    return min(1.0, math.exp(math.log(confidence) / temperature))
