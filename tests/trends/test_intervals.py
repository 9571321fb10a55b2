"""Wilson intervals, effective sample size and the bootstrap of the corrected share."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trends.intervals import bootstrap_adjusted, effective_n, wilson_interval, z_value


@pytest.mark.parametrize("count, n, lo, hi", [
    (5, 50, 0.0435, 0.2136),     # textbook values (Newcombe 1998 method 3 style)
    (0, 20, 0.0, 0.1611),
    (20, 20, 0.8389, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_wilson_known_values(count: int, n: int, lo: float, hi: float) -> None:
    a, b = wilson_interval(np.array([count]), np.array([n]))
    assert a[0] == pytest.approx(lo, abs=5e-4) and b[0] == pytest.approx(hi, abs=5e-4)


def test_wilson_empty_cell_is_nan_and_level_widens() -> None:
    lo, hi = wilson_interval(np.array([0.0, 3.0]), np.array([0.0, 10.0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    lo99, hi99 = wilson_interval(np.array([3.0]), np.array([10.0]), level=0.99)
    assert lo99[0] < lo[1] and hi99[0] > hi[1]
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1, max_size=30))
def test_wilson_contains_the_share(pairs) -> None:
    count = np.array([min(c, n) for c, n in pairs], dtype=float)
    n = np.array([n for _, n in pairs], dtype=float)
    lo, hi = wilson_interval(count, n)
    p = count / n
    assert (lo <= p).all() and (p <= hi).all() and (lo >= 0).all() and (hi <= 1).all()


def test_effective_n() -> None:
    assert effective_n(np.array([4.0]), np.array([4.0]))[0] == 4.0           # four unit weights
    assert effective_n(np.array([4.0]), np.array([10.0]))[0] == pytest.approx(1.6)  # weights 1, 3
    assert effective_n(np.array([0.0]), np.array([0.0]))[0] == 0.0


def _boot(share, n, tpr, fpr, n_pos, n_neg, **kw):
    from evaluation.quantify import adjusted_count

    share, n = np.atleast_1d(share).astype(float), np.atleast_1d(n).astype(float)
    est = adjusted_count(share, tpr, fpr)
    lo, hi = bootstrap_adjusted(share, n, tpr, fpr, n_pos, n_neg, estimate=est, **kw)
    return est, lo, hi


def test_bootstrap_widens_with_fewer_held_out_documents() -> None:
    _, lo_many, hi_many = _boot(0.3, 2000, 0.8, 0.1, 2000, 2000)
    _, lo_few, hi_few = _boot(0.3, 2000, 0.8, 0.1, 20, 20)
    assert (hi_few - lo_few)[0] > 2 * (hi_many - lo_many)[0]


def test_bootstrap_is_reproducible_and_missing_rates_give_nan() -> None:
    a = _boot([0.2, 0.5], [100, 100], 0.7, 0.2, 50, 50, seed=3)
    b = _boot([0.2, 0.5], [100, 100], 0.7, 0.2, 50, 50, seed=3)
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    lo, hi = bootstrap_adjusted(np.array([0.3]), np.array([100.0]), None, 0.1, 10, 10, estimate=np.array([0.3]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    # tpr <= fpr: the correction is undefined, so is its interval
    lo, hi = bootstrap_adjusted(np.array([0.3]), np.array([100.0]), 0.2, 0.3, 10, 10, estimate=np.array([0.3]))
    assert np.isnan(lo[0])
    # an empty cell has no interval; identical cells get identical intervals
    lo, hi = bootstrap_adjusted(np.array([0.0, 0.25, 0.25]), np.array([0.0, 40.0, 40.0]), 0.8, 0.1, 50, 50,
                                estimate=np.array([0.0, 0.2143, 0.2143]))
    assert np.isnan(lo[0]) and lo[1] == lo[2] and hi[1] == hi[2]


def test_bootstrap_covers_the_truth_in_repeated_simulations() -> None:
    """95 % intervals of the corrected share cover the true prevalence in most simulated cells."""
    rng = np.random.default_rng(11)
    tpr, fpr, n_pos, n_neg, n = 0.75, 0.12, 300, 600, 400
    truth = rng.uniform(0.05, 0.6, 200)
    # the rates are themselves estimated from the held-out sample, as in a real model directory
    tpr_hat = rng.binomial(n_pos, tpr, 200) / n_pos
    fpr_hat = rng.binomial(n_neg, fpr, 200) / n_neg
    share = rng.binomial(n, truth * tpr + (1 - truth) * fpr) / n
    from evaluation.quantify import adjusted_count

    est = adjusted_count(share, tpr_hat, fpr_hat)
    inside = []
    for i in range(200):  # each cell with its own held-out sample: one model per cell
        lo, hi = bootstrap_adjusted(share[i:i + 1], np.array([float(n)]), tpr_hat[i], fpr_hat[i], n_pos, n_neg,
                                    estimate=est[i:i + 1], reps=400, seed=i)
        inside.append(lo[0] <= truth[i] <= hi[0])
    coverage = float(np.mean(inside))
    assert 0.88 <= coverage <= 1.0


@settings(max_examples=40, deadline=None)
@given(share=st.floats(0, 1), n=st.integers(1, 2000), tpr=st.floats(0.3, 1.0), fpr=st.floats(0.0, 0.25),
       n_pos=st.integers(1, 500), n_neg=st.integers(1, 500))
def test_bootstrap_interval_contains_the_estimate(share, n, tpr, fpr, n_pos, n_neg) -> None:
    est, lo, hi = _boot(share, n, tpr, fpr, n_pos, n_neg, reps=100)
    assert 0 <= lo[0] <= est[0] <= hi[0] <= 1
