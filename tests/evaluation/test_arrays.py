"""Aligning gold labels and prediction rows into matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.arrays import align, end_to_end_applies, facet_value
from evaluation.gold import System, load_gold, system_from_predictions
from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def ev(small_gold: Path, small_pred: Path):
    return align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)


def test_shapes_and_masks(ev) -> None:
    k = len(TAX.score_keys())
    assert ev.y.shape == ev.scores.shape == ev.decisions.shape == ev.applies.shape == (8, k)
    gate = ev.layout.gate_column
    assert ev.y[:, gate].tolist() == [True, True, True, True, False, False, True, True]
    assert ev.decisions[:, gate].tolist() == [True, True, True, False, True, False, True, True]
    # gated keys are scored only on gold-relevant documents; the gate everywhere
    assert ev.applies[:, gate].all()
    assert ev.applies[4].sum() == 1 and ev.applies[0].all()
    assert end_to_end_applies(ev).all()
    assert ev.skipped.tolist() == [False] * 5 + [True] + [False] * 2
    assert ev.skip_reasons[5].startswith("prefilter")
    assert (ev.scores[5] == 0).all()


def test_without_thresholds_raw_equals_output(ev) -> None:
    assert not ev.has_thresholds
    assert np.array_equal(ev.raw_decisions, ev.decisions)


def test_thresholds_give_ungated_decisions(small_gold: Path, small_rows: list[dict]) -> None:
    rows = {r["id"]: r for r in small_rows}
    thresholds = {k: 0.5 for k in TAX.score_keys()}
    thresholds.update({k: 0.0 for k in TAX.score_keys() if k.startswith("stance.")})
    sys_ = System(name="m", rows=rows, source="model", path=None, thresholds=thresholds)
    ev = align(load_gold(small_gold, TAX).docs, sys_, TAX)
    gate = ev.layout.gate_column
    # d4 was predicted irrelevant: gated output is off, but its own stance decision (argmax) exists
    assert not ev.decisions[3, gate] and not ev.decisions[3, ev.layout.gated_mask].any()
    assert ev.raw_decisions[3, ev.layout.gated_mask].sum() == 1
    # the skipped document has no decisions at all
    assert not ev.raw_decisions[5].any()


def test_facet_value(ev) -> None:
    assert facet_value(ev, ev.y[0], "stance") == "neutral"
    assert facet_value(ev, ev.decisions[3], "stance") == "none"
    with pytest.raises(ValueError, match="single-label"):
        facet_value(ev, ev.y[0], "stereotype")


def test_subset(ev) -> None:
    sub = ev.subset(np.array([True, False] * 4))
    assert [d.id for d in sub.docs] == ["d1", "d3", "d5", "d7"]
    assert np.array_equal(sub.y, ev.y[::2])


def test_missing_prediction_is_reported(small_gold: Path, small_rows: list[dict]) -> None:
    rows = {r["id"]: r for r in small_rows if r["id"] != "d3"}
    with pytest.raises(InputError, match=r"1 of 8 gold documents have no prediction.*d3"):
        align(load_gold(small_gold, TAX).docs, System("m", rows, "predictions", "p.jsonl"), TAX)


def test_row_with_unknown_label_is_reported(small_gold: Path, small_rows: list[dict]) -> None:
    rows = {r["id"]: dict(r) for r in small_rows}
    rows["d2"]["stance"] = "hostile"
    with pytest.raises(InputError, match="hostile"):
        align(load_gold(small_gold, TAX).docs, System("m", rows, "predictions", "p.jsonl"), TAX)


def test_row_without_facet_field(small_gold: Path, small_rows: list[dict]) -> None:
    rows = {r["id"]: {k: v for k, v in r.items() if k != "practice"} for r in small_rows}
    with pytest.raises(InputError, match="field 'practice'"):
        align(load_gold(small_gold, TAX).docs, System("m", rows, "predictions", "p.jsonl"), TAX)


def test_scores_of_another_taxonomy(small_gold: Path, small_rows: list[dict]) -> None:
    rows = {r["id"]: dict(r) for r in small_rows}
    rows["d1"]["scores"] = {**rows["d1"]["scores"], "stereotype.laziness": 0.4}
    with pytest.raises(InputError, match="--taxonomy"):
        align(load_gold(small_gold, TAX).docs, System("m", rows, "predictions", "p.jsonl"), TAX)
