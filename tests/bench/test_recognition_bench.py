"""Recognition benchmark (`make bench`): our detector + reader beside RapidOCR (the named
baseline: `rapidocr-onnxruntime`, the strongest offline reader that installs here, models inside
its wheel) on the same held-out development images, US and EU/BR reported separately.

Prints, per region: exact-plate accuracy, character accuracy (1 - normalised Levenshtein),
detection recall at IoU 0.5, the read confidence's expected calibration error (ECE) and, beside
it, the 95th percentile of the ECE a perfectly calibrated reader with the same confidences shows
on as many images (cal 95%: an ECE below it is no evidence of miscalibration), the read
rate at 95 % precision (rd@95%) and top-5 coverage (the plate among the read's candidates; issue
21: ECE <= 5 %), and CPU milliseconds per frame (p50/p95) at batch 1; then ours
batched (BENCH_BATCH frames per call); then fp32 beside fp16, exact and character accuracy and,
when a GPU is present, frames/s at batch 1 and 64 (issue 21: fp16 within 0.5 point). Goals (issue 6):
US exact accuracy 10 points above RapidOCR's, character accuracy >= 80 %, CPU p50 <= 200 ms per
frame, >= 200 frames/s on one GPU. Issue 21: the issuing state right on >= 75 % of the US plates
whose state a person could read (`states.csv`), beside the baseline of always answering the most
common state of the training split; expected calibration error of `region_confidence` <= 5 %.
It ends with issue 21's goals, each `met` or `MISSED` from this run's figures (an ECE above 5 %
says when so few images cannot show 5 % at all).

Settings: BENCH_DEV_DIR (default ../shared/data/plates-dev), BENCH_THREADS (CPU threads for both
readers, default 2), BENCH_BATCH (default 8), BENCH_SPLIT (held-out | all, default held-out).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from alpr_common import normalize_plate, to_rgb
from alpr_recognition.devset import Labelled, StateLabel, is_held_out, read_labels, read_states
from alpr_recognition.eval_run import predicted_of
from alpr_recognition.evaluation import Predicted, Score
from alpr_recognition.pipeline import Recognizer

pytestmark = pytest.mark.bench

DEV_DIR = Path(os.environ.get("BENCH_DEV_DIR", Path(__file__).parents[3] / "shared" / "data" / "plates-dev"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
BATCH = int(os.environ.get("BENCH_BATCH", "8"))
SPLIT = os.environ.get("BENCH_SPLIT", "held-out")


def _plate_like(text: str) -> float:
    """How much an OCR line looks like a plate: 5-8 characters mixing letters and digits."""
    plate = normalize_plate(text)
    if not 2 <= len(plate) <= 8:
        return 0.0
    mixed = any(c.isdigit() for c in plate) and any(c.isalpha() for c in plate)
    return (1.0 if mixed else 0.5) * (1.0 if 5 <= len(plate) <= 8 else 0.6)


def _rapidocr_reads(engine: Any, image: Image.Image) -> list[Predicted]:
    import numpy as np

    result, _ = engine(np.asarray(image)[:, :, ::-1])  # it takes BGR like OpenCV
    predicted = []
    for quad, text, conf in result or []:
        score = _plate_like(text)
        if score <= 0:
            continue
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        predicted.append(Predicted(normalize_plate(text), float(conf) * score, box))
    if predicted:  # the most plate-like line is the reading; the others stay for box recall
        best = max(predicted, key=lambda p: p.confidence)
        predicted = [Predicted(best.plate, 1.0, best.box)] + [p for p in predicted if p is not best]
    return predicted


def _rows() -> list[Labelled]:
    labels = DEV_DIR / "labels.csv"
    if not labels.exists():
        pytest.skip(f"no development images at {DEV_DIR}")
    rows = read_labels(labels)
    return [r for r in rows if r.held_out] if SPLIT == "held-out" else rows


def _group(region: str) -> str:
    return "us" if region == "us" else "eu/br"


def _print_table(title: str, scores: dict[str, Score]) -> None:
    print(f"\n{title}")
    header = f"{'reader':<18}{'set':<7}{'images':>7}{'exact':>8}{'chars':>8}{'det rec':>9}"
    print(f"{header}{'ECE':>7}{'cal 95%':>8}{'rd@95%':>8}{'top-5':>8}{'ms p50':>8}{'ms p95':>8}")
    for key, score in scores.items():
        name, group = key.split("|")
        row = score.row()
        print(
            f"{name:<18}{group:<7}{row['images']:>7.0f}{row['exact_accuracy']:>8.1%}{row['char_accuracy']:>8.1%}"
            f"{row['detection_recall']:>9.1%}{row['confidence_ece']:>7.1%}"
            f"{row['confidence_ece_calibrated_p95']:>8.1%}{row['read_rate_p95']:>8.1%}"
            f"{row['top5_coverage']:>8.1%}{row['ms_p50']:>8.0f}{row['ms_p95']:>8.0f}"
        )


def _print_states(us: Score, rows: list[Labelled], states: dict[str, StateLabel]) -> None:
    """The issuing state beside always answering the training split's most common state."""
    train_states = [
        label.state for name, label in states.items() if label.state != "unknown" and not is_held_out(name)
    ]
    if not us.state.images or not train_states:
        print("\nstate: no states.csv labels for these images")
        return
    common = max(set(train_states), key=train_states.count)
    known = [
        states[r.filename] for r in rows if r.filename in states and states[r.filename].state != "unknown"
    ]
    baseline = sum(label.state == common for label in known) / len(known)
    sure = [label for label in known if label.sure]
    baseline_sure = sum(label.state == common for label in sure) / max(1, len(sure))
    row = us.row()
    print(f"\nUS state ({row['state_images']:.0f} images whose state a person could read, {len(sure)} sure)")
    print(f"{'reader':<30}{'right':>8}{'sure':>8}{'unknown':>9}{'ECE':>7}{'cal 95%':>8}")
    print(
        f"{'ours (state model)':<30}{row['state_accuracy']:>8.1%}{row['state_accuracy_sure']:>8.1%}"
        f"{row['state_unknown']:>9.1%}{row['state_ece']:>7.1%}{row['state_ece_calibrated_p95']:>8.1%}"
    )
    print(f"{'always ' + common + ' (train majority)':<30}{baseline:>8.1%}{baseline_sure:>8.1%}{0:>9.1%}")


