"""Per-label thresholds tuned on dev; error rates on held-out documents."""

from __future__ import annotations

import numpy as np
import pytest

from models.layout import LabelLayout
from models.taxonomy import load_taxonomy
from models.thresholds import best_f1_threshold, cross_fitted_error_rates, error_rates, tune_thresholds


@pytest.fixture(scope="module")
def lay() -> LabelLayout:
    return LabelLayout(load_taxonomy())


def test_best_f1_threshold_separates() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    t, f = best_f1_threshold(p, y)
    assert 0.3 < t <= 0.7 and f == 1.0
    t2, _ = best_f1_threshold(np.array([0.2, 0.25, 0.1, 0.05]), np.array([1, 1, 0, 0]))
    assert 0.1 < t2 <= 0.2


def _dev(lay: LabelLayout, n: int = 40):
    tax = load_taxonomy()
    rng = np.random.default_rng(0)
    labels = []
    for i in range(n):
        rel = i % 4 != 0
        labels.append(tax.validate_labels({"relevant": rel, "stereotype": ["dirt"] if rel and i % 3 == 0 else [],
                                           "stance": ["neutral", "supportive"][i % 2] if rel else None}))
    y, m = lay.encode(labels)
    s = np.clip(y * 0.35 + rng.uniform(0, 0.3, y.shape), 0, 1)  # positives in [0.35, 0.65]
    return s, y, m


def test_tune_thresholds(lay: LabelLayout) -> None:
    s, y, m = _dev(lay)
    th, details = tune_thresholds(s, y, m, lay, min_pos=3)
    assert set(th) == set(lay.keys)
    assert 0.3 <= th["relevant"] <= 0.35 and details["relevant"]["dev_f1"] == 1.0
    assert 0.3 <= th["stereotype.dirt"] <= 0.35
    assert th["stereotype.poverty"] == 0.5 and details["stereotype.poverty"]["source"].startswith("default")
    assert th["stance.stigmatizing"] == 0.0
    decisions = lay.decide(s, th)
    assert (decisions[:, lay.index["relevant"]] == (y[:, 0] == 1)).all()


def test_error_rates(lay: LabelLayout) -> None:
    s, y, m = _dev(lay)
    th = {k: 0.5 for k in lay.keys}
    rates = error_rates(s, y, m, lay, th, measured_on="test")
    r = rates["relevant"]
    assert r["n_pos"] == 30 and r["n_neg"] == 10 and r["measured_on"] == "test"
    assert 0.0 < r["tpr"] < 1.0 and r["fpr"] == 0.0
    dirt = rates["stereotype.dirt"]
    assert dirt["n_pos"] + dirt["n_neg"] == 30 and dirt["population"] == "gold-relevant documents"
    assert rates["stereotype.poverty"]["tpr"] is None
    cf = cross_fitted_error_rates(s, y, m, lay, folds=4)
    assert cf["relevant"]["tpr"] == 1.0 and cf["relevant"]["measured_on"].startswith("dev")


def test_prefilter_skips_leave_the_rates_and_soft_rates_are_mean_scores(lay: LabelLayout) -> None:
    s, y, m = _dev(lay)
    th, _ = tune_thresholds(s, y, m, lay)
    gate = lay.gate_column
    plain = error_rates(s, y, m, lay, th, measured_on="test")
    pos = np.flatnonzero(y[:, gate] > 0.5)
    assert plain["relevant"]["soft_tpr"] == pytest.approx(s[pos, gate].mean(), abs=1e-4)
    assert plain["relevant"]["soft_fpr"] == pytest.approx(s[y[:, gate] < 0.5, gate].mean(), abs=1e-4)
    # skip three gold-relevant documents the model found: the rates are measured on the others
    found = [i for i in pos if s[i, gate] >= th["relevant"]][:3]
    skipped = np.zeros(len(y), dtype=bool)
    skipped[found] = True
    cut = error_rates(s, y, m, lay, th, measured_on="test", skipped=skipped)
    n_pos = plain["relevant"]["n_pos"]
    tp = round(plain["relevant"]["tpr"] * n_pos)
    assert cut["relevant"]["n_pos"] == n_pos - 3 and cut["relevant"]["n_skipped_by_prefilter"] == 3
    assert cut["relevant"]["tpr"] == pytest.approx((tp - 3) / (n_pos - 3), abs=1e-3)
    assert cut["relevant"]["fpr"] == plain["relevant"]["fpr"]
    kept = np.setdiff1d(pos, found)
    assert cut["relevant"]["soft_tpr"] == pytest.approx(s[kept, gate].mean(), abs=1e-4)
    assert "prefilter passes" in cut["relevant"]["population"]
    # gated keys: the skipped documents leave their populations too
    stance = [k for k in lay.keys if k.startswith("stance.") and plain[k]["n_pos"]]
    assert sum(cut[k]["n_pos"] for k in stance) == sum(plain[k]["n_pos"] for k in stance) - 3
    assert all(cut[k]["n_skipped_by_prefilter"] == 3 for k in stance)


def test_thresholds_never_count_a_skipped_document_as_found(lay: LabelLayout) -> None:
    s, y, m = _dev(lay)
    gate = lay.gate_column
    # skip every gold-relevant document scoring below 0.6: tuned without the skips, the gate's cut sits
    # below them; tuned with them, those documents are misses whatever the cut, so it moves up
    skipped = (y[:, gate] > 0.5) & (s[:, gate] < 0.6)
    assert skipped.any()
    th, det = tune_thresholds(s, y, m, lay)
    th2, det2 = tune_thresholds(s, y, m, lay, skipped=skipped)
    assert det2["relevant"]["dev_f1"] < det["relevant"]["dev_f1"]
    assert th2["relevant"] >= th["relevant"]
