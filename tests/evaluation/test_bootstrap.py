"""Bootstrap resamples, percentile intervals and the paired test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.bootstrap import paired_difference, percentile_interval, resample_weights


def test_resample_weights_shape_sum_and_reproducible() -> None:
    w = resample_weights(40, 300, seed=7)
    assert w.shape == (300, 40)
    assert (w.sum(axis=1) == 40).all()
    assert np.array_equal(w, resample_weights(40, 300, seed=7))
    assert not np.array_equal(w, resample_weights(40, 300, seed=8))
    # every document is drawn about once per resample on average
    assert abs(w.mean() - 1.0) < 1e-9
    assert 0.3 < (w == 0).mean() < 0.45  # (1 - 1/n)^n ≈ 0.36


def test_resample_weights_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        resample_weights(0, 10)


def test_percentile_interval_by_hand() -> None:
    s = np.arange(101, dtype=float)  # quantiles at 2.5 % and 97.5 % of 0..100
    assert percentile_interval(s, 0.95) == (2.5, 97.5)
    with_nan = np.concatenate([s, [np.nan] * 10])
    assert percentile_interval(with_nan, 0.95) == (2.5, 97.5)
    assert percentile_interval(np.array([np.nan, np.nan, 1.0]), 0.95) is None


def test_paired_identical_systems() -> None:
    rng = np.random.default_rng(0)
    s = rng.random(500)
    res = paired_difference(0.6, 0.6, s, s)
    assert res["diff"] == 0.0 and res["ci"] == [0.0, 0.0] and res["p_value"] == 1.0


def test_paired_clear_difference_is_significant() -> None:
    rng = np.random.default_rng(1)
    a = 0.5 + 0.02 * rng.standard_normal(1000)
    b = a + 0.1 + 0.01 * rng.standard_normal(1000)
    res = paired_difference(0.5, 0.6, a, b)
    assert res["diff"] == pytest.approx(0.1)
    assert res["p_value"] == pytest.approx(1 / 1001, abs=1e-4)
    assert res["ci"][0] > 0.07 and res["ci"][1] < 0.13


def test_paired_noise_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    a = 0.5 + 0.05 * rng.standard_normal(1000)
    b = a + 0.05 * rng.standard_normal(1000)
    res = paired_difference(0.5, 0.502, a, b)
    assert res["p_value"] > 0.5
    assert res["ci"][0] < 0 < res["ci"][1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=20, max_size=60), st.floats(-0.3, 0.3))
def test_paired_p_value_in_unit_interval(values: list[float], shift: float) -> None:
    a = np.array(values)
    res = paired_difference(float(a.mean()), float(a.mean() + shift), a, a[::-1] + shift)
    assert 0 < res["p_value"] <= 1
