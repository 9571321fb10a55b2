"""End-to-end metrics per label, per facet and overall."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.layout import LabelLayout
from models.metrics import evaluate_decisions, f1_score_counts
from models.taxonomy import load_taxonomy


@pytest.mark.parametrize("tp, fp, fn, f1", [(8, 2, 2, 0.8), (0, 0, 0, 0.0), (0, 3, 0, 0.0), (5, 0, 0, 1.0)])
def test_f1_counts(tp: int, fp: int, fn: int, f1: float) -> None:
    assert f1_score_counts(tp, fp, fn) == pytest.approx(f1)


def test_evaluate_counts_relevance_errors_against_facets() -> None:
    tax = load_taxonomy()
    lay = LabelLayout(tax)
    gold = [tax.validate_labels(x) for x in (
        {"relevant": True, "stereotype": ["dirt"], "stance": "stigmatizing"},
        {"relevant": True, "exclusion": ["employment"], "stance": "neutral"},
        {"relevant": False})]
    y, _ = lay.encode(gold)
    d = y.astype(bool).copy()
    d[1] = False  # the second relevant document is missed entirely
    m = evaluate_decisions(d, y, lay)
    assert m["per_label"]["relevant"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["per_label"]["exclusion.employment"]["recall"] == 0.0
    assert m["per_label"]["stereotype.dirt"]["f1"] == 1.0
    assert m["per_facet"]["exclusion"] == 0.0
    assert m["per_facet"]["practice"] is None  # no gold positives
    scored = [v["f1"] for v in m["per_label"].values() if v["support"]]
    assert m["macro_f1"] == pytest.approx(np.mean(scored), abs=1e-4)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2**31 - 1))
def test_scores_in_unit_interval(n: int, seed: int) -> None:
    lay = LabelLayout(load_taxonomy())
    rng = np.random.default_rng(seed)
    y = (rng.random((n, lay.n_keys)) < 0.3).astype(float)
    d = rng.random((n, lay.n_keys)) < 0.3
    m = evaluate_decisions(d, y, lay)
    for v in m["per_label"].values():
        assert 0.0 <= v["f1"] <= 1.0 and 0.0 <= v["precision"] <= 1.0
    assert 0.0 <= m["macro_f1"] <= 1.0
