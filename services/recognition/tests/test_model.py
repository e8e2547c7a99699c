"""The shipped model: loads offline, reads plates rendered now (strings this test picks), and
still reads a fixed handful of real development photos (any drift fails the test)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from recognition_support import DEV_DIR, scene, tilted_on_bumper

from alpr_common import to_rgb
from alpr_recognition.devset import is_held_out, read_labels
from alpr_recognition.evaluation import iou
from alpr_recognition.pipeline import PipelineOptions, Recognizer
from alpr_recognition.synth.plates import DIGITS, SERIAL_LETTERS, render_text
from alpr_recognition.weights import WEIGHTS_DIR

# Held-out real photos the shipped model reads right; a model that misreads any of them fails.
# Held-out photos (never trained on) and the region the pipeline answers for each (issue 21: a
# fixed handful read right, state included where labelled). `car2` is labelled Indiana, which the
# state model is not sure of (0.44 < its threshold): `unknown`, never a wrong state.
REAL_HANDFUL = {
    "us/car11.jpg": "MO",
    "us/car9-4.jpg": "AZ",
    "us/wts-lg-000197.jpg": "CA",
    "us/car2.jpg": "unknown",
    "us/car6.jpg": "unknown",  # no person could tell its state
    "eu/eu1.jpg": "unknown",
    "eu/eu2.jpg": "unknown",
    "br/JIT7463.jpg": "BRA",
    "br/JOG9221.jpg": "BRA",
}


def _strings(rng: random.Random, count: int) -> list[str]:
    """Plate strings the test chooses: common US serial shapes and vanity strings, without the
    letters I, O and Q that standard serials leave out (on many plates O and 0 are one glyph)."""
    shapes = ("DLLLDDD", "LLLDDDD", "DDDLLL", "LLDDDDD", "LDDLLL", "DLLDDD")
    out = []
    for i in range(count):
        if i % 4 == 3:
            out.append("".join(rng.choice(SERIAL_LETTERS + DIGITS) for _ in range(rng.randint(3, 7))))
        else:
            shape = rng.choice(shapes)
            out.append("".join(rng.choice(SERIAL_LETTERS) if c == "L" else rng.choice(DIGITS) for c in shape))
    return out


def test_shipped_weights_load_offline_and_fit_in_the_repo(recognizer: Recognizer) -> None:
    assert recognizer.model_version.startswith("alpr-")
    assert str(recognizer.device) == "cpu"
    total = sum(p.stat().st_size for p in WEIGHTS_DIR.glob("*.pt"))
    assert total <= 25 * 1024 * 1024
    assert (WEIGHTS_DIR / "MODEL_CARD.md").exists()


def test_the_model_version_names_what_decides_a_read(recognizer: Recognizer, tmp_path: Path) -> None:
    """Misreads are counted per model version (R22): weights, or a setting that changes what a
    frame reads as, make another version; saying the weights' own threshold aloud does not."""
    same = Recognizer(device="cpu", options=PipelineOptions(state_threshold=recognizer.state_threshold))
    assert same.model_version == recognizer.model_version
    versions = {recognizer.model_version}
    for options in (
        PipelineOptions(state_threshold=0.9),
        PipelineOptions(state_shape_penalty=1.0),
        PipelineOptions(primary_size_weight=0.0),
    ):
        versions.add(Recognizer(device="cpu", options=options).model_version)
    weights = shutil.copytree(WEIGHTS_DIR, tmp_path / "weights")
    meta = json.loads((weights / "reader.json").read_text())
    meta["format_prior"]["penalty"] = 0.5
    (weights / "reader.json").write_text(json.dumps(meta))
    versions.add(Recognizer(weights_dir=weights, device="cpu").model_version)
    assert len(versions) == 5, versions


