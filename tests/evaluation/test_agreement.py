"""Krippendorff's alpha, Cohen's kappa and the long table (shared with the annotation tool)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.agreement import (
    FACET_LEVEL,
    agreement,
    agreement_between_files,
    cohen_kappa,
    krippendorff_alpha,
    long_table,
    prediction_labels,
)
from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError

TAX = load_taxonomy()


def _alpha(matrix: list[list[object]]) -> float:
    units, anns, values = [], [], []
    for a, row in enumerate(matrix):
        for u, v in enumerate(row):
            if v is not None:
                units.append(f"u{u}")
                anns.append(f"a{a}")
                values.append(str(v))
    return krippendorff_alpha(units, anns, values).value


def test_alpha_by_hand_two_coders() -> None:
    # coincidences: o00 = 2, o01 = o10 = 1, o11 = 4; n0 = 3, n1 = 5, n = 8
    # alpha = 1 - (n - 1) * (o01 + o10) / (2 * n0 * n1) = 1 - 7 * 2 / 30
    assert _alpha([[0, 0, 1, 1], [0, 1, 1, 1]]) == pytest.approx(1 - 14 / 30)


def test_alpha_krippendorff_reference_example() -> None:
    """Krippendorff (2011, 'Computing Krippendorff's alpha-reliability'), nominal data with missing values: 0.691."""
    n = None
    data = [[n, n, n, n, n, 3, 4, 1, 2, 1, 1, 3, 3, n, 3],
            [1, n, 2, 1, 3, 3, 4, 3, n, n, n, n, n, n, n],
            [n, n, 2, 1, 3, 4, 4, n, 2, 1, 1, 3, 3, n, 4]]
    assert _alpha(data) == pytest.approx(0.691, abs=5e-4)


def test_kappa_by_hand() -> None:
    # po = 3/4; A: 0,0,1,1 and B: 0,1,1,1 -> pe = (2*1 + 2*3) / 16 = 0.5 -> kappa 0.5
    k = cohen_kappa(["0", "0", "1", "1"], ["0", "1", "1", "1"])
    assert k.value == pytest.approx(0.5) and k.percent_agreement == 0.75 and k.n_units == 4


def test_single_value_gives_nan_with_note() -> None:
    a = krippendorff_alpha(["u1", "u2", "u1", "u2"], ["A", "A", "B", "B"], ["0", "0", "0", "0"])
    assert math.isnan(a.value) and "only one value" in a.note and a.percent_agreement == 1.0
    k = cohen_kappa(["0", "0"], ["0", "0"])
    assert math.isnan(k.value) and "undefined" in k.note


def test_missing_annotations_and_unpairable_units() -> None:
    a = krippendorff_alpha(["u1", "u2", "u3"], ["A", "B", "A"], ["1", "0", "1"])
    assert math.isnan(a.value) and "two annotators" in a.note
    # a third annotator on a subset is fine; missing cells are ignored
    b = krippendorff_alpha(["u1", "u1", "u2", "u2", "u3", "u3", "u3"], ["A", "B", "A", "B", "A", "B", "C"],
                           ["1", "1", "0", "0", "1", "1", "1"])
    assert b.value == pytest.approx(1.0) and b.n_units == 3
    assert math.isnan(cohen_kappa([], []).value)


def test_duplicate_annotation_is_an_error() -> None:
    with pytest.raises(ValueError, match="two values for unit"):
        krippendorff_alpha(["u1", "u1", "u1"], ["A", "A", "B"], ["1", "0", "1"])


LABELS_A = {
    "x1": {"relevant": True, "stereotype": ["dirt", "ignorance"], "stance": "stigmatizing"},
    "x2": {"relevant": True, "exclusion": ["employment"], "stance": "neutral"},
    "x3": {"relevant": False},
    "x4": {"relevant": True, "practice": ["mutual_aid"], "stance": "supportive"},
}
LABELS_B = {
    "x1": {"relevant": True, "stereotype": ["dirt"], "stance": "stigmatizing"},
    "x2": {"relevant": True, "exclusion": ["employment"], "stance": "supportive"},
    "x3": {"relevant": True, "stereotype": ["burden"], "stance": "stigmatizing"},
    "x4": {"relevant": True, "practice": ["mutual_aid"], "stance": "supportive"},
}


def test_long_table_shapes_and_gating() -> None:
    t = long_table([(i, "A", lab) for i, lab in LABELS_A.items()], TAX)
    # relevant items: 1 relevance row + 6 + 5 + 5 label rows + 1 stance row; irrelevant: relevance only
    assert len(t) == 3 * (1 + 6 + 5 + 5 + 1) + 1
    stance = t[(t["facet"] == "stance") & (t["label"] == FACET_LEVEL)].set_index("item")["value"].to_dict()
    assert stance == {"x1": "stigmatizing", "x2": "neutral", "x4": "supportive"}
    z = long_table([(i, "A", lab) for i, lab in LABELS_A.items()], TAX, gated="zero")
    assert len(z) == 4 * (1 + 6 + 5 + 5 + 1)
    assert z[(z["item"] == "x3") & (z["facet"] == "stance")]["value"].tolist() == ["none"]


def test_agreement_per_facet_label_and_pair_by_hand() -> None:
    anns = [(i, "A", lab) for i, lab in LABELS_A.items()] + [(i, "B", lab) for i, lab in LABELS_B.items()]
    res = agreement(long_table(anns, TAX), TAX)
    assert res["annotators"] == ["A", "B"] and res["n_items"] == 4
    # relevance: A 1,1,0,1 vs B 1,1,1,1 -> B constant, o11 = 6, o10 = o01 = 1; n1 = 7, n0 = 1: alpha = 1 - 7*2/14 = 0
    assert res["facets"]["relevance"]["alpha"] == pytest.approx(0.0)
    # stance on x1, x2, x4 (both relevant): stig/stig, neu/sup, sup/sup
    # coincidences: o_ss = 2, o_uu = 2 (sup), o_nu = o_un = 1: n_s = 2, n_n = 1, n_u = 3, n = 6
    # alpha = 1 - 5 * 2 / (2*(2*1 + 2*3 + 1*3)) = 1 - 10 / 22
    assert res["facets"]["stance"]["alpha"] == pytest.approx(1 - 10 / 22, abs=1e-4)
    assert res["facets"]["stance"]["n_units"] == 3
    # stereotype.ignorance: A yes on x1, B no; everything else no -> one disagreement among 3 units
    ign = res["labels"]["stereotype.ignorance"]
    assert ign["percent_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    # practice.mutual_aid: the same on all three shared relevant items
    assert res["labels"]["practice.mutual_aid"]["alpha"] == pytest.approx(1.0)
    # a label nobody used is undefined, not an error
    assert res["labels"]["stereotype.disease"]["alpha"] is None
    assert "only one value" in res["labels"]["stereotype.disease"]["note"]
    pair = res["pairs"][0]
    assert (pair["a"], pair["b"], pair["n_items"]) == ("A", "B", 4)
    # relevance kappa: B is constant -> pe = po -> 0 (sklearn), not undefined: A varies
    assert pair["facets"]["relevance"]["kappa"] == pytest.approx(0.0)


def test_prediction_row_as_annotator() -> None:
    row = {"id": "x1", "relevant": True, "stereotype": ["dirt"], "exclusion": [], "practice": [],
           "stance": "stigmatizing", "scores": {}, "evidence": {}}
    assert prediction_labels(row, TAX) == {"relevant": True, "stereotype": ["dirt"], "exclusion": [],
                                           "practice": [], "stance": "stigmatizing"}


LABEL_OBJECTS = st.fixed_dictionaries({
    "relevant": st.booleans(),
    "stereotype": st.lists(st.sampled_from(["poverty", "dirt", "burden"]), unique=True, max_size=2),
    "stance": st.sampled_from(["stigmatizing", "neutral", "supportive", None]),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(LABEL_OBJECTS, min_size=2, max_size=12))
def test_identical_annotators_have_alpha_one(objs: list[dict]) -> None:
    anns = [(f"i{k}", who, o) for k, o in enumerate(objs) for who in ("A", "B", "C")]
    res = agreement(long_table(anns, TAX), TAX)
    for level in ("facets", "labels"):
        for v in res[level].values():
            assert v["alpha"] == 1.0 or (v["alpha"] is None and v["note"])
            assert v["percent_agreement"] in (1.0, None)
    for pair in res["pairs"]:
        for v in pair["facets"].values():
            assert v["kappa"] == 1.0 or (v["kappa"] is None and v["note"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from("xyz")), min_size=1, max_size=30))
def test_kappa_is_symmetric(pairs: list[tuple[str, str]]) -> None:
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    ab, ba = cohen_kappa(a, b), cohen_kappa(b, a)
    assert (math.isnan(ab.value) and math.isnan(ba.value)) or ab.value == pytest.approx(ba.value)
    if not math.isnan(ab.value):
        assert -1.0 <= ab.value <= 1.0


def _write(path: Path, labels: dict[str, dict], texts: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, lab in labels.items():
            fh.write(json.dumps({"id": i, "text": texts[i], "labels": lab}, ensure_ascii=False) + "\n")
    return path


TEXTS = {"x1": "地铁里那几个民工一身汗味，说话还特别大声，真没素质。",
         "x2": "包工头拖欠了半年工钱，工友们只能去劳动仲裁。",
         "x3": "外地人把房价都炒高了，本地年轻人反而买不起房。",
         "x4": "工友之家组织大家互相帮忙找工作、介绍住处。",
         "x5": "城中村拆迁后，很多打工的人搬到了更远的地方。"}


def test_agreement_between_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "ann_a.jsonl", {**LABELS_A, "x5": {"relevant": True, "exclusion": ["segregation"],
                                                             "stance": "neutral"}}, TEXTS)
    b = _write(tmp_path / "ann_b.jsonl", LABELS_B, TEXTS)
    res = agreement_between_files(a, b, TAX)
    assert res["shared"] == 4 and res["only_in_a"] == 1 and res["only_in_b"] == 0
    assert res["annotators"] == ["ann_a", "ann_b"]
    assert res["disagreements"]["relevant"] == ["x3"]
    assert res["disagreements"]["stereotype.ignorance"] == ["x1"]
    assert res["disagreements"]["stance.neutral"] == ["x2"]
    assert "stereotype.burden" not in res["disagreements"]  # x3 is irrelevant for A: not compared
    assert res["facets"]["stance"]["alpha"] == pytest.approx(1 - 10 / 22, abs=1e-4)


def test_agreement_between_files_without_shared_ids(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", {"x1": LABELS_A["x1"]}, TEXTS)
    b = _write(tmp_path / "b.jsonl", {"x2": LABELS_B["x2"]}, TEXTS)
    with pytest.raises(InputError, match="no id is in both"):
        agreement_between_files(a, b, TAX)


def test_missing_columns_are_reported() -> None:
    import pandas as pd

    with pytest.raises(ValueError, match="lacks columns"):
        agreement(pd.DataFrame({"item": ["a"], "value": ["1"]}), TAX)


def test_alpha_matches_package_on_random_data() -> None:
    """Our wrapper (long format, string values) gives the package's value on its own matrix."""
    import krippendorff

    rng = np.random.default_rng(3)
    m = rng.integers(0, 3, size=(4, 30)).astype(float)
    m[rng.random(m.shape) < 0.2] = np.nan
    expected = krippendorff.alpha(reliability_data=m, level_of_measurement="nominal")
    rows = [[None if np.isnan(v) else int(v) for v in r] for r in m]
    assert _alpha(rows) == pytest.approx(expected)
