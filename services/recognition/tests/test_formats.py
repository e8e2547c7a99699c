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
    state_posterior,
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


CLASSES = ("unknown", "CA", "MO", "WV")  # WV: a state without a table


def test_the_serial_weighs_the_state() -> None:
    """Missouri's LLDLDL fits no other table: Missouri gains, California (a table it does not
    fit) loses, and `unknown` and a state without a table keep their ratio (issue 21, item 1)."""
    assert [s for s in STATE_SHAPES if matches("WD2R9B", s)] == ["MO"]
    probs = [0.05, 0.20, 0.70, 0.05]
    posterior = state_posterior(probs, CLASSES, [("WD2R9B", 0.9), ("WD2R98", 0.05)], 0.3)
    assert sum(posterior) == pytest.approx(1.0)
    assert posterior[2] > 0.78  # above the shipped threshold (0.782 in weights/state.json)
    assert posterior[1] < 0.20 * 0.5
    assert posterior[0] / posterior[3] == pytest.approx(1.0)


def test_a_serial_no_table_holds_says_nothing() -> None:
    probs = [0.1, 0.6, 0.25, 0.05]
    assert not matches("LUVMYCA", US)
    assert state_posterior(probs, CLASSES, [("LUVMYCA", 0.9)], 0.3) == probs  # a vanity plate
    assert state_posterior(probs, CLASSES, [("WD2R9B", 0.9)], 1.0) == probs  # turned off
    assert state_posterior(probs, CLASSES, [], 0.3) == probs


def test_the_candidates_share_the_weight() -> None:
    """The reader's doubt is the serial's: a read outside every table with a Missouri-shaped
    runner-up moves Missouri a little, not as a sure Missouri serial would."""
    assert not matches("HB6LOZ", US)
    assert matches("HB6L0Z", "MO")
    assert not matches("HB6L0Z", "CA")
    probs = [0.05, 0.40, 0.50, 0.05]
    doubtful = state_posterior(probs, CLASSES, [("HB6LOZ", 0.88), ("HB6L0Z", 0.12)], 0.3)
    sure = state_posterior(probs, CLASSES, [("HB6L0Z", 1.0)], 0.3)
    # California keeps 0.88 + 0.3 x 0.12 of its weight against Missouri's whole.
    assert doubtful[2] / doubtful[1] == pytest.approx(0.50 / (0.40 * (0.88 + 0.3 * 0.12)))
    assert 0.5 < doubtful[2] < sure[2]
