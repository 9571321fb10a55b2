"""LabelLayout: gold label objects to arrays, thresholds and the gate to decisions, decisions to labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.layout import LabelLayout
from models.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def lay() -> LabelLayout:
    return LabelLayout(load_taxonomy())


def test_columns_follow_the_taxonomy(lay: LabelLayout) -> None:
    tax = load_taxonomy()
    assert lay.keys == tax.score_keys()
    assert lay.gate_column == 0
    assert [h.n_out for h in lay.heads] == [1, 6, 5, 5, 4]  # stance: 3 labels + none
    assert [h.softmax for h in lay.heads] == [False, False, False, False, True]
    assert int(lay.gated_mask.sum()) == lay.n_keys - 1


@pytest.mark.parametrize("labels, on, masked", [
    ({"relevant": True, "stereotype": ["dirt", "ignorance"], "stance": "stigmatizing"},
     ["relevant", "stereotype.dirt", "stereotype.ignorance", "stance.stigmatizing"], False),
    ({"relevant": True, "exclusion": ["employment"], "practice": ["mutual_aid"], "stance": "supportive"},
     ["relevant", "exclusion.employment", "practice.mutual_aid", "stance.supportive"], False),
    ({"relevant": False}, [], True),
])
def test_encode(lay: LabelLayout, labels: dict, on: list[str], masked: bool) -> None:
    tax = load_taxonomy()
    y, m = lay.encode([tax.validate_labels(labels)])
    assert [k for k, v in zip(lay.keys, y[0]) if v] == on
    assert bool(m[0, lay.index["relevant"]])
    assert (not m[0, lay.index["stereotype.dirt"]]) is masked


def test_softmax_targets_use_none_class(lay: LabelLayout) -> None:
    tax = load_taxonomy()
    y, _ = lay.encode([tax.validate_labels(x) for x in (
        {"relevant": True, "stance": "neutral"}, {"relevant": True, "stance": None}, {"relevant": False})])
    stance = lay.heads[-1]
    assert lay.softmax_targets(y, stance).tolist() == [1, 3, 3]


def test_decide_gates_and_thresholds(lay: LabelLayout) -> None:
    s = np.full((2, lay.n_keys), 0.1)
    s[:, lay.index["stereotype.dirt"]] = 0.7
    s[:, lay.index["stance.neutral"]] = 0.5
    s[:, lay.index["stance.supportive"]] = 0.3
    s[0, lay.index["relevant"]] = 0.9
    s[1, lay.index["relevant"]] = 0.2
    d = lay.decide(s, {"stereotype.dirt": 0.8})
    labels = lay.to_labels(d)
    assert labels[0] == {"relevant": True, "stereotype": [], "exclusion": [], "practice": [], "stance": "neutral"}
    assert labels[1] == {"relevant": False, "stereotype": [], "exclusion": [], "practice": [], "stance": None}
    d2 = lay.decide(s, {"stereotype.dirt": 0.6, "stance.neutral": 0.6})
    assert lay.to_labels(d2)[0]["stereotype"] == ["dirt"]
    assert lay.to_labels(d2)[0]["stance"] is None  # best label below its threshold: none
    ungated = lay.decide(s, {"stereotype.dirt": 0.6}, gate=False)
    assert ungated[1, lay.index["stereotype.dirt"]]
    assert lay.positive_keys(d2[0]) == ["stereotype.dirt"]
    assert lay.positive_keys(d2[0], include_gate=True) == ["relevant", "stereotype.dirt"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=20, max_size=20), min_size=1, max_size=8))
def test_decisions_respect_gate_and_single_label(rows: list[list[float]]) -> None:
    lay = LabelLayout(load_taxonomy())
    s = np.array(rows)
    d = lay.decide(s, {})
    stance = list(lay.heads[-1].columns)
    assert (d[:, stance].sum(axis=1) <= 1).all()
    off = ~d[:, lay.gate_column]
    assert not d[off][:, lay.gated_mask].any()
    assert (d[:, lay.gate_column] == (s[:, lay.gate_column] >= 0.5)).all()
