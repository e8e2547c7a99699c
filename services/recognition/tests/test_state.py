"""The state model (issue 21): names the issuing US state of rendered plates of states the test
picks, and of the held-out real photos at least as often as when the weights were shipped."""

from __future__ import annotations

import random

import pytest
from PIL import Image
from recognition_support import DEV_DIR, tilted_on_bumper

from alpr_common import to_rgb
from alpr_recognition.devset import read_labels, read_states
from alpr_recognition.models.state import PAD
from alpr_recognition.pipeline import Box, PipelineOptions, Recognizer, _cut
from alpr_recognition.regions import UNKNOWN, US_STATES
from alpr_recognition.synth.plates import STATE_STYLES, render_text, render_us

# Measured when the weights were made (held-out US photos whose state a person could read): the
# share named right, and the most the model may name wrongly (a wrong state can miss an alert,
# `unknown` cannot). A retrained model must not fall below these by more than one image in 34.
HELD_OUT_RIGHT = 28 / 34
HELD_OUT_WRONG = 1 / 34  # an Illinois plate named Missouri
MARGIN = 1 / 34 + 1e-9


def _plate_crop(rng: random.Random, plate: Image.Image) -> Image.Image:
    """The plate on a dark bumper, a little tilted, cut as the pipeline cuts for the state model."""
    canvas, dx, dy = tilted_on_bumper(plate, (1.6, 1.9), rng.uniform(-5, 5))
    small = canvas.resize((canvas.width * 2 // 5, canvas.height * 2 // 5), Image.Resampling.BILINEAR)
    box = Box(int(dx * 0.4), int(dy * 0.4), int(plate.width * 0.4), int(plate.height * 0.4))
    return _cut(small, box, *PAD)


def _rendered(states: list[str], seed: int) -> tuple[list[Image.Image], list[str]]:
    """Three rendered plates of each state, cut as the pipeline cuts them."""
    rng = random.Random(seed)
    crops, truth = [], []
    for code in states:
        for _ in range(3):
            crops.append(_plate_crop(rng, render_us(rng, state=code).image))
            truth.append(code)
    return crops, truth


def _picked() -> list[str]:
    """24 states: the 8 with a known design (``STATE_STYLES``) and 16 others the test draws."""
    others = sorted(set(US_STATES) - set(STATE_STYLES))
    return [*STATE_STYLES, *random.Random(20261203).sample(others, 24 - len(STATE_STYLES))]


def test_names_the_state_of_rendered_plates_of_known_designs(recognizer: Recognizer) -> None:
    """The 8 states drawn in their own design (two in three plates; the rest generic): the best
    guess is right on at least 75 % (87.5 % when the weights were made)."""
    crops, truth = _rendered(list(STATE_STYLES), 20261203)
    guesses = [guess for _, _, guess in recognizer.read_states(crops)]
    wrong = [(code, guess) for guess, code in zip(guesses, truth, strict=True) if guess != code]
    assert 1 - len(wrong) / len(truth) >= 0.75, wrong


def test_rendered_plates_get_unknown_rather_than_a_wrong_state(recognizer: Recognizer) -> None:
    """Over the 24 picked states, an answered state (above the threshold) is wrong at most 5 % of
    the time: a plate it cannot tell is `unknown`, which matches every hotlist entry."""
    crops, truth = _rendered(_picked(), 7)
    answers = recognizer.read_states(crops)
    named_wrong = [
        (code, a[0]) for a, code in zip(answers, truth, strict=True) if a[0] not in (code, UNKNOWN)
    ]
    assert len(named_wrong) <= 0.05 * len(truth), named_wrong


def test_names_the_state_of_rendered_plates(recognizer: Recognizer) -> None:
    """Issue 21: the state of rendered plates of 24 states the test picks, right on >= 90 % (91.7 %
    when the weights were made: the generic design is told apart by its caption's words)."""
    crops, truth = _rendered(_picked(), 20261203)
    guesses = [guess for _, _, guess in recognizer.read_states(crops)]
    assert sum(g == code for g, code in zip(guesses, truth, strict=True)) / len(truth) >= 0.9


def test_european_and_brazilian_plates_get_no_state(recognizer: Recognizer) -> None:
    """The state model's `unknown` class covers plates that are not American."""
    rng = random.Random(5)
    crops = [_plate_crop(rng, render_text(rng, text, layout).image) for text, layout in [
        ("AB123CD", "eu"), ("M AB 1234", "eu"), ("1234 BCD", "eu"), ("ABC1234", "br"), ("BRA2E19", "br"),
        ("XY 123 ZW", "eu"), ("GHJ4567", "br"), ("KL-345-MN", "eu"),
    ]]  # fmt: skip
    states = [state for state, _, _ in recognizer.read_states(crops)]
    assert states.count(UNKNOWN) >= len(states) - 1, states


def test_held_out_photos_state_accuracy(recognizer: Recognizer) -> None:
    """Every held-out US photo whose state a person could read, through the whole pipeline (the
    frame's first read): the share named right, and the share named wrong."""
    labels = DEV_DIR / "labels.csv"
    if not labels.exists():
        pytest.skip(f"the development images are not at {DEV_DIR}")
    states = read_states(DEV_DIR / "states.csv")
    rows = [
        r for r in read_labels(labels)
        if r.held_out and r.filename in states and states[r.filename].state != UNKNOWN
    ]  # fmt: skip
    answered = {}
    for row in rows:
        with Image.open(DEV_DIR / "images" / row.filename) as opened:
            reads = recognizer.recognize([to_rgb(opened)])[0]
        answered[row.filename] = reads[0].region if reads else UNKNOWN
    right = sum(answered[r.filename] == states[r.filename].state for r in rows) / len(rows)
    wrong = sum(answered[r.filename] not in (UNKNOWN, states[r.filename].state) for r in rows) / len(rows)
    assert right >= HELD_OUT_RIGHT - MARGIN, answered
    assert wrong <= HELD_OUT_WRONG + MARGIN, answered


# Held-out photos whose state the picture leaves in doubt (the state model's best guess, right,
# is below its threshold) and whose serial fits that state's standard shapes and no rival's.
SERIAL_DECIDES = {"us/wts-lg-000040.jpg": "MO", "us/car9-4.jpg": "AZ"}


def test_the_serial_names_the_state_the_picture_leaves_in_doubt(recognizer: Recognizer) -> None:
    if not (DEV_DIR / "labels.csv").exists():
        pytest.skip(f"the development images are not at {DEV_DIR}")
    alone = Recognizer(device="cpu", options=PipelineOptions(state_shape_penalty=1.0))
    for name, state in SERIAL_DECIDES.items():
        with Image.open(DEV_DIR / "images" / name) as opened:
            image = to_rgb(opened)
        with_serial, picture_only = recognizer.recognize([image])[0][0], alone.recognize([image])[0][0]
        assert (with_serial.region, picture_only.region) == (state, UNKNOWN), name
        assert with_serial.region_guess == picture_only.region_guess == state, name
        assert with_serial.region_confidence > picture_only.region_confidence, name
