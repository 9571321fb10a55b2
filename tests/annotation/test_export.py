"""Gold export: resolution rules, provenance, and that `train` reads the file as it is."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from annotation.export import export_gold
from annotation.review import adjudicate
from annotation.submit import claim, submit_annotation

R = {"relevant": True}


def _annotate(db, principal_of, pid, plan) -> list[int]:
    a1, a2 = principal_of("ann1"), principal_of("ann2")
    docs = []
    for l1, l2 in plan:
        d = claim(db, a1, pid)
        assert claim(db, a2, pid) == d
        submit_annotation(db, a1, pid, d, {"submission_id": uuid.uuid4().hex, "labels": l1,
                                           "spans": [{"start": 0, "end": 2, "key": "relevant"}] if l1["relevant"] else []})
        if l2 is not None:
            submit_annotation(db, a2, pid, d, {"submission_id": uuid.uuid4().hex, "labels": l2})
        docs.append(d)
    return docs


def test_export_rules_and_provenance(db, principal_of, project_id, tmp_path: Path) -> None:
    from corpora.annotated import read_gold

    pid = project_id("p1")
    agree = {**R, "exclusion": ["employment"], "stance": "neutral"}
    docs = _annotate(db, principal_of, pid, [
        (agree, agree),                                                               # unanimous
        ({"relevant": False}, {"relevant": False}),                                   # unanimous, not relevant
        ({**R, "stance": "supportive"}, {**R, "stance": "neutral"}),                  # split -> adjudicated below
        ({**R, "stereotype": ["dirt"], "stance": "stigmatizing"}, {"relevant": False}),  # split, tied: unresolved
        ({**R, "stance": "neutral"}, None),                                           # one annotator so far
    ])
    adjudicate(db, principal_of("rev"), pid, docs[2], {"submission_id": "gold-000001",
                                                        "labels": {**R, "practice": ["education"],
                                                                   "stance": "supportive"},
                                                        "spans": [{"start": 2, "end": 7, "key": "practice.education"}],
                                                        "comment": "托管班算儿童教育"})
    out = tmp_path / "gold.jsonl"
    res = export_gold(db, "p1", out)
    assert {k: res[k] for k in ("written", "adjudicated", "unanimous", "unresolved", "too_few")} == {
        "written": 3, "adjudicated": 1, "unanimous": 2, "unresolved": 1, "too_few": 1}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first, _second, third = rows
    assert first["id"] == "t-001" and first["city"] == "郑州" and first["outlet"] == "大河报"
    assert first["labels"] == {"relevant": True, "stereotype": [], "exclusion": ["employment"], "practice": [],
                               "stance": "neutral"}
    assert first["evidence"] == {"relevant": [{"start": 0, "end": 2, "text": "工地"}]}
    prov = first["provenance"]
    assert prov["resolution"] == "unanimous" and prov["adjudicated"] is False and prov["adjudicator"] is None
    assert [a["user"] for a in prov["annotators"]] == ["ann1", "ann2"]
    assert prov["annotators"][0]["at"].endswith("Z") and prov["taxonomy"] == "stigmascope-codebook@1.0"
    assert third["provenance"]["resolution"] == "adjudicated" and third["provenance"]["adjudicated"] is True
    assert third["provenance"]["adjudicator"]["user"] == "rev"
    assert third["provenance"]["adjudicator"]["note"] == "托管班算儿童教育"
    assert third["labels"]["practice"] == ["education"]
    assert list(third["evidence"]) == ["practice.education"]
    # the corpus reader that `stigmascope train --data` uses accepts the file as written
    gold = list(read_gold(out))
    assert [g.id for g in gold] == [r["id"] for r in rows]
    assert gold[2].labels == third["labels"]

    res = export_gold(db, "p1", out, min_annotators=1, majority_vote=True)
    assert (res["written"], res["single"], res["unresolved"]) == (4, 1, 1)  # the tie stays out


@pytest.mark.slow
def test_export_trains_a_model_that_preannotates(db, principal_of, tmp_path: Path) -> None:
    """The loop: annotate 60 documents of the bundled corpus (their gold labels as the annotator's), export,
    train a baseline model from the export with the real training code, and run it over the project."""
    from annotation.importer import Record, import_records
    from annotation.projects import add_member, create_project
    from annotation.submit import claim as claim_doc
    from corpora.annotated import default_corpus_path
    from models.train import TrainConfig, train_model

    rows = [json.loads(line) for line in default_corpus_path().read_text(encoding="utf-8").splitlines()[:60]]
    gold = {r["id"]: r["labels"] for r in rows}
    create_project(db, "bundled", overlap=1)
    add_member(db, "bundled", "ann3")
    import_records(db, "bundled", [Record(i, data={"ext_id": r["id"], "text": r["text"], "date": r["date"],
                                                   "city": r["city"], "source": r["source"], "outlet": r["outlet"]})
                                   for i, r in enumerate(rows)], origin="bundled corpus", segment=False)
    from sqlalchemy import select

    from annotation.preannotate import predict_project
    from annotation.schema import Document, Prediction, Project

    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == "bundled"))
        ext = dict(s.execute(select(Document.id, Document.ext_id).where(Document.project_id == pid)).all())
    who = principal_of("ann3")
    while (d := claim_doc(db, who, pid)) is not None:
        submit_annotation(db, who, pid, d, {"submission_id": uuid.uuid4().hex, "labels": gold[ext[d]]})
    out = tmp_path / "bundled-gold.jsonl"
    res = export_gold(db, "bundled", out, min_annotators=1)
    assert res["written"] == 60
    result = train_model(out, tmp_path / "model", config=TrainConfig(preset="baseline"), progress=False)
    from models.taxonomy import load_taxonomy

    assert set(result["thresholds"]) == set(load_taxonomy().score_keys())
    stored = predict_project(db, "bundled", result["model_dir"])
    assert stored == {"stored": 60, "unknown_ids": 0}
    with db.read() as s:
        proj = s.get(Project, pid)
        preds = s.scalars(select(Prediction).where(Prediction.model == proj.active_model)).all()
        unc = s.scalars(select(Document.uncertainty).where(Document.project_id == pid)).all()
    assert proj.active_model == result["model_id"] and len(preds) == 60
    assert all(0.0 <= u <= 1.0 for u in unc) and len(set(unc)) > 5
