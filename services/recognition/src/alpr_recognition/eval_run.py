"""Runs the pipeline over a labelled image folder and scores it (``alpr recognition eval``)."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from alpr_common import to_rgb

from .devset import read_labels, read_states
from .evaluation import Predicted, Score
from .pipeline import Read, Recognizer


def predicted_of(read: Read) -> Predicted:
    """A pipeline read as the scorer takes it."""
    box = (read.box.x, read.box.y, read.box.w, read.box.h)
    return Predicted(
        read.plate,
        read.confidence,
        box,
        read.region,
        read.region_confidence,
        read.region_guess,
        tuple(plate for plate, _ in read.candidates),
    )


def run_eval(
    labels: Path,
    images: Path,
    out: Path,
    split: str,
    device: str,
    threads: int,
    echo: Callable[[str], object] = print,
    recognizer: Recognizer | None = None,
) -> dict[str, Score]:
    torch.set_num_threads(threads)
    rows = read_labels(labels)
    states = read_states(labels.parent / "states.csv")  # the US images' states, where known
    if split != "all":
        rows = [r for r in rows if r.held_out == (split == "held-out")]
    model = recognizer or Recognizer(device=device)
    echo(f"model {model.model_version} on {model.device}; {len(rows)} images")
    scores: dict[str, Score] = {"all": Score()}
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "plate_text", "confidence", "x", "y", "w", "h"])
        for row in rows:
            path = images / row.filename
            try:
                with Image.open(path) as opened:
                    image = to_rgb(opened)
            except (OSError, ValueError) as exc:
                echo(f"skipped {row.filename}: {exc}")
                continue
            began = time.perf_counter()
            reads = model.recognize([image])[0]
            millis = (time.perf_counter() - began) * 1000
            predicted = [predicted_of(r) for r in reads]
            truth_box = (row.x, row.y, row.w, row.h) if row.w and row.h else None
            for key in ("all", row.region):
                scores.setdefault(key, Score()).add(
                    row.plate, truth_box, predicted, millis, states.get(row.filename)
                )
            for r in reads:
                writer.writerow(
                    [row.filename, r.plate, f"{r.confidence:.4f}", r.box.x, r.box.y, r.box.w, r.box.h]
                )
            if not reads:
                writer.writerow([row.filename, "", "", "", "", "", ""])
    return scores
