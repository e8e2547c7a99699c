"""The plate-format prior and the read confidence (issue 21, items 2 and 3): a Californian read
outside California's shapes yields to a candidate inside them, the calibrated confidence stays in
[0, 1] and keeps the order of reads, and the shipped settings are the ones the pipeline uses."""

from __future__ import annotations

import random

import pytest

from alpr_recognition.formats import (
    STATE_SHAPES,
    US,
    US_GENERIC,
    PriorSettings,
    matches,
    rerank,
    sample_text,
    shapes_key,
)
from alpr_recognition.pipeline import Recognizer
from alpr_recognition.text import calibrate

PRIOR = PriorSettings(penalty=0.01, generic_penalty=0.3)


def test_californian_read_yields_to_the_states_serial_shape() -> None:
    candidates = [("9ABC99Q", 0.55), ("9ABC990", 0.2), ("9ABC99D", 0.1), ("9A8C99Q", 0.05)]
    ranked = rerank(candidates, "CA", PRIOR)
    assert ranked[0][0] == "9ABC990"
    assert sum(score for _, score in ranked) == pytest.approx(sum(score for _, score in candidates))
    assert ranked[0][1] > 0.55  # the moved read keeps the mass of its candidates


def test_no_prior_where_the_region_has_no_table() -> None:
    candidates = [("AB123CD", 0.6), ("AB1230D", 0.3)]
    assert shapes_key("ITA", us_plate=False) is None
    assert rerank(candidates, None, PRIOR) == sorted(candidates, key=lambda kv: -kv[1])


def test_keys_state_brazil_and_generic_us() -> None:
    assert shapes_key("CA", us_plate=True) == "CA"
    assert shapes_key("BRA", us_plate=False) == "BRA"
    assert shapes_key("unknown", us_plate=True) == US
    assert shapes_key("WY", us_plate=True) == US  # a state without a table: the generic shapes
    assert shapes_key("unknown", us_plate=False) is None
    assert matches("ABC1D23", "BRA")
    assert matches("ABC1234", "BRA")
    assert not matches("AB1234", "BRA")
    assert matches("AG4V3U", "MO")
    assert matches("7CID930", "CA")
    assert not matches("7CID93Q", "CA")


def test_generic_penalty_is_milder_than_a_states() -> None:
    candidates = [("ZZ9", 0.6), ("ABC1234", 0.4)]
    generic = rerank(candidates, US, PriorSettings(penalty=0.01, generic_penalty=1.0))
    assert generic[0][0] == "ZZ9"
    state = rerank(candidates, "TX", PriorSettings(penalty=0.01, generic_penalty=1.0))
    assert state[0][0] == "ABC1234"


def test_sampled_texts_fit_their_states_shapes_apart_from_vanity() -> None:
    rng = random.Random(3)
    for state in STATE_SHAPES:
        for _ in range(20):
            assert matches(sample_text(rng, state, vanity=0.0), state)
    assert set(US_GENERIC) >= {shape for shapes in STATE_SHAPES.values() for shape in shapes}


def test_calibrated_confidence_is_in_unit_interval_and_monotone() -> None:
    grid = [0.0, 1e-9, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999, 1.0, 1.3]
    for temperature in (0.5, 1.0, 2.0):
        values = [calibrate(p, temperature) for p in grid]
        assert all(0.0 <= v <= 1.0 for v in values)
        assert values == sorted(values)
        assert calibrate(1.0, temperature) == 1.0
        assert calibrate(0.0, temperature) == 0.0
    assert calibrate(0.25, 2.0) == pytest.approx(0.5)


def test_shipped_settings_are_loaded(recognizer: Recognizer) -> None:
    assert recognizer.prior.penalty < 1.0
    assert recognizer.prior.generic_penalty < 1.0
    assert recognizer.temperature > 0.0
