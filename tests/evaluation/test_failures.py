"""Worst errors per label with evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.arrays import align
from evaluation.failures import snippet, worst_errors
from evaluation.gold import load_gold, system_from_predictions
from models.taxonomy import load_taxonomy

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def worst(small_gold: Path, small_pred: Path) -> dict:
    ev = align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)
    return worst_errors(ev, k=5)


def test_false_positive_with_evidence(worst: dict) -> None:
    fp = worst["stereotype.dirt"]["false_positives"]
    assert [x["id"] for x in fp] == ["d7"]
    assert fp[0]["score"] == 0.8
    assert fp[0]["evidence"] == [{"text": "积分落户", "start": 0, "end": 4, "source": "occlusion"}]
    assert worst["stereotype.dirt"]["false_negatives"] == []


def test_false_negative_with_cues_found(worst: dict) -> None:
    fn = worst["stereotype.burden"]["false_negatives"]
    assert [x["id"] for x in fn] == ["d4"]
    assert fn[0]["cues_found"] == ["控制人口", "太多了"]
    assert fn[0]["skip_reason"] is None


def test_relevance_errors_and_skip_reason(worst: dict) -> None:
    rel = worst["relevant"]
    assert [x["id"] for x in rel["false_positives"]] == ["d5"]
    assert [x["id"] for x in rel["false_negatives"]] == ["d4"]
    # d6 was skipped but is not relevant in gold: not an error
    assert all(x["id"] != "d6" for x in rel["false_negatives"])


def test_labels_without_errors_are_left_out(worst: dict) -> None:
    assert "exclusion.employment" not in worst and "stereotype.poverty" not in worst


def test_fn_sorted_by_lowest_score(small_gold: Path, small_rows: list[dict]) -> None:
    from evaluation.gold import System

    rows = {r["id"]: {**r, "scores": dict(r["scores"])} for r in small_rows}
    rows["d2"]["scores"]["stance.neutral"] = 0.05  # d1 is right; d2 missed with a lower score than before
    ev = align(load_gold(small_gold, TAX).docs, System("m", rows, "predictions", None), TAX)
    fn = worst_errors(ev, k=1)["stance.neutral"]["false_negatives"]
    assert [x["id"] for x in fn] == ["d2"] and fn[0]["score"] == 0.05


@pytest.mark.parametrize("text, span, width, expected", [
    ("外来务工人员子女入学难", None, 120, "外来务工人员子女入学难"),
    ("一二三四五六七八九十", None, 5, "一二三四…"),
    ("一二三四五六七八九十", (8, 9), 4, "…七八九十"),
    ("甲乙\n丙丁", None, 120, "甲乙 丙丁"),
])
def test_snippet(text: str, span: tuple[int, int] | None, width: int, expected: str) -> None:
    assert snippet(text, span, width) == expected
