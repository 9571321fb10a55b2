"""Submissions: versions kept, retries never duplicated, drafts restored, skips."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from annotation.forms import SubmissionError
from annotation.projects import NotFound
from annotation.schema import Annotation, Assignment, Draft
from annotation.submit import Conflict, claim, save_draft, skip_document, submit_annotation
from annotation.workspace import label_context

LABELS_A = {"relevant": True, "exclusion": ["employment"], "stance": "supportive"}
LABELS_B = {"relevant": True, "exclusion": ["employment", "discrimination"], "stance": "neutral"}


def test_versions_are_appended_never_overwritten(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    r1 = submit_annotation(db, who, pid, d, {"submission_id": "sub-00000001", "labels": LABELS_A,
                                             "spans": [{"start": 0, "end": 2, "key": "exclusion.employment"}],
                                             "comment": "欠薪", "duration_ms": 5400})
    r2 = submit_annotation(db, who, pid, d, {"submission_id": "sub-00000002", "labels": LABELS_B, "flagged": True})
    assert (r1["version"], r2["version"]) == (1, 2)
    with db.read() as s:
        rows = s.scalars(select(Annotation).where(Annotation.document_id == d).order_by(Annotation.version)).all()
    assert [(a.version, a.labels["stance"], a.flagged) for a in rows] == [(1, "supportive", False),
                                                                          (2, "neutral", True)]
    assert rows[0].spans == [{"key": "exclusion.employment", "start": 0, "end": 2, "text": "工地"}]
    assert rows[0].comment == "欠薪" and rows[0].duration_ms == 5400
    ctx = label_context(db, who, pid, d)
    assert ctx["page"]["state"]["labels"]["stance"] == "neutral" and ctx["origin"] == "version 2"


def test_a_retried_submission_is_stored_once(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    payload = {"submission_id": "retry-0000000001", "labels": LABELS_A}
    first = submit_annotation(db, who, pid, d, payload)
    again = submit_annotation(db, who, pid, d, payload)
    assert again == {**first, "duplicate": True}
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Annotation).where(Annotation.document_id == d)) == 1
    other = principal_of("ann2")
    assert claim(db, other, pid) == d
    with pytest.raises(Conflict):
        submit_annotation(db, other, pid, d, payload)  # someone else's submission id


def test_bad_submissions_store_nothing(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    with pytest.raises(SubmissionError, match="Stance"):
        submit_annotation(db, who, pid, d, {"submission_id": "bad-00000001", "labels": {"relevant": True}})
    with pytest.raises(SubmissionError, match="submission_id"):
        submit_annotation(db, who, pid, d, {"submission_id": "x", "labels": LABELS_A})
    with pytest.raises(SubmissionError, match="not selected"):
        submit_annotation(db, who, pid, d, {"submission_id": "bad-00000002", "labels": LABELS_A,
                                            "spans": [{"start": 0, "end": 2, "key": "stereotype.dirt"}]})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
        assert s.scalar(select(Assignment.status).where(Assignment.document_id == d)) == "pending"


def test_only_your_queue(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    with pytest.raises(NotFound, match="not in your queue"):
        submit_annotation(db, principal_of("ann2"), pid, d, {"submission_id": "q-000000001", "labels": LABELS_A})
    with pytest.raises(NotFound, match="no such project"):   # ann3 is not a member of p1
        claim(db, principal_of("ann3"), pid)
    with pytest.raises(NotFound, match="no such document"):  # a document of another project
        submit_annotation(db, principal_of("admin"), project_id("p2"), d,
                          {"submission_id": "q-000000002", "labels": LABELS_A})


def test_drafts_are_restored_and_cleared(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    state = {"labels": {"relevant": True, "stereotype": ["dirt"]}, "spans": [{"start": 0, "end": 2, "key": "relevant"}],
             "flagged": True, "comment": "还没想好立场"}
    save_draft(db, who, pid, d, state)
    ctx = label_context(db, who, pid, d)
    assert ctx["origin"] == "draft"
    assert ctx["page"]["state"]["labels"]["stereotype"] == ["dirt"]
    assert ctx["page"]["state"]["comment"] == "还没想好立场" and ctx["page"]["state"]["flagged"] is True
    save_draft(db, who, pid, d, {**state, "comment": "改了"})   # replaced, not added
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Draft)) == 1
    with pytest.raises(SubmissionError, match="no label"):
        save_draft(db, who, pid, d, {"labels": {"stereotype": ["nonsense"]}})
    with pytest.raises(SubmissionError, match="too large"):
        save_draft(db, who, pid, d, {"labels": {}, "comment": "长" * 30_000})
    submit_annotation(db, who, pid, d, {"submission_id": "draft-0000001", "labels": LABELS_A})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Draft)) == 0


def test_skip_rules(db, principal_of, project_id) -> None:
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    submit_annotation(db, who, pid, d, {"submission_id": "skip-0000001", "labels": LABELS_A})
    with pytest.raises(Conflict, match="already submitted"):
        skip_document(db, who, pid, d, None)
    d2 = claim(db, who, pid)
    skip_document(db, who, pid, d2, "看不懂方言")
    skip_document(db, who, pid, d2, None)  # skipping twice is harmless
    with pytest.raises(Conflict, match="skipped"):
        submit_annotation(db, who, pid, d2, {"submission_id": "skip-0000002", "labels": LABELS_A})
    with pytest.raises(Conflict, match="skipped"):
        label_context(db, who, pid, d2)
