"""System quality on the eight hand-labelled documents of conftest.SMALL, every figure computed by hand.

Gold-relevant: d1 d2 d3 d4 d7 d8. Predicted relevant: d1 d2 d3 d5 d7 d8 (d4 missed, d5 a false alarm,
d6 skipped by the prefilter).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.arrays import align
from evaluation.bootstrap import resample_weights
from evaluation.gold import load_gold, system_from_predictions
from evaluation.quality import macro_samples, system_quality
from models.taxonomy import load_taxonomy

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def quality(small_gold: Path, small_pred: Path) -> dict:
    gold = load_gold(small_gold, TAX)
    ev = align(gold.docs, system_from_predictions(small_pred), TAX)
    return system_quality(ev, resample_weights(ev.n_docs, 300, seed=1), n_bins=10)


def test_counts_of_the_set(quality: dict) -> None:
    assert (quality["n_docs"], quality["n_gold_relevant"], quality["n_skipped"]) == (8, 6, 1)
    assert quality["n_skipped_gold_relevant"] == 0  # d6, the skipped one, is not relevant


def test_relevance(quality: dict) -> None:
    rel = quality["relevance"]
    assert (rel["tp"], rel["fp"], rel["fn"]) == (5, 1, 1)
    assert rel["precision"] == pytest.approx(5 / 6, abs=1e-4)
    assert rel["recall"] == pytest.approx(5 / 6, abs=1e-4)
    assert rel["f1"] == pytest.approx(5 / 6, abs=1e-4)
    lo, hi = rel["ci"]["f1"]
    assert 0.0 <= lo <= rel["f1"] <= hi <= 1.0


@pytest.mark.parametrize("key, p, r, f", [
    ("stereotype.dirt", 0.5, 1.0, 2 / 3),           # d1 right, d7 a false positive
    ("stereotype.burden", None, 0.0, 0.0),          # d4 missed (predicted irrelevant)
    ("exclusion.discrimination", None, 0.0, 0.0),
    ("exclusion.employment", 1.0, 1.0, 1.0),
    ("exclusion.education", None, 0.0, 0.0),
    ("practice.partnership", None, 0.0, 0.0),
    ("stance.neutral", 0.5, 0.5, 0.5),              # gold d1 d2, predicted d1 d8
    ("stance.supportive", 2 / 3, 2 / 3, 2 / 3),     # gold d3 d7 d8, predicted d2 d3 d7
    ("stance.stigmatizing", None, 0.0, 0.0),
    ("stereotype.poverty", None, None, None),       # neither in gold nor predicted
])
def test_per_label(quality: dict, key: str, p: float | None, r: float | None, f: float | None) -> None:
    v = quality["per_label"][key]
    for got, want in ((v["precision"], p), (v["recall"], r), (v["f1"], f)):
        assert got == (None if want is None else pytest.approx(want, abs=1e-4))
    assert v["n_scored"] == (8 if key == "relevant" else 6)


@pytest.mark.parametrize("facet, macro_f1, micro_f1", [
    ("stereotype", (2 / 3 + 0) / 2, 2 * 1 / (2 * 1 + 1 + 1)),
    ("exclusion", (0 + 1 + 1 + 0) / 4, 2 * 3 / (2 * 3 + 0 + 2)),
    ("practice", (1 + 0 + 1) / 3, 2 * 2 / (2 * 2 + 0 + 1)),
    ("stance", (0 + 0.5 + 2 / 3) / 3, 2 * 3 / (2 * 3 + 2 + 3)),
])
def test_per_facet(quality: dict, facet: str, macro_f1: float, micro_f1: float) -> None:
    f = quality["per_facet"][facet]
    assert f["macro_f1"] == pytest.approx(macro_f1, abs=1e-4)
    assert f["micro_f1"] == pytest.approx(micro_f1, abs=1e-4)
    assert f["macro_f1_ci"][0] <= f["macro_f1_ci"][1]


def test_overall_macro(quality: dict) -> None:
    per = [5 / 6, 2 / 3, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0.5, 2 / 3]  # the 13 labels with gold positives
    assert quality["overall"]["labels_in_macro"] == 13
    assert quality["overall"]["macro_f1"] == pytest.approx(np.mean(per), abs=1e-4)


def test_end_to_end_counts_the_false_alarm_in_the_facets(quality: dict) -> None:
    # d5 (gold irrelevant) was given stance neutral: one more false positive of stance.neutral -> F1 0.4
    e2e = quality["end_to_end"]["per_facet"]["stance"]
    assert e2e["macro_f1"] == pytest.approx((0 + 0.4 + 2 / 3) / 3, abs=1e-4)
    assert quality["end_to_end"]["per_facet"]["exclusion"]["macro_f1"] == pytest.approx(0.5, abs=1e-4)


def test_stance_confusion(quality: dict) -> None:
    c = quality["confusion"]["stance"]
    assert c["labels"] == ["stigmatizing", "neutral", "supportive", "none"]
    assert c["matrix"] == [[0, 0, 0, 1], [0, 1, 1, 0], [0, 1, 2, 0], [0, 0, 0, 0]]
    assert c["accuracy"] == pytest.approx(0.5) and c["n"] == 6


def test_calibration_and_ap(quality: dict) -> None:
    dirt = quality["per_label"]["stereotype.dirt"]
    # scores on the 6 gold-relevant docs: d1 .8 (pos), d7 .8 (neg), d2 d3 d8 .1, d4 .1 (skipped? no: scored .1)
    assert dirt["average_precision"] == pytest.approx(0.5)
    # bins: [.8,.9): 2 pairs, mean .8, share .5 -> .3*2; [.1,.2): 4 pairs, mean .1, share 0 -> .1*4
    assert dirt["ece"] == pytest.approx((0.3 * 2 + 0.1 * 4) / 6, abs=1e-4)
    bins = quality["calibration"]["stereotype"]["bins"]
    assert sum(b["n"] for b in bins) == 6 * 6
    assert 0.0 <= quality["calibration"]["stereotype"]["ece"] <= 1.0


def test_macro_samples_match_observed(small_gold: Path, small_pred: Path) -> None:
    gold = load_gold(small_gold, TAX)
    ev = align(gold.docs, system_from_predictions(small_pred), TAX)
    w = resample_weights(ev.n_docs, 200, seed=3)
    s = macro_samples(ev, w)
    assert s["overall"][0] == pytest.approx(np.mean([5 / 6, 2 / 3, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0.5, 2 / 3]))
    assert s["overall"][1].shape == (200,)
    ones = macro_samples(ev, np.ones((1, ev.n_docs)))
    assert ones["overall"][1][0] == pytest.approx(s["overall"][0])


def test_matrix_metrics_without_documents(small_gold: Path, small_pred: Path) -> None:
    """The array-level entry point gives the same figures as the document-level one."""
    from evaluation.quality import matrix_metrics

    ev = align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)
    m = matrix_metrics(ev.y.astype(float), ev.decisions, ev.layout)  # default: conditional scoring
    q = system_quality(ev, None)
    assert m["per_label"] == {k: {kk: vv for kk, vv in v.items() if kk not in ("average_precision", "ece")}
                              for k, v in q["per_label"].items()}
    assert m["overall"] == q["overall"]
    e2e = matrix_metrics(ev.y, ev.decisions, ev.layout, applies=np.ones_like(ev.y), per_label=False)
    assert e2e["per_facet"] == q["end_to_end"]["per_facet"]
