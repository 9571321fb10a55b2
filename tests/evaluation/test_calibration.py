"""Expected calibration error and reliability bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.calibration import expected_calibration_error, reliability_bins


def test_ece_by_hand() -> None:
    # bin [0.9, 1): mean 0.9, share 0.5 -> |0.4| * 2/5; bin [0.2, 0.3): mean 0.2, share 0 -> 0.2 * 2/5;
    # bin [0.6, 0.7): mean 0.6, share 1 -> 0.4 * 1/5
    p = np.array([0.9, 0.9, 0.2, 0.2, 0.6])
    y = np.array([1, 0, 0, 0, 1])
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(0.4 * 0.4 + 0.2 * 0.4 + 0.4 * 0.2)


def test_perfectly_calibrated_bins_give_zero() -> None:
    p = np.array([0.25] * 4 + [0.75] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(0.0)


def test_score_one_falls_in_last_bin() -> None:
    bins = reliability_bins(np.array([1.0, 0.0]), np.array([1, 0]), n_bins=4)
    assert [b["n"] for b in bins] == [1, 0, 0, 1]
    assert bins[3] == {"lo": 0.75, "hi": 1.0, "n": 1, "mean_score": 1.0, "share_positive": 1.0}
    assert bins[1]["mean_score"] is None


def test_empty_and_bad_input() -> None:
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))
    with pytest.raises(ValueError, match="shape"):
        reliability_bins(np.array([0.1, 0.2]), np.array([1]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=50), st.integers(2, 20))
def test_ece_in_unit_interval_and_bins_count_everything(pairs: list[tuple[float, bool]], n_bins: int) -> None:
    p = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    e = expected_calibration_error(p, y, n_bins=n_bins)
    assert 0.0 <= e <= 1.0
    assert sum(b["n"] for b in reliability_bins(p, y, n_bins=n_bins)) == len(pairs)
