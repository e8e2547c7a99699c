"""The development images (``../shared/data/plates-dev``): labels, and a fixed train/held-out split.

An image is held out when the first byte of the SHA-1 of its file name is below 102 (40 %):
the split never changes when images are added, and training code cannot reach the held-out part.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from alpr_common import normalize_plate

HELD_OUT_BELOW = 102  # of 256
LABEL_COLUMNS = ("filename", "plate_text", "x", "y", "w", "h")
STATE_COLUMNS = ("filename", "state")


class LabelsError(ValueError):
    """A labels or states CSV that cannot be read: the file, the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class Labelled:
    filename: str
    plate: str
    x: int
    y: int
    w: int
    h: int
    region: str  # us | eu | br (the data set's own grouping)

    @property
    def held_out(self) -> bool:
        return is_held_out(self.filename)


def is_held_out(filename: str) -> bool:
    return hashlib.sha1(filename.encode()).digest()[0] < HELD_OUT_BELOW


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """A CSV's rows with their line numbers, once its header names ``columns``; else LabelsError."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise LabelsError(
                    f"{path}: the header has no {', '.join(missing)} (expected {','.join(columns)})"
                )
            return [
                (reader.line_num, {k: v or "" for k, v in row.items() if k is not None}) for row in reader
            ]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LabelsError(f"{path}: not a UTF-8 CSV ({exc})") from exc


def _whole(path: Path, line: int, row: dict[str, str], column: str) -> int:
    value = row.get(column, "").strip()
    try:
        return int(value or 0)
    except ValueError:
        raise LabelsError(f"{path}, line {line}: {column} is {value!r}, not a whole number") from None


def read_labels(path: Path) -> list[Labelled]:
    """Rows of a labels CSV (``filename,plate_text,x,y,w,h[,region]``); the region defaults from the
    path. A missing column or a box value that is not a whole number is a LabelsError naming the
    line."""
    rows: list[Labelled] = []
    for line, row in _rows(path, LABEL_COLUMNS):
        if not row["filename"]:
            raise LabelsError(f"{path}, line {line}: filename is empty")
        x, y, w, h = (_whole(path, line, row, column) for column in ("x", "y", "w", "h"))
        region = row.get("region") or row["filename"].split("/", 1)[0]
        rows.append(Labelled(row["filename"], normalize_plate(row["plate_text"]), x, y, w, h, region))
    return rows


def split(rows: list[Labelled], held_out: bool) -> list[Labelled]:
    return [row for row in rows if row.held_out == held_out]


@dataclass(frozen=True, slots=True)
class StateLabel:
    state: str  # USPS code, or ``unknown`` where a person could not tell
    sure: bool  # ``sure`` in the file (else ``likely``)


def read_states(path: Path) -> dict[str, StateLabel]:
    """``states.csv`` (``filename,plate_text,state,confidence``) by file name; empty when absent."""
    if not path.exists():
        return {}
    return {
        row["filename"]: StateLabel(row["state"] or "unknown", row.get("confidence") == "sure")
        for _, row in _rows(path, STATE_COLUMNS)
    }
