"""Plate-format prior: the serial shapes a jurisdiction issues, to re-rank the reader's candidates.

A shape is a string of ``L`` (a letter) and ``D`` (a digit); separators are not characters and are
left out. The tables hold the standard passenger series of recent decades (plates of older series
stay on the road, so a state lists several), not vanity, dealer, commercial or special plates:
those fall outside the shapes and get the penalty, never a refusal (issue 21, item 2).

Where the facts come from: public knowledge of US licence-plate serial formats as the states'
motor-vehicle departments issue them and as public references on US registration plates describe
them (e.g. California ``1ABC234`` since 1980, ``ABC123`` and ``123ABC`` before; Texas ``ABC1234``
since 2009; Missouri ``AB1C2D``), and Brazil's ``ABC1234`` (grey, before 2018) and Mercosur
``ABC1D23``. No code was copied. They were checked against the labels of the development set's
training split only (the held-out split is for measuring). States absent here use ``US_GENERIC``,
the union of the shapes of the states listed; European countries have no prior (the reader rarely
names the country of a European plate, and their formats differ too much to share one).

The factor (``PriorSettings.penalty``, in ``weights/reader.json``) was chosen on rendered
validation plates, never on the held-out photos.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

STATE_SHAPES: dict[str, tuple[str, ...]] = {
    "AK": ("LLLDDD",),
    "AZ": ("LLLDDDD", "LLLDDD", "DDDLLL"),
    "CA": ("DLLLDDD", "LLLDDD", "DDDLLL", "DLDDDDD", "DDDDDDD"),
    "DC": ("LLDDDD",),
    "FL": ("LLLLDD", "LLLDDD", "DDDLLL", "LDDLLL"),
    "GA": ("LLLDDDD", "DDDLLL"),
    "IL": ("LLDDDDD", "LDDDDDD", "LLLDDD"),
    "LA": ("LLLDDD", "DDDLLL"),
    "MA": ("DLLLDD", "DLLDDD", "DDDLLL"),
    "MD": ("DLLDDDD", "LLLDDD"),
    "MI": ("LLLDDDD", "DLLLDD", "LLLDDD"),
    "MO": ("LLDLDL", "DLLDDD", "LLLDDD", "DDDLLL"),
    "NC": ("LLLDDDD", "LLLDDD"),
    "NJ": ("LDDLLL", "LLLDDL", "LLLDDD"),
    "NY": ("LLLDDDD", "LLLDDD", "DDDLLL"),
    "OH": ("LLLDDDD", "LLDDDD"),
    "PA": ("LLLDDDD", "LLLDDD"),
    "TX": ("LLLDDDD", "LLDLDDD", "LLLDDD", "DDDLLL", "LDDLLL"),
    "VA": ("LLLDDDD", "LLLDDD"),
    "WA": ("LLLDDDD", "LLLDDD", "DDDLLL"),
}

REGION_SHAPES: dict[str, tuple[str, ...]] = {"BRA": ("LLLDDDD", "LLLDLDD")}

US = "US"  # the key of ``US_GENERIC``: a US plate whose state is not known with confidence
US_GENERIC: tuple[str, ...] = tuple(sorted({shape for shapes in STATE_SHAPES.values() for shape in shapes}))

_CLASS = {"L": "[A-Z]", "D": "[0-9]"}


def _compile(shapes: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join("".join(_CLASS[c] for c in shape) for shape in shapes))


_PATTERNS: dict[str, re.Pattern[str]] = {
    **{code: _compile(shapes) for code, shapes in STATE_SHAPES.items()},
    **{code: _compile(shapes) for code, shapes in REGION_SHAPES.items()},
    US: _compile(US_GENERIC),
}


def shapes_key(region: str, us_plate: bool) -> str | None:
    """The table a read is checked against: its state's or Brazil's when ``region`` names one with
    a table, the generic US shapes for another US plate (``us_plate``), else none (no prior)."""
    if region in _PATTERNS and region != US:
        return region
    return US if us_plate else None


def matches(plate: str, key: str) -> bool:
    return _PATTERNS[key].fullmatch(plate) is not None


@dataclass(frozen=True, slots=True)
class PriorSettings:
    penalty: float = 1.0  # the factor on a candidate outside its state's (or Brazil's) shapes
    generic_penalty: float = 1.0  # the same for ``US_GENERIC`` (a state not known with confidence)


def rerank(
    candidates: Iterable[tuple[str, float]], key: str | None, settings: PriorSettings
) -> list[tuple[str, float]]:
    """``candidates`` (plate, score) under the prior of ``key``, best first.

    A candidate outside the shapes is multiplied by the penalty; the scores are then rescaled so
    that their sum is the pool's before the prior (a posterior over the pool: a read the prior
    moves keeps the mass its candidates had).
    """
    pool = dict(candidates)
    if key is None or not pool:
        return sorted(pool.items(), key=lambda kv: -kv[1])
    factor = settings.generic_penalty if key == US else settings.penalty
    before = sum(pool.values())
    weighted = {plate: score * (1.0 if matches(plate, key) else factor) for plate, score in pool.items()}
    scale = before / max(sum(weighted.values()), 1e-12)
    return sorted(((plate, score * scale) for plate, score in weighted.items()), key=lambda kv: -kv[1])


def state_posterior(
    probs: Sequence[float], classes: Sequence[str], candidates: Iterable[tuple[str, float]], penalty: float
) -> list[float]:
    """The state model's probabilities over ``classes`` updated by the plate's serial (issue 21,
    item 1): the reader's candidates, normalised, are the serial's distribution; a state with a
    table is weighted by the share of that distribution its shapes hold plus ``penalty`` times the
    rest (its plates fall outside the table about as often as the reader's prior assumes: vanity,
    specialty and older series). A state without a table and ``unknown`` keep their weight, and a
    candidate no table holds (a vanity string, a misread) counts as fitting every state: it says
    nothing about the state. ``penalty`` 1, or no candidate of US shape, changes nothing."""
    pool = [(plate, score) for plate, score in candidates if score > 0]
    total = sum(score for _, score in pool)
    if penalty >= 1.0 or total <= 0 or not any(matches(plate, US) for plate, _ in pool):
        return list(probs)
    weighted = []
    for name, p in zip(classes, probs, strict=True):
        if name not in STATE_SHAPES:
            weighted.append(p)
            continue
        fits = sum(score for plate, score in pool if not matches(plate, US) or matches(plate, name))
        weighted.append(p * (fits + penalty * (total - fits)) / total)
    norm = sum(weighted)
    return [w / norm for w in weighted] if norm > 0 else list(probs)


def sample_text(rng: random.Random, state: str, vanity: float = 0.15) -> str:
    """A plate text of ``state`` for validation: one of its shapes, or (share ``vanity``) 2-7 free
    characters, as vanity and special plates are."""
    if rng.random() < vanity:
        return "".join(rng.choice(LETTERS + DIGITS) for _ in range(rng.randint(2, 7)))
    shape = rng.choice(STATE_SHAPES.get(state, US_GENERIC))
    return "".join(rng.choice(LETTERS) if c == "L" else rng.choice(DIGITS) for c in shape)


VALIDATION_STATES: tuple[str, ...] = tuple(STATE_SHAPES)