def test_reads_rendered_plate_crops(recognizer: Recognizer) -> None:
    """The reader alone on 200 rendered plates, slightly tilted, cut with a detector's slack."""
    rng = random.Random(20261125)
    texts = _strings(rng, 200)
    crops = []
    for text in texts:
        plate = render_text(rng, text, "us").image
        canvas, dx, dy = tilted_on_bumper(plate, (1.3, 1.4), rng.uniform(-6, 6))
        margin_x, margin_y = plate.width * 0.04, plate.height * 0.08
        crops.append(
            canvas.crop(
                (
                    dx - margin_x,
                    dy - margin_y - 6,
                    dx + plate.width + margin_x,
                    dy + plate.height + margin_y + 6,
                )
            )
        )
    readings = recognizer.read_crops(crops)
    right = sum(reading[0] == text for reading, text in zip(readings, texts, strict=True))
    wrong = [(t, r[0]) for r, t in zip(readings, texts, strict=True) if r[0] != t]
    assert right / len(texts) >= 0.95, wrong


def test_finds_and_reads_plates_in_rendered_frames(recognizer: Recognizer) -> None:
    """Detection and reading together, on whole frames with one plate each."""
    rng = random.Random(7)
    texts = _strings(rng, 40)
    right = 0
    misses = []
    for seed, text in enumerate(texts):
        frame, box = scene(text, seed=seed)
        reads = recognizer.recognize([frame])[0]
        hit = [r for r in reads if iou((r.box.x, r.box.y, r.box.w, r.box.h), box) >= 0.5]
        if hit and hit[0].plate == text:
            right += 1
        else:
            misses.append((text, [r.plate for r in reads]))
    assert right / len(texts) >= 0.95, misses


def test_reads_a_fixed_handful_of_real_photos(recognizer: Recognizer) -> None:
    """Each photo's first read (the frame's own plate) is its labelled plate, with the region above."""
    labels = DEV_DIR / "labels.csv"
    if not labels.exists():
        pytest.skip(f"the development images are not at {DEV_DIR}")
    truth = {row.filename: row.plate for row in read_labels(labels)}
    assert all(is_held_out(name) for name in REAL_HANDFUL)
    read = {}
    for name in REAL_HANDFUL:
        with Image.open(DEV_DIR / "images" / name) as opened:
            reads = recognizer.recognize([to_rgb(opened)])[0]
        read[name] = (reads[0].plate, reads[0].region) if reads else None
    assert read == {name: (truth[name], region) for name, region in REAL_HANDFUL.items()}


def test_half_precision_reads_what_full_precision_reads(recognizer: Recognizer) -> None:
    """fp16 (the default on CUDA; issue 21, item 5) gives the same plates at about the same
    confidence as fp32 on the fixed real photos. Run here on the CPU, which has fp16 kernels too
    (slower): it proves the half-precision path, not the GPU's arithmetic (`make bench` on a GPU)."""
    labels = DEV_DIR / "labels.csv"
    if not labels.exists():
        pytest.skip(f"the development images are not at {DEV_DIR}")
    half = Recognizer(device="cpu", half=True)
    assert next(half.reader.parameters()).dtype == torch.float16
    for name in REAL_HANDFUL:
        with Image.open(DEV_DIR / "images" / name) as opened:
            image = to_rgb(opened)
        full_reads, half_reads = recognizer.recognize([image])[0], half.recognize([image])[0]
        assert [r.plate for r in half_reads] == [r.plate for r in full_reads], name
        for full_read, half_read in zip(full_reads, half_reads, strict=True):
            assert half_read.confidence == pytest.approx(full_read.confidence, abs=0.02), name
            assert half_read.region == full_read.region, name


def test_nms_keeps_what_torchvision_keeps() -> None:
    """The detector's own NMS (it spares every recognition process torchvision's 1.3 s import)
    keeps exactly the boxes ``torchvision.ops.nms`` keeps, in the same order: crowded scenes of
    overlapping boxes, ties in score and none at all."""
    from torchvision.ops import nms as torchvision_nms

    from alpr_recognition.models.detector import nms

    generator = torch.Generator().manual_seed(7)
    for trial in range(300):
        count = trial % 40
        corner = torch.rand(count, 2, generator=generator) * 200
        size = torch.rand(count, 2, generator=generator) * 60 + 1
        boxes = torch.cat([corner, corner + size], dim=1)
        scores = torch.rand(count, generator=generator)
        if trial % 3 == 0:
            scores = (scores * 4).round() / 4  # ties
        for threshold in (0.1, 0.3, 0.7):
            ours = nms(boxes, scores, threshold)
            theirs = torchvision_nms(boxes, scores, threshold)
            assert ours.tolist() == theirs.tolist(), (trial, threshold)