def _frames_per_second(model: Recognizer, frames: list[Image.Image], batch: int) -> float:
    """Frames/s through ``recognize`` at ``batch`` frames per call, over at least 128 frames."""
    calls = max(1, -(-128 // batch))
    cycle = (frames * (calls * batch // max(1, len(frames)) + 1))[: calls * batch]
    model.recognize(cycle[:batch])  # warm-up (kernels chosen, memory allocated), not timed
    torch.cuda.synchronize()
    began = time.perf_counter()
    for start in range(0, len(cycle), batch):
        model.recognize(cycle[start : start + batch])
    torch.cuda.synchronize()
    return len(cycle) / (time.perf_counter() - began)


def _print_precisions(images: list[tuple[Labelled, Image.Image]]) -> None:
    """Issue 21, item 5: on a GPU, frames/s at batch 1 and 64 in fp32 and fp16, and fp16's
    accuracy on the same frames beside fp32's (goal: fp16 loses at most 0.5 point). Without one, fp16's
    accuracy on the CPU (slow there, and not the GPU's kernels: a proxy only)."""
    gpu = torch.cuda.is_available()
    device = "cuda" if gpu else "cpu"
    frames = [image for _, image in images]
    where = f"GPU {torch.cuda.get_device_name()}" if gpu else "CPU, no GPU here: frames/s not measured"
    print(f"\nours in fp32 and fp16 ({where}), {len(images)} frames")
    print(f"{'precision':<11}{'exact':>8}{'chars':>8}{'frames/s b1':>13}{'frames/s b64':>14}")
    figures: dict[str, dict[str, float]] = {}
    for name, half in (("fp32", False), ("fp16", True)):
        model = Recognizer(device=device, half=half)
        score = Score()
        for row, image in images:
            reads = model.recognize([image])[0]
            score.add(row.plate, (row.x, row.y, row.w, row.h), [predicted_of(r) for r in reads], 0.0)
        figures[name] = score.row()
        rates = [f"{_frames_per_second(model, frames, b):.0f}" if gpu else "-" for b in (1, 64)]
        print(
            f"{name:<11}{figures[name]['exact_accuracy']:>8.1%}{figures[name]['char_accuracy']:>8.1%}"
            f"{rates[0]:>13}{rates[1]:>14}"
        )
    diffs = {
        key: (figures["fp16"][key] - figures["fp32"][key]) * 100
        for key in ("exact_accuracy", "char_accuracy")
    }
    loss = max(0.0, -min(diffs.values()))
    verdict = "met" if loss <= 0.5 else "MISSED"
    print(
        f"fp16 - fp32: exact {diffs['exact_accuracy']:+.1f}, characters {diffs['char_accuracy']:+.1f} points "
        f"(one frame is {100 / max(1, len(images)):.1f}); goal: fp16 loses at most 0.5 point: {verdict}; "
        "GPU goal >= 200 frames/s"
    )


def test_recognition_against_rapidocr() -> None:
    from rapidocr_onnxruntime import RapidOCR

    rows = _rows()
    states = read_states(DEV_DIR / "states.csv")
    torch.set_num_threads(THREADS)
    ours = Recognizer(device="cpu")
    peer = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)
    images: list[tuple[Labelled, Image.Image]] = []
    for row in rows:
        with Image.open(DEV_DIR / "images" / row.filename) as opened:
            images.append((row, to_rgb(opened)))  # as the service and `alpr recognition eval` read it
    ours.recognize([images[0][1]])  # warm-up, not timed
    scores: dict[str, Score] = {}
    for row, image in images:
        truth_box = (row.x, row.y, row.w, row.h)
        began = time.perf_counter()
        reads = ours.recognize([image])[0]
        ms = (time.perf_counter() - began) * 1000
        predicted = [predicted_of(r) for r in reads]
        for key in {f"ours (CPU)|{_group(row.region)}", f"ours (CPU)|{row.region}"}:
            scores.setdefault(key, Score()).add(row.plate, truth_box, predicted, ms, states.get(row.filename))
        began = time.perf_counter()
        theirs = _rapidocr_reads(peer, image)
        ms = (time.perf_counter() - began) * 1000
        for key in {f"RapidOCR (CPU)|{_group(row.region)}", f"RapidOCR (CPU)|{row.region}"}:
            scores.setdefault(key, Score()).add(row.plate, truth_box, theirs, ms)
    ordered = dict(sorted(scores.items(), key=lambda kv: (kv[0].split("|")[1], kv[0])))
    _print_table(f"Held-out development images ({SPLIT}), {THREADS} CPU threads, batch 1", ordered)
    _print_states(ordered["ours (CPU)|us"], rows, states)

    # Batched on the CPU: frames per call, ms per frame.
    frames = [image for _, image in images]
    per_frame: list[float] = []
    for start in range(0, len(frames), BATCH):
        chunk = frames[start : start + BATCH]
        began = time.perf_counter()
        ours.recognize(chunk)
        per_frame.append((time.perf_counter() - began) * 1000 / len(chunk))
    median = statistics.median(per_frame)
    print(f"\nours (CPU) batched x{BATCH}: {median:.0f} ms/frame, median over {len(per_frame)} calls")

    _print_precisions(images)

    us_ours, us_peer = ordered["ours (CPU)|us"].row(), ordered["RapidOCR (CPU)|us"].row()
    print(
        f"\nUS exact: ours {us_ours['exact_accuracy']:.1%} vs RapidOCR {us_peer['exact_accuracy']:.1%} "
        f"({(us_ours['exact_accuracy'] - us_peer['exact_accuracy']) * 100:+.1f} points; goal +10)"
    )
    _print_goals(ordered)
    assert scores  # figures were printed for every region


# Exact-plate accuracy on the held-out split before issue 21 (its model card's first table): EU and
# BR may lose at most 2 points from these.
BEFORE_ISSUE_21 = {"eu": 0.821, "br": 0.933}


def _print_goals(scores: dict[str, Score]) -> None:
    """Issue 21's goals, each met or missed, from this run's figures (held-out split)."""
    us = scores["ours (CPU)|us"].row()
    where = "" if SPLIT == "held-out" else f" (this run: {SPLIT}; the goals are the held-out split's)"
    print(f"\nIssue 21 goals, US plates{where}")

    def line(name: str, value: str, met: bool, why: str = "") -> None:
        print(f"  {name:<44}{value:>8}  {'met' if met else 'MISSED'}{why}")

    line("exact plate >= 80 %", f"{us['exact_accuracy']:.1%}", us["exact_accuracy"] >= 0.80)
    line("characters >= 94 %", f"{us['char_accuracy']:.1%}", us["char_accuracy"] >= 0.94)
    if "state_accuracy" in us:
        line("state right >= 75 %", f"{us['state_accuracy']:.1%}", us["state_accuracy"] >= 0.75)
    for key, name in (("confidence_ece", "reader"), ("state_ece", "state model")):
        if key not in us:
            continue
        floor, images = us[f"{key}_calibrated_p95"], us["state_images" if key == "state_ece" else "images"]
        why = (
            f" (a perfectly calibrated {name} shows up to {floor:.1%} on {images:.0f} images, "
            "95th percentile: too few to show 5 %)"
            if us[key] > 0.05 and floor > 0.05
            else ""
        )
        line(f"{name.split()[0]} confidence: ECE <= 5 %", f"{us[key]:.1%}", us[key] <= 0.05, why)
    line("CPU p50 <= 100 ms per frame, batch 1", f"{us['ms_p50']:.0f} ms", us["ms_p50"] <= 100)
    for region, before in BEFORE_ISSUE_21.items():
        exact = scores[f"ours (CPU)|{region}"].row()["exact_accuracy"]
        line(
            f"{region.upper()} exact >= {before - 0.02:.1%} (before: {before:.1%})",
            f"{exact:.1%}",
            exact >= before - 0.02,
        )
    if not torch.cuda.is_available():
        print(f"  {'GPU frames/s at batch 1 and 64, fp16 on CUDA':<44}{'-':>8}  not measured (no GPU here)")
