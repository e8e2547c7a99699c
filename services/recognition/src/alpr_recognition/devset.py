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


def read_labels(path: Path) -> list[Labelled]:
    """Rows of a labels CSV (``filename,plate_text,x,y,w,h[,region]``); the region defaults from the path."""
    rows: list[Labelled] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = normalize_plate(row.get("plate_text") or "")
            region = row.get("region") or row["filename"].split("/", 1)[0]
            rows.append(
                Labelled(
                    row["filename"],
                    text,
                    int(row["x"] or 0),
                    int(row["y"] or 0),
                    int(row["w"] or 0),
                    int(row["h"] or 0),
                    region,
                )  # fmt: skip
            )
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
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["filename"]: StateLabel(row["state"] or "unknown", row.get("confidence") == "sure")
            for row in csv.DictReader(handle)
        }
