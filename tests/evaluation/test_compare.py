"""Paired comparison of systems."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.arrays import align
from evaluation.bootstrap import resample_weights
from evaluation.compare import compare_systems
from evaluation.gold import System, load_gold, system_from_predictions
from models.taxonomy import load_taxonomy

TAX = load_taxonomy()


def _perfect_rows(small_gold: Path, small_rows: list[dict]) -> dict:
    docs = load_gold(small_gold, TAX).docs
    rows = {}
    for d, r in zip(docs, small_rows):
        rows[d.id] = {**r, **d.labels, "scores": {k: 0.5 for k in TAX.score_keys()}, "skip_reason": None}
    return rows


def test_identical_systems(small_gold: Path, small_pred: Path) -> None:
    docs = load_gold(small_gold, TAX).docs
    a = align(docs, system_from_predictions(small_pred), TAX)
    res = compare_systems({"a": a, "b": a}, resample_weights(8, 200, seed=0))
    assert len(res) == 1
    assert res[0]["overall"]["diff"] == 0.0 and res[0]["overall"]["p_value"] == 1.0
    assert set(res[0]["per_facet"]) == {f.id for f in TAX.facets}


def test_perfect_system_beats_the_small_one(small_gold: Path, small_pred: Path, small_rows: list[dict]) -> None:
    docs = load_gold(small_gold, TAX).docs
    a = align(docs, system_from_predictions(small_pred), TAX)
    b = align(docs, System("perfect", _perfect_rows(small_gold, small_rows), "predictions", None), TAX)
    res = compare_systems({"small": a, "perfect": b}, resample_weights(8, 500, seed=0))[0]
    assert (res["a"], res["b"]) == ("small", "perfect")
    assert res["overall"]["b"] == 1.0
    assert res["overall"]["diff"] == pytest.approx(1.0 - 0.5128, abs=1e-3)
    assert res["overall"]["ci"][0] > 0
    assert res["overall"]["p_value"] < 0.05
    assert res["per_facet"]["exclusion"]["diff"] == pytest.approx(0.5)


def test_different_documents_rejected(small_gold: Path, small_pred: Path) -> None:
    docs = load_gold(small_gold, TAX).docs
    sys_ = system_from_predictions(small_pred)
    a, b = align(docs, sys_, TAX), align(docs[::-1], sys_, TAX)
    with pytest.raises(ValueError, match="different documents"):
        compare_systems({"a": a, "b": b}, resample_weights(8, 100))


def test_single_system_has_no_comparison(small_gold: Path, small_pred: Path) -> None:
    a = align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)
    assert compare_systems({"a": a}, resample_weights(8, 100)) == []
