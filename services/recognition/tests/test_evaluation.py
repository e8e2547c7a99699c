"""The figures of `alpr recognition eval` and the benchmark: calibration (issue 21, item 3), the
frame's reading, and the O-and-0 figures beside the strict ones."""

from __future__ import annotations

import random

from alpr_recognition.evaluation import (
    Predicted,
    Score,
    calibrated_ece,
    expected_calibration_error,
    same_but_o0,
)


def test_a_calibrated_reader_on_few_images_still_shows_an_ece_well_above_zero() -> None:
    rng = random.Random(3)
    confidences = [rng.uniform(0.2, 1.0) for _ in range(36)]
    median, p95 = calibrated_ece([(c, True) for c in confidences])
    assert 0.03 < median < p95 < 0.3, (median, p95)
    # Ten times the images: sampling alone leaves far less.
    many_median, many_p95 = calibrated_ece([(c, True) for c in confidences * 10])
    assert many_median < median / 2, (many_median, median)
    assert many_p95 < p95 / 2, (many_p95, p95)


def test_the_reference_depends_on_the_confidences_not_on_what_was_right() -> None:
    pairs = [(0.6, True), (0.9, False), (0.3, True), (0.75, True)] * 5
    assert calibrated_ece(pairs) == calibrated_ece([(c, not ok) for c, ok in pairs])
    assert calibrated_ece([(1.0, False)] * 20) == (0.0, 0.0)  # certain answers are always right
    assert calibrated_ece([]) == (0.0, 0.0)


def test_an_overconfident_reader_lands_above_the_reference() -> None:
    # Said 0.95, right half the time: the ECE (0.45) is far above what a calibrated reader shows.
    pairs = [(0.95, i % 2 == 0) for i in range(40)]
    assert expected_calibration_error(pairs) > calibrated_ece(pairs)[1]


def test_the_frames_reading_is_the_readers_first_read() -> None:
    score = Score()
    far, near = (
        Predicted("PJT2809", 0.9934, (1155, 354, 97, 27)),
        Predicted("JSQ1413", 0.9927, (548, 812, 302, 91)),
    )
    assert score.add("JSQ1413", (553, 806, 279, 90), [near, far], 40.0) == "JSQ1413"
    assert score.add("JSQ1413", (553, 806, 279, 90), [far, near], 40.0) == "PJT2809"
    assert score.add("ABC1234", None, [], 40.0) == ""
    assert score.row()["exact_accuracy"] == 1 / 3


def test_o_and_0_as_one_is_counted_beside_the_strict_figure() -> None:
    assert same_but_o0("RKO99AN", "RK099AN")
    assert same_but_o0("rk0-99an", "RKO99AN")
    assert not same_but_o0("RKO99AN", "RKQ99AN")
    assert not same_but_o0("B8", "88")
    score = Score()
    score.add("RKO99AN", None, [Predicted("RK099AN", 0.98, None)], 40.0)  # the labels' quirk
    score.add("RK300AG", None, [Predicted("RK300AG", 0.99, None)], 40.0)
    score.add("W053011", None, [Predicted("M053011", 0.83, None)], 40.0)  # wrong either way
    row = score.row()
    assert row["exact_accuracy"] == 1 / 3
    assert row["exact_accuracy_o0"] == 2 / 3
    assert row["confidence_ece_o0"] < row["confidence_ece"]
