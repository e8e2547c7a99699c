"""How plates are keyed for matching.

A read's plate and an entry's plate match exactly when equal after normalisation; they match
as *confusable* (a lower grade) when equal only once the characters OCR mistakes for each other
are folded together (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G). Both are one lookup on the folded
key. Wildcard entries (R8: `*` any run, `?` one character) become anchored regular expressions.
"""

from __future__ import annotations

import re

from alpr_common import normalize_plate, normalize_plate_pattern

_FOLD = str.maketrans(
    {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
)
WILDCARDS = frozenset("*?")


def match_key(plate: str) -> str:
    """The folded key of a normalised plate: equal keys are exact or confusable matches."""
    return plate.translate(_FOLD)


def is_pattern(plate: str) -> bool:
    return any(c in WILDCARDS for c in plate)


def pattern_regex(pattern: str) -> str:
    """A whole-plate POSIX regular expression for a wildcard plate (``7AB*`` -> ``^7AB.*$``)."""
    return "^" + "".join(".*" if c == "*" else "." if c == "?" else c for c in pattern) + "$"


def plate_for_entry(text: str) -> tuple[str, str | None, str | None]:
    """An entry's plate as stored: ``(plate, match_key, pattern)``; exactly one of the last two."""
    plate = normalize_plate_pattern(text)
    plate = re.sub(r"\*+", "*", plate)
    if is_pattern(plate):
        return plate, None, pattern_regex(plate)
    return plate, match_key(plate), None


def plate_of_read(text: str) -> str:
    return normalize_plate(text)
