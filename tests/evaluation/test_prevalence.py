"""Prevalence error on a gold set and the prevalence-shift study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpora.annotated import AnnotatedDoc
from evaluation.arrays import EvalArrays, align
from evaluation.gold import load_gold, system_from_predictions
from evaluation.prevalence import prevalence_errors
from evaluation.shift import ShiftConfig, shift_study
from models.layout import LabelLayout
from models.taxonomy import load_taxonomy

TAX = load_taxonomy()
LAY = LabelLayout(TAX)


def _synthetic(n: int, prevalence: float, tpr: float, fpr: float, seed: int) -> EvalArrays:
    """All documents relevant; 'stereotype.dirt' has the given prevalence and a classifier with the given rates."""
    rng = np.random.default_rng(seed)
    k = LAY.n_keys
    c = LAY.index["stereotype.dirt"]
    y = np.zeros((n, k), dtype=bool)
    y[:, LAY.gate_column] = True
    y[:, c] = rng.random(n) < prevalence
    d = y.copy()
    d[:, c] = np.where(y[:, c], rng.random(n) < tpr, rng.random(n) < fpr)
    s = np.where(d, 0.7, 0.2).astype(float)
    docs = [AnnotatedDoc(id=f"s{i}", text="工友", date=None, city=None, source="news", outlet=None, labels={})
            for i in range(n)]
    return EvalArrays(LAY, docs, y, s, d, d.copy(), np.ones((n, k), dtype=bool), np.zeros(n, dtype=bool),
                      [{} for _ in range(n)], [None] * n, True)


def test_gold_set_prevalence_by_hand(small_gold: Path, small_pred: Path) -> None:
    ev = align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)
    res = prevalence_errors(ev, None, gold_name="small")
    rel = res["per_key"]["relevant"]
    assert (rel["n"], rel["n_pos"], rel["true"], rel["cc"]) == (8, 6, 0.75, 0.75)
    dirt = res["per_key"]["stereotype.dirt"]
    # on the 6 gold-relevant docs: 1 positive; decisions on d1 and d7; scores .8 .1 .1 .1 .8 .1
    assert (dirt["n"], dirt["true"], dirt["cc"]) == (6, pytest.approx(1 / 6, abs=1e-4), pytest.approx(2 / 6, abs=1e-4))
    assert dirt["pcc"] == pytest.approx((0.8 * 2 + 0.1 * 4) / 6, abs=1e-4)
    assert dirt["error"]["cc"] == pytest.approx(1 / 6, abs=1e-4)
    assert "acc_stored" not in dirt
    assert any("thresholds unknown" in n for n in res["notes"])


def test_stored_rates_and_in_sample_warning() -> None:
    ev = _synthetic(400, 0.2, tpr=0.8, fpr=0.1, seed=0)
    c = LAY.index["stereotype.dirt"]
    y, d = ev.y[:, c], ev.raw_decisions[:, c]
    rates = {k: {"tpr": None, "fpr": None, "measured_on": "test", "n_pos": int(ev.y[:, j].sum()),
                 "n_neg": int((~ev.y[:, j]).sum())} for j, k in enumerate(LAY.keys)}
    rates["stereotype.dirt"].update(tpr=float(d[y].mean()), fpr=float(d[~y].mean()))
    res = prevalence_errors(ev, rates, gold_name="bundled-test")
    dirt = res["per_key"]["stereotype.dirt"]
    assert dirt["acc_stored"] == pytest.approx(dirt["true"], abs=1e-4)  # in-sample rates: exact
    assert abs(dirt["error"]["cc"]) > 0.03
    assert abs(dirt["error"]["acc_crossfit"]) < abs(dirt["error"]["cc"])
    assert any(n.startswith("acc_stored is in-sample") for n in res["notes"])
    # the same rates on a test split whose counts differ (another corpus version): said so
    rates["stereotype.dirt"]["n_pos"] += 3
    res = prevalence_errors(ev, rates, gold_name="bundled-test")
    assert any("different version" in n for n in res["notes"])
    res = prevalence_errors(ev, rates, gold_name="my-gold")
    assert any("out-of-sample" in n for n in res["notes"])


def test_perfect_decisions_have_no_prevalence_error() -> None:
    ev = _synthetic(200, 0.3, tpr=1.0, fpr=0.0, seed=1)
    err = prevalence_errors(ev, None)["per_key"]["stereotype.dirt"]["error"]
    assert err["cc"] == 0.0 and err["acc_crossfit"] == 0.0
    # scores are 0.7 / 0.2, not 1 / 0: the mean score is off, the soft-rate correction is exact
    assert err["pcc"] == pytest.approx(0.7 * err_true(ev) + 0.2 * (1 - err_true(ev)) - err_true(ev), abs=1e-4)
    assert err["pacc_crossfit"] == pytest.approx(0.0, abs=1e-9)


def err_true(ev: EvalArrays) -> float:
    return float(ev.y[:, LAY.index["stereotype.dirt"]].mean())


def test_shift_study_perfect_classifier_is_exact() -> None:
    ev = _synthetic(300, 0.3, tpr=1.0, fpr=0.0, seed=2)
    res = shift_study(ev, ShiftConfig(prevalences=(0.05, 0.5), sample_size=100, repeats=5))
    assert list(res["keys"]) == ["stereotype.dirt"]
    assert "relevant" in res["skipped"]  # no gold negatives
    for p in ("0.05", "0.5"):
        assert res["summary"]["mae"][p]["cc"] == 0.0 and res["summary"]["mae"][p]["acc"] == 0.0


def test_shift_study_corrected_beats_plain_far_from_balance() -> None:
    ev = _synthetic(2000, 0.3, tpr=0.75, fpr=0.15, seed=3)
    rates = {"stereotype.dirt": {"tpr": 0.75, "fpr": 0.15}}
    res = shift_study(ev, ShiftConfig(prevalences=(0.02, 0.5), sample_size=400, repeats=30, seed=4),
                      error_rates=rates)
    low = res["summary"]["bias"]["0.02"]
    # plain CC sits near fpr + (tpr - fpr) * 0.02 ≈ 0.162: biased up by ≈ 0.14
    assert low["cc"] == pytest.approx(0.75 * 0.02 + 0.15 * 0.98 - 0.02, abs=0.03)
    assert abs(low["acc"]) < 0.03 and abs(low["acc_stored"]) < 0.03
    high = res["summary"]["mae"]["0.5"]
    assert high["acc"] < high["cc"]
    assert res["summary"]["mae_all"]["acc"] < res["summary"]["mae_all"]["cc"]


def test_shift_config_validation() -> None:
    with pytest.raises(ValueError, match="prevalences"):
        ShiftConfig(prevalences=(0.0, 0.5))
    with pytest.raises(ValueError, match="sample_size"):
        ShiftConfig(sample_size=3)
