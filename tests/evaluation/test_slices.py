"""Slices of the gold set: source, length, script, year."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpora.annotated import AnnotatedDoc
from evaluation.arrays import align
from evaluation.gold import load_gold, system_from_predictions
from evaluation.slices import length_bin, slice_table, slice_values
from models.taxonomy import load_taxonomy

TAX = load_taxonomy()


@pytest.mark.parametrize("n, expected", [(0, "<50"), (49, "<50"), (50, "50-149"), (149, "50-149"), (150, "150-399"),
                                         (400, ">=400"), (5000, ">=400")])
def test_length_bin(n: int, expected: str) -> None:
    assert length_bin(n) == expected


def test_length_bin_custom_edges() -> None:
    assert length_bin(30, (20, 100)) == "20-99" and length_bin(10, (20, 100)) == "<20"


def test_slice_values_detects_traditional_script() -> None:
    docs = [AnnotatedDoc(id="t", text="外勞在工廠裡被老闆欠薪，還被歧視。", date="2016-02-01", city=None, source="forum",
                         outlet=None, labels={}),
            AnnotatedDoc(id="s", text="外来务工人员在工厂里被老板欠薪。", date=None, city=None, source="news", outlet=None,
                         labels={})]
    v = slice_values(docs)
    assert v["script"] == ["traditional", "simplified"]
    assert v["year"] == ["2016", "unknown"]
    assert v["source"] == ["forum", "news"]


@pytest.fixture(scope="module")
def table(small_gold: Path, small_pred: Path) -> dict:
    ev = align(load_gold(small_gold, TAX).docs, system_from_predictions(small_pred), TAX)
    return slice_table(ev, min_docs=2, length_edges=(30, 40))


def test_source_slices_by_hand(table: dict) -> None:
    by = {e["value"]: e for e in table["dimensions"]["source"]}
    # news d2 d3: relevant, employment, practice.education 1; partnership, stance.neutral 0; supportive 2/3
    assert by["news"]["macro_f1"] == pytest.approx((1 + 1 + 1 + 0 + 0 + 2 / 3) / 6, abs=1e-4)
    assert (by["news"]["n"], by["news"]["n_relevant"], by["news"]["labels_in_macro"]) == (2, 2, 6)
    # forum d4 d6 d7: relevance 2/3; burden 0, hukou 1, exclusion.education 0, stigmatizing 0, supportive 1
    assert by["forum"]["macro_f1"] == pytest.approx((2 / 3 + 0 + 1 + 0 + 0 + 1) / 6, abs=1e-4)
    assert by["forum"]["relevance_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # weibo d1 d5 d8: relevance 0.8; dirt 1, discrimination 0, employment 1, mutual_aid 1, neutral 2/3, supportive 0
    assert by["weibo"]["macro_f1"] == pytest.approx((0.8 + 1 + 0 + 1 + 1 + 2 / 3 + 0) / 7, abs=1e-4)


def test_length_and_year_slices(table: dict) -> None:
    by = {e["value"]: e["n"] for e in table["dimensions"]["length"]}
    assert by == {"<30": 3, "30-39": 4, ">=40": 1}
    years = {e["value"]: (e["n"], e["small"]) for e in table["dimensions"]["year"]}
    assert years["2022"] == (2, False) and years["2018"] == (1, True) and len(years) == 7  # min_docs 2


def test_weakest_sorted_and_not_small(table: dict) -> None:
    weakest = table["weakest"]
    assert weakest and all(not w["small"] for w in weakest)
    values = [w["macro_f1"] for w in weakest]
    assert values == sorted(values)
    assert {"dimension": "source", "value": "forum"}.items() <= next(
        w for w in weakest if w["value"] == "forum").items()
