"""Agreement (evaluation.agreement's coefficients on the tool's data), majority vote, adjudication."""

from __future__ import annotations

import uuid

import pytest

from annotation.projects import Forbidden
from annotation.review import (
    adjudicate,
    agreement_report,
    majority,
    project_agreement,
    review_context,
    review_list,
)
from annotation.submit import claim, submit_annotation
from models.taxonomy import load_taxonomy

R = {"relevant": True}
# (ann1 labels, ann2 labels) for the first six documents of p1
PLAN = [
    ({**R, "exclusion": ["employment"], "stance": "neutral"}, {**R, "exclusion": ["employment"], "stance": "neutral"}),
    ({"relevant": False}, {"relevant": False}),
    ({**R, "practice": ["education"], "stance": "supportive"}, {**R, "practice": ["education"], "stance": "neutral"}),
    ({**R, "stereotype": ["dirt"], "stance": "stigmatizing"}, {**R, "stereotype": ["dirt"], "stance": "stigmatizing"}),
    ({**R, "exclusion": ["education"], "stance": "neutral"}, {"relevant": False}),
    ({**R, "exclusion": ["discrimination"], "stance": "supportive"},
     {**R, "exclusion": ["discrimination"], "stance": "supportive"}),
]


def _label_all(db, principal_of, pid) -> list[int]:
    a1, a2 = principal_of("ann1"), principal_of("ann2")
    docs = []
    for l1, l2 in PLAN:
        d = claim(db, a1, pid)
        assert claim(db, a2, pid) == d
        submit_annotation(db, a1, pid, d, {"submission_id": uuid.uuid4().hex, "labels": l1})
        submit_annotation(db, a2, pid, d, {"submission_id": uuid.uuid4().hex, "labels": l2})
        docs.append(d)
    return docs


def test_agreement_matches_the_evaluation_package(db, principal_of, project_id) -> None:
    from evaluation.agreement import agreement, long_table

    pid = project_id("p1")
    docs = _label_all(db, principal_of, pid)
    res = project_agreement(db, principal_of("rev"), pid)
    tax = load_taxonomy()
    direct = agreement(long_table([(f"d{i}", who, lab) for i, (l1, l2) in enumerate(PLAN)
                                   for who, lab in (("ann1", l1), ("ann2", l2))], tax), tax)
    assert res["documents_multi"] == len(docs) == 6
    assert res["annotators"] == ["ann1", "ann2"]
    assert res["facets"]["relevance"] == direct["facets"]["relevance"]
    assert res["facets"]["stance"] == direct["facets"]["stance"]
    assert res["labels"]["exclusion.discrimination"] == direct["labels"]["exclusion.discrimination"]
    # relevance: 5 of 6 documents agree
    assert res["facets"]["relevance"]["percent_agreement"] == pytest.approx(5 / 6, abs=1e-4)
    assert len(res["pairs"]) == 1 and res["pairs"][0]["n_items"] == 6
    assert res["pairs"][0]["facets"]["relevance"]["kappa"] == direct["pairs"][0]["facets"]["relevance"]["kappa"]
    with pytest.raises(Forbidden):
        project_agreement(db, principal_of("ann1"), pid)
    assert agreement_report(db, "p1")["facets"] == res["facets"]


def test_review_list_and_adjudication(db, principal_of, project_id) -> None:
    pid = project_id("p1")
    docs = _label_all(db, principal_of, pid)
    rev = principal_of("rev")
    items = review_list(db, rev, pid)
    disputed = {docs[2], docs[4]}
    assert {it["id"] for it in items} == disputed
    assert items[0]["id"] == docs[4]  # relevance split: most disagreement first
    ctx = review_context(db, rev, pid, docs[2])
    assert [a["user"] for a in ctx["annotators"]] == ["ann1", "ann2"]
    assert ctx["ties"] == ["stance"] and ctx["majority"]["practice"] == ["education"]
    gold = {**R, "practice": ["education"], "stance": "supportive"}
    res = adjudicate(db, rev, pid, docs[2], {"submission_id": "adj-0000001", "labels": gold, "comment": "作者支持"})
    assert (res["version"], res["duplicate"]) == (1, False)
    assert adjudicate(db, rev, pid, docs[2], {"submission_id": "adj-0000001", "labels": gold})["duplicate"]
    res2 = adjudicate(db, rev, pid, docs[2], {"submission_id": "adj-0000002", "labels": {**gold, "stance": "neutral"}})
    assert res2["version"] == 2
    ctx = review_context(db, rev, pid, docs[2])
    assert ctx["start"]["labels"]["stance"] == "neutral" and ctx["adjudication"].version == 2
    assert [it["adjudicated"] for it in review_list(db, rev, pid) if it["id"] == docs[2]] == [True]
    with pytest.raises(Forbidden):
        adjudicate(db, principal_of("ann1"), pid, docs[2], {"submission_id": "adj-0000003", "labels": gold})


@pytest.mark.parametrize("votes, expected, ties", [
    ([{"relevant": True, "stance": "neutral"}] * 3, {"relevant": True, "stance": "neutral"}, []),
    ([{"relevant": True, "stereotype": ["dirt"], "stance": "neutral"}, {"relevant": True, "stance": "neutral"},
      {"relevant": True, "stereotype": ["dirt", "poverty"], "stance": "supportive"}],
     {"relevant": True, "stereotype": ["dirt"], "stance": "neutral"}, []),
    ([{"relevant": True, "stance": "neutral"}, {"relevant": False}], {"relevant": False}, ["relevant"]),
    ([{"relevant": True, "stance": "neutral"}, {"relevant": True, "stance": "supportive"}],
     {"relevant": True, "stance": "neutral"}, ["stance"]),  # a tie takes the first label in taxonomy order
])
def test_majority(votes, expected, ties) -> None:
    tax = load_taxonomy()
    labels, got_ties = majority(tax, [tax.validate_labels(v) for v in votes])
    assert labels == tax.validate_labels(expected)
    assert got_ties == ties
