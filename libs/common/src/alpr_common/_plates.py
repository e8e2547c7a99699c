"""Plate text normalisation: the one function hotlist, search and audit share."""

from __future__ import annotations

import re
import unicodedata

# Look-alikes that NFKC leaves alone (Cyrillic and Greek capitals read as Latin ones).
_CONFUSABLES = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
        "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ζ": "Z", "Α": "A", "Β": "B",
        "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T",
        "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip
_NOT_PLATE = re.compile(r"[^A-Z0-9]")
_NOT_PATTERN = re.compile(r"[^A-Z0-9*?]")


def normalize_plate(text: str) -> str:
    """Upper case, A-Z and 0-9 only, look-alike Unicode folded (``"7abc-123"`` -> ``"7ABC123"``)."""
    folded = unicodedata.normalize("NFKC", text).upper().translate(_CONFUSABLES)
    return _NOT_PLATE.sub("", folded)


def normalize_plate_pattern(text: str) -> str:
    """Like ``normalize_plate`` but keeps the wildcards ``*`` (any run) and ``?`` (one character)."""
    folded = unicodedata.normalize("NFKC", text).upper().translate(_CONFUSABLES)
    return _NOT_PATTERN.sub("", folded)
