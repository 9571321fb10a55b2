"""The labelling form from a taxonomy: keys past ten labels, and validation of submissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.forms import (
    SubmissionError,
    clean_comment,
    clean_labels,
    clean_spans,
    empty_labels,
    form_spec,
    positive_keys,
)
from models.taxonomy import load_taxonomy

MANY = Path(__file__).parent / "fixtures" / "taxonomy_many.yaml"


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def test_default_form_keys(tax) -> None:
    spec = form_spec(tax)
    assert spec["gate"] == "relevant"
    assert [(f["key"], f["id"], f["gated"]) for f in spec["facets"]] == [
        ("1", "relevance", False), ("2", "stereotype", True), ("3", "exclusion", True), ("4", "practice", True),
        ("5", "stance", True)]
    stance = spec["facets"][4]
    assert [(lab["key"], lab["score_key"]) for lab in stance["labels"]] == [
        ("a", "stance.stigmatizing"), ("b", "stance.neutral"), ("c", "stance.supportive")]
    exclusion = spec["facets"][2]
    assert [lab["group"] for lab in exclusion["labels"]][:2] == ["institutional", "institutional"]


def test_keys_scale_past_ten_labels() -> None:
    spec = form_spec(load_taxonomy(MANY))
    topic = spec["facets"][1]
    keys = [lab["key"] for lab in topic["labels"]]
    assert len(keys) == 28
    assert keys[:3] == ["a", "b", "c"] and keys[10] == "k" and keys[25] == "z"
    assert keys[26:] == [None, None]  # the 27th and 28th label are clicked, not typed
    assert len(set(keys[:26])) == 26


def test_clean_labels_normalises_and_requires_stance(tax) -> None:
    out = clean_labels(tax, {"relevant": True, "stereotype": ["dirt", "poverty", "dirt"], "stance": "neutral"})
    assert out == {"relevant": True, "stereotype": ["poverty", "dirt"], "exclusion": [], "practice": [],
                   "stance": "neutral"}
    with pytest.raises(SubmissionError, match="Stance"):
        clean_labels(tax, {"relevant": True, "stereotype": ["dirt"]})
    # not relevant: stance does not apply, gated facets are emptied
    assert clean_labels(tax, {"relevant": False, "stereotype": ["dirt"]}) == empty_labels(tax)
    assert clean_labels(tax, {"relevant": True}, require_single=False)["stance"] is None
    with pytest.raises(SubmissionError, match="no label 'dirty'"):
        clean_labels(tax, {"relevant": True, "stereotype": ["dirty"], "stance": "neutral"})
    with pytest.raises(SubmissionError, match="unknown facet"):
        clean_labels(tax, {"relevance": True})


def test_positive_keys(tax) -> None:
    labels = clean_labels(tax, {"relevant": True, "exclusion": ["employment"], "stance": "supportive"})
    assert positive_keys(tax, labels) == ["relevant", "exclusion.employment", "stance.supportive"]


def test_clean_spans_snaps_and_checks_labels(tax) -> None:
    text = "工地上干了八年，老板年底卷款跑了"
    ends = [2, 3, 4, 5, 7, 8, 10, 12, 14, 15, 16]
    labels = clean_labels(tax, {"relevant": True, "exclusion": ["employment"], "stance": "neutral"})
    spans = clean_spans(tax, [{"start": 11, "end": 13, "key": "exclusion.employment"},
                              {"start": 10, "end": 14, "key": "exclusion.employment"},  # same after snapping
                              {"start": 0, "end": 1, "key": "relevant"}], labels, text, ends)
    assert spans == [{"key": "relevant", "start": 0, "end": 2, "text": "工地"},
                     {"key": "exclusion.employment", "start": 10, "end": 14, "text": "年底卷款"}]
    with pytest.raises(SubmissionError, match="not selected"):
        clean_spans(tax, [{"start": 0, "end": 2, "key": "stereotype.dirt"}], labels, text, ends)
    with pytest.raises(SubmissionError, match="unknown label key"):
        clean_spans(tax, [{"start": 0, "end": 2, "key": "dirt"}], labels, text, ends)
    with pytest.raises(SubmissionError, match="holds no words"):
        clean_spans(tax, [{"start": 7, "end": 8, "key": "relevant"}], labels, text, ends)
    with pytest.raises(SubmissionError, match="integers"):
        clean_spans(tax, [{"start": "x", "end": 2, "key": "relevant"}], labels, text, ends)


def test_clean_comment() -> None:
    assert clean_comment("  不确定是不是游客  ") == "不确定是不是游客"
    assert clean_comment("   ") is None
    with pytest.raises(SubmissionError, match="too long"):
        clean_comment("长" * 4001)
