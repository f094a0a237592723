"""Calibration and high-confidence precision, as evaluate_stance reports them."""

import pytest

from factnlp.stance_model.metrics import calibration, flagged_precision


def test_a_model_right_as_often_as_it_says_has_no_calibration_error():
    # 0.25 confident and right 1 time in 4; 0.95 confident and right 19 times in 20.
    confidences = [0.25] * 4 + [0.95] * 20
    correct = [True, False, False, False] + [True] * 19 + [False]

    report = calibration(confidences=confidences, correct=correct)

    assert report["ece"] == pytest.approx(0.0, abs=1e-9)
    assert [(b["from"], b["pairs"], b["accuracy"]) for b in report["bins"]] == [(0.2, 4, 0.25), (0.9, 20, 0.95)]


def test_calibration_error_weighs_each_bins_gap_by_its_share():
    # 0.55 confident and right: a gap of 0.45 for 1 of 4 answers. 0.9, 0.9 and 1.0 (the top bin
    # takes 1.0) are 0.933 confident on average and right 2 times in 3: a gap of 0.267 for 3 of 4.
    report = calibration(confidences=[0.9, 0.9, 0.55, 1.0], correct=[True, False, True, True])

    assert report["ece"] == pytest.approx((1 * 0.45 + 3 * (2.8 / 3 - 2 / 3)) / 4, abs=1e-4)
    assert [b["pairs"] for b in report["bins"]] == [1, 3]


def test_flagged_precision_counts_related_verdicts_at_or_above_the_threshold():
    gold = ["contradicts", "confirms", "unrelated", "discusses", "contradicts"]
    predicted = ["contradicts", "contradicts", "unrelated", "discusses", "contradicts"]
    confidences = [0.8, 0.95, 0.99, 0.5, 0.79]

    report = flagged_precision(gold=gold, predicted=predicted, confidences=confidences, threshold=0.8)

    assert (report["pairs"], report["precision"]) == (2, 0.5)  # "unrelated" is no flag, 0.79 is below
    assert report["per_stance"] == {"contradicts": {"pairs": 2, "precision": 0.5}}
