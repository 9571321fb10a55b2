"""Queues: overlap k, skips releasing places, the disagreement and uncertainty orders, concurrent claims."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select, update

from annotation.auth import create_user
from annotation.projects import add_member, create_project
from annotation.queue import disagreement_score
from annotation.schema import Assignment, Document, Project
from annotation.submit import claim, skip_document, submit_annotation
from models.taxonomy import load_taxonomy

NOT_RELEVANT = {"relevant": False}


def _submit(db, who, pid, did, labels=NOT_RELEVANT) -> dict:
    return submit_annotation(db, who, pid, did, {"submission_id": uuid.uuid4().hex, "labels": labels})


def test_each_document_goes_to_k_annotators(db, principal_of, project_id) -> None:
    pid = project_id("p1")
    ann1, ann2, rev = principal_of("ann1"), principal_of("ann2"), principal_of("rev")
    first = claim(db, ann1, pid)
    assert claim(db, ann1, pid) == first          # a pending document is returned again, not a new one
    assert claim(db, ann2, pid) == first          # overlap 2: the second annotator gets the same document
    assert claim(db, rev, pid) != first           # ... and the third does not
    _submit(db, ann1, pid, first)
    second = claim(db, ann1, pid)
    assert second != first
    with db.read() as s:
        assert s.get(Document, first).n_assigned == 2
        assert s.get(Document, first).n_done == 1


def test_skip_releases_the_place(db, principal_of, project_id) -> None:
    pid = project_id("p1")
    ann1, ann2, rev = principal_of("ann1"), principal_of("ann2"), principal_of("rev")
    d = claim(db, ann1, pid)
    assert claim(db, ann2, pid) == d
    skip_document(db, ann2, pid, d, "不确定是不是游客")
    assert claim(db, rev, pid) == d               # the freed place goes to the next annotator
    assert claim(db, ann2, pid) != d              # never back to the one who skipped
    with db.read() as s:
        a = s.scalar(select(Assignment).where(Assignment.document_id == d, Assignment.user_id == ann2.id))
        assert (a.status, a.reason) == ("skipped", "不确定是不是游客")
        assert s.get(Document, d).n_assigned == 2


def test_queue_runs_dry(db, principal_of, project_id) -> None:
    pid = project_id("p2")  # overlap 1, one member, 12 documents
    ann3 = principal_of("ann3")
    seen = []
    while (d := claim(db, ann3, pid)) is not None:
        seen.append(d)
        _submit(db, ann3, pid, d)
    with db.read() as s:
        positions = dict(s.execute(select(Document.id, Document.position).where(Document.project_id == pid)).all())
    assert len(seen) == 12 == len(set(seen))
    assert [positions[d] for d in seen] == sorted(positions[d] for d in seen)  # sequential: import order


def test_uncertainty_order(db, principal_of, project_id) -> None:
    pid = project_id("p2")
    with db.write() as s:
        s.get(Project, pid).strategy = "uncertainty"
        ids = s.scalars(select(Document.id).where(Document.project_id == pid).order_by(Document.position)).all()
        for i, d in enumerate(ids):
            s.get(Document, d).uncertainty = None if i < 3 else (i * 7 % 10) / 10
    ann3 = principal_of("ann3")
    order = []
    while (d := claim(db, ann3, pid)) is not None:
        order.append(d)
        _submit(db, ann3, pid, d)
    with db.read() as s:
        unc = [s.get(Document, d).uncertainty for d in order]
    known = [u for u in unc if u is not None]
    assert known == sorted(known, reverse=True)
    assert unc[-3:] == [None, None, None]     # documents without predictions come last


def test_disagreement_gets_one_more_annotator(db, principal_of, project_id) -> None:
    pid = project_id("p1")
    with db.write() as s:
        p = s.get(Project, pid)
        p.strategy, p.max_overlap = "disagreement", 3
    ann1, ann2, rev = principal_of("ann1"), principal_of("ann2"), principal_of("rev")
    d = claim(db, ann1, pid)
    assert claim(db, ann2, pid) == d
    _submit(db, ann1, pid, d, {"relevant": True, "exclusion": ["employment"], "stance": "neutral"})
    _submit(db, ann2, pid, d, {"relevant": True, "exclusion": ["employment"], "stance": "supportive"})
    with db.read() as s:
        assert s.get(Document, d).disagreement > 0
    assert claim(db, rev, pid) == d               # the disputed document comes first, as a third opinion


def test_disagreement_score() -> None:
    tax = load_taxonomy()
    a = {"relevant": True, "stereotype": ["dirt"], "stance": "stigmatizing"}
    assert disagreement_score(tax, [a]) is None
    assert disagreement_score(tax, [a, a]) == 0.0
    b = {"relevant": True, "stereotype": ["dirt", "ignorance"], "stance": "neutral"}
    n_decisions = 1 + 6 + 5 + 5 + 1
    assert disagreement_score(tax, [tax.validate_labels(a), tax.validate_labels(b)]) == round(2 / n_decisions, 6)


def test_concurrent_claims_never_exceed_overlap(db) -> None:
    """Eight annotators claim at once from twenty threads' worth of requests: no document passes k=2."""
    create_project(db, "race", overlap=2)
    from annotation.importer import Record, import_records

    import_records(db, "race", [Record(i, data={"ext_id": f"r{i}", "text": f"第{i}条外来务工人员的消息"})
                                for i in range(6)], origin="test", segment=False)
    names = [f"racer{i}" for i in range(8)]
    for n in names:
        create_user(db, n, "race password 1")
        add_member(db, "race", n)
    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == "race"))
    from annotation.auth import Principal
    from annotation.schema import Role, User

    with db.read() as s:
        people = [Principal(u.id, u.name, Role.annotator, "x", "y") for u in
                  s.scalars(select(User).where(User.name.in_(names)))]
    errors: list[BaseException] = []

    def worker(who) -> None:
        try:
            while (d := claim(db, who, pid)) is not None:
                _submit(db, who, pid, d)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.read() as s:
        per_doc = dict(s.execute(select(Assignment.document_id, func.count()).where(Assignment.project_id == pid)
                                 .group_by(Assignment.document_id)).all())
        counters = dict(s.execute(select(Document.id, Document.n_assigned).where(Document.project_id == pid)).all())
    assert sorted(per_doc.values()) == [2] * 6
    assert counters == per_doc


def test_counter_guard(db, principal_of, project_id) -> None:
    """The database refuses a negative claim counter (check constraint)."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(update(Document).where(Document.project_id == project_id("p1")).values(n_assigned=-1))
