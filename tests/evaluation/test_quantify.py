"""Plain and corrected prevalence estimates (the module trends reuses)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluation.quantify import (
    adjustable,
    adjusted_count,
    classify_and_count,
    crossfit_estimates,
    hard_rates,
    probabilistic_adjusted_count,
    probabilistic_classify_and_count,
    rates_from_error_file,
    soft_rates,
)


@pytest.mark.parametrize("observed, tpr, fpr, expected", [
    (0.30, 0.8, 0.1, 0.2 / 0.7),
    (0.10, 0.8, 0.1, 0.0),     # observed equals the false-positive rate: no positives
    (0.05, 0.8, 0.1, 0.0),     # below it: clipped
    (0.85, 0.8, 0.1, 1.0),     # above tpr: clipped
    (0.45, 0.9, 0.0, 0.5),
])
def test_adjusted_count_by_hand(observed: float, tpr: float, fpr: float, expected: float) -> None:
    assert float(adjusted_count(observed, tpr, fpr)) == pytest.approx(expected)


def test_unclipped_and_vectorised() -> None:
    assert float(adjusted_count(0.05, 0.8, 0.1, clip=False)) == pytest.approx(-0.05 / 0.7)
    out = adjusted_count(np.array([0.1, 0.3, 0.5]), np.array([0.8, 0.8, 0.6]), 0.1)
    assert out.tolist() == pytest.approx([0.0, 0.2 / 0.7, 0.8])


def test_degenerate_rates_return_observed() -> None:
    assert float(adjusted_count(0.4, 0.3, 0.3)) == pytest.approx(0.4)   # tpr == fpr: no information
    assert float(adjusted_count(0.4, 0.2, 0.5)) == pytest.approx(0.4)   # worse than chance
    assert float(adjusted_count(0.4, None, 0.1)) == pytest.approx(0.4)  # unmeasured
    assert adjustable(0.8, 0.1) and not adjustable(0.3, 0.3) and not adjustable(None, 0.1)


def test_cc_pcc_and_rates_by_hand() -> None:
    d = np.array([1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.6, 0.4, 0.1, 0.7, 0.3])
    y = np.array([1, 1, 1, 0, 0, 0])
    assert float(classify_and_count(d)) == pytest.approx(0.5)
    assert float(probabilistic_classify_and_count(s)) == pytest.approx(3.0 / 6)
    assert hard_rates(d, y) == pytest.approx((2 / 3, 1 / 3))
    assert soft_rates(s, y) == pytest.approx((1.9 / 3, 1.1 / 3))
    assert float(probabilistic_adjusted_count(0.5, 1.9 / 3, 1.1 / 3)) == pytest.approx((0.5 - 1.1 / 3) / (0.8 / 3))
    assert math.isnan(hard_rates(d, np.ones(6))[1])


def test_rates_from_error_file() -> None:
    rates = {"stereotype.dirt": {"tpr": 0.75, "fpr": 0.05, "n_pos": 8, "n_neg": 100},
             "stereotype.disease": {"tpr": None, "fpr": 0.0, "n_pos": 0, "n_neg": 108}}
    assert rates_from_error_file(rates, "stereotype.dirt") == (0.75, 0.05)
    assert rates_from_error_file(rates, "stereotype.disease") == (None, 0.0)
    assert rates_from_error_file(rates, "relevant") == (None, None)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60), st.data())
def test_exact_rates_recover_prevalence_exactly(n_pos: int, n_neg: int, data: st.DataObject) -> None:
    """With tpr/fpr measured on the very set, ACC returns its true prevalence (when tpr > fpr)."""
    tp = data.draw(st.integers(0, n_pos))
    fp = data.draw(st.integers(0, n_neg))
    tpr, fpr = tp / n_pos, fp / n_neg
    assume(tpr > fpr + 1e-6)
    observed = (tp + fp) / (n_pos + n_neg)
    assert float(adjusted_count(observed, tpr, fpr)) == pytest.approx(n_pos / (n_pos + n_neg), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.floats(0.05, 1), st.floats(0, 0.9))
def test_estimate_in_unit_interval(observed: float, tpr: float, fpr: float) -> None:
    assert 0.0 <= float(adjusted_count(observed, tpr, fpr)) <= 1.0


@pytest.mark.parametrize("observed, tpr, fpr", [(0.3, 0.8, 0.1), (0.05, 0.8, 0.1), (0.9, 0.7, 0.2), (0.5, 0.6, 0.4)])
def test_matches_quapy_adjustment(observed: float, tpr: float, fpr: float) -> None:
    """The closed form equals QuaPy's ACC adjustment for two classes (constrained solver)."""
    pytest.importorskip("quapy")
    from quapy.method.aggregative import ACC

    # M[i, j] = P(predicted i | true j), classes (negative, positive)
    m = np.array([[1 - fpr, 1 - tpr], [fpr, tpr]])
    q = np.array([1 - observed, observed])
    prev = ACC.solve_adjustment(m, q, method="inversion", solver="minimize")
    assert float(adjusted_count(observed, tpr, fpr)) == pytest.approx(float(prev[1]), abs=1e-4)
    if fpr <= observed <= tpr:
        exact = ACC.solve_adjustment(m, q, method="inversion", solver="exact-raise")
        assert float(adjusted_count(observed, tpr, fpr)) == pytest.approx(float(exact[1]), abs=1e-9)


def test_crossfit_perfect_classifier_is_exact() -> None:
    y = np.array([1] * 12 + [0] * 28, dtype=bool)
    est = crossfit_estimates(y, y.astype(float), y, folds=4)
    assert est["acc"] == pytest.approx(0.3) and est["pacc"] == pytest.approx(0.3)


def test_crossfit_corrects_a_biased_classifier() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(4000) < 0.1
    d = np.where(y, rng.random(4000) < 0.8, rng.random(4000) < 0.2)  # tpr .8, fpr .2 -> CC ≈ .26
    s = np.where(d, 0.7, 0.3)
    est = crossfit_estimates(d, s, y, folds=5)
    assert abs(float(d.mean()) - y.mean()) > 0.12
    assert abs(est["acc"] - y.mean()) < 0.02
    assert abs(est["pacc"] - y.mean()) < 0.02


def test_crossfit_needs_both_classes() -> None:
    est = crossfit_estimates(np.ones(5, bool), np.ones(5), np.ones(5, bool))
    assert math.isnan(est["acc"]) and math.isnan(est["pacc"])
