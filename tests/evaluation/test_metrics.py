"""Counts, precision/recall/F1, macro/micro averages, confusion matrix, average precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.metrics import (
    average_precision,
    confusion_matrix,
    counts,
    f1,
    macro,
    micro_f1,
    precision,
    recall,
    safe_div,
)

Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=bool)
D = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=bool)


def test_counts_by_hand() -> None:
    c = counts(Y, D)
    # label 0: tp docs 0,4; fp doc 2; fn doc 1 | label 1: tp 1,2 | label 2: fp doc 0, no gold
    assert c.tp.tolist() == [2, 2, 0]
    assert c.fp.tolist() == [1, 0, 1]
    assert c.fn.tolist() == [1, 0, 0]
    assert c.tn.tolist() == [1, 3, 4]
    assert c.support.tolist() == [3, 2, 0]
    assert c.predicted.tolist() == [3, 2, 1]


def test_prf_by_hand() -> None:
    c = counts(Y, D)
    assert precision(c)[0] == pytest.approx(2 / 3)
    assert recall(c)[0] == pytest.approx(2 / 3)
    assert f1(c)[0] == pytest.approx(2 / 3)
    assert f1(c)[1] == 1.0
    assert precision(c)[2] == 0.0 and math.isnan(recall(c)[2]) and f1(c)[2] == 0.0


def test_undefined_is_nan() -> None:
    c = counts(np.zeros((3, 1), bool), np.zeros((3, 1), bool))
    assert math.isnan(precision(c)[0]) and math.isnan(recall(c)[0]) and math.isnan(f1(c)[0])


def test_applies_mask_drops_cells() -> None:
    applies = np.ones_like(Y)
    applies[2, 0] = False  # the false positive of label 0 is not scored
    c = counts(Y, D, applies)
    assert c.fp.tolist() == [0, 0, 1]
    assert f1(c)[0] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))


def test_macro_skips_excluded_and_nan() -> None:
    c = counts(Y, D)
    include = c.support > 0
    assert macro(f1(c), include) == pytest.approx((2 / 3 + 1.0) / 2)
    assert macro(np.array([0.5, np.nan, 1.0])) == pytest.approx(0.75)
    assert math.isnan(macro(np.array([np.nan, np.nan])))


def test_micro_by_hand() -> None:
    c = counts(Y, D)
    # pooled: tp 4, fp 2, fn 1 -> 8 / (8 + 3)
    assert micro_f1(c) == pytest.approx(8 / 11)
    assert micro_f1(c.select([1])) == pytest.approx(1.0)


def test_weights_equal_duplicating_documents() -> None:
    w = np.array([2, 0, 1, 1, 3])
    dup = np.repeat(np.arange(5), w)
    cw = counts(Y, D, weights=w)
    cd = counts(Y[dup], D[dup])
    for a, b in ((cw.tp, cd.tp), (cw.fp, cd.fp), (cw.fn, cd.fn), (cw.tn, cd.tn)):
        assert np.allclose(a, b)
    both = counts(Y, D, weights=np.stack([w, np.ones(5)]))
    assert both.tp.shape == (2, 3)
    assert np.allclose(both.tp[1], counts(Y, D).tp)


def test_confusion_matrix_by_hand() -> None:
    gold = ["supportive", "neutral", "neutral", "stigmatizing", "none"]
    pred = ["supportive", "supportive", "neutral", "none", "none"]
    labels = ["stigmatizing", "neutral", "supportive", "none"]
    m = confusion_matrix(gold, pred, labels)
    assert m.tolist() == [[0, 0, 0, 1], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    with pytest.raises(ValueError, match="positive"):
        confusion_matrix(["positive"], ["none"], labels)


def test_average_precision_by_hand() -> None:
    # ranking: pos (0.9), neg (0.8), pos (0.7): AP = 1/2 * (1/1 + 2/3)
    assert average_precision(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1])) == pytest.approx((1 + 2 / 3) / 2)
    assert math.isnan(average_precision(np.array([0.2, 0.4]), np.array([0, 0])))


def test_safe_div() -> None:
    out = safe_div(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    assert math.isnan(out[0]) and out[1] == 0.5


matrices = st.integers(1, 25).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=n, max_size=n),
    st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=n, max_size=n)))


@settings(max_examples=80, deadline=None)
@given(matrices)
def test_f1_in_unit_interval(pair: tuple[list[list[bool]], list[list[bool]]]) -> None:
    y, d = np.array(pair[0]), np.array(pair[1])
    c = counts(y, d)
    for v in (precision(c), recall(c), f1(c), np.atleast_1d(micro_f1(c)), np.atleast_1d(macro(f1(c)))):
        ok = v[~np.isnan(v)]
        assert ((ok >= 0) & (ok <= 1)).all()


@settings(max_examples=80, deadline=None)
@given(matrices)
def test_perfect_predictions_give_one(pair: tuple[list[list[bool]], list[list[bool]]]) -> None:
    y = np.array(pair[0])
    c = counts(y, y.copy())
    has = c.support > 0
    assert np.all(f1(c)[has] == 1.0) and np.all(precision(c)[has] == 1.0) and np.all(recall(c)[has] == 1.0)
    if has.any():
        assert macro(f1(c), has) == 1.0 and micro_f1(c) == 1.0


@pytest.mark.parametrize("tp, fp, fn, expected", [(8, 2, 2, 0.8), (0, 0, 0, 0.0), (0, 3, 0, 0.0), (5, 0, 0, 1.0)])
def test_scalar_f1(tp: int, fp: int, fn: int, expected: float) -> None:
    from evaluation.metrics import f1_score_counts

    assert f1_score_counts(tp, fp, fn) == pytest.approx(expected)
    assert math.isnan(f1_score_counts(0, 0, 0, undefined=float("nan")))
