"""The calibration figures of `alpr recognition eval` and the benchmark (issue 21, item 3)."""

from __future__ import annotations

import random

from alpr_recognition.evaluation import calibrated_ece, expected_calibration_error


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
