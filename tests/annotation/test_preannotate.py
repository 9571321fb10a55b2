"""The model in the loop: uncertainty, prediction files as pre-annotations, hints and pre-filled forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from annotation.preannotate import import_predictions, labels_from_row, uncertainty
from annotation.schema import Document, Prediction, Project
from annotation.submit import claim, submit_annotation
from annotation.workspace import label_context
from models.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


@pytest.mark.parametrize("scores, thresholds, expected", [
    ({"relevant": 0.5}, None, 1.0),
    ({"relevant": 0.0}, None, 0.0),
    ({"relevant": 0.75}, None, 0.5),
    ({"relevant": 0.3}, {"relevant": 0.3}, 1.0),            # at its own threshold: most uncertain
    ({"relevant": 0.65}, {"relevant": 0.3}, 0.5),           # halfway from the threshold to 1
    # a sure-relevant text with a stance torn between two labels: 1 - (0.45 - 0.40)
    ({"relevant": 1.0, "stance.stigmatizing": 0.15, "stance.neutral": 0.45, "stance.supportive": 0.40}, None, 0.95),
    # the same stance scores count for little when the text is almost surely irrelevant (weighted by p(relevant))
    ({"relevant": 0.02, "stance.stigmatizing": 0.15, "stance.neutral": 0.45, "stance.supportive": 0.40}, None,
     0.04),
    ({}, None, None),
])
def test_uncertainty(tax, scores, thresholds, expected) -> None:
    got = uncertainty(tax, scores, thresholds)
    assert got == (pytest.approx(expected, abs=1e-6) if expected is not None else None)


def test_labels_from_a_classifier_row(tax) -> None:
    row = {"id": "t-001", "relevant": True, "exclusion": ["employment"], "stance": "neutral", "scores": {}}
    assert labels_from_row(tax, row) == {"relevant": True, "stereotype": [], "exclusion": ["employment"],
                                         "practice": [], "stance": "neutral"}


def _prediction_file(tmp_path: Path, db) -> Path:
    """Classifier-output rows (CONTRACTS.md shape) for p1's documents: t-001 uncertain, the rest sure."""
    with db.read() as s:
        ids = s.scalars(select(Document.ext_id).where(Document.project_id == 1).order_by(Document.position)).all()
    rows = []
    for i, ext in enumerate(ids):
        p = 0.52 if ext == "t-004" else 0.97 if i % 2 else 0.03
        rows.append({"id": ext, "date": None, "city": None, "city_source": "none", "relevant": p > 0.5,
                     "stereotype": ["dirt"] if ext == "t-004" else [], "exclusion": [], "practice": [],
                     "stance": "stigmatizing" if p > 0.5 else None,
                     "scores": {"relevant": p, "stereotype.dirt": 0.9 if ext == "t-004" else 0.01,
                                "stance.stigmatizing": 0.8, "stance.neutral": 0.1, "stance.supportive": 0.1},
                     "evidence": {}, "skip_reason": None})
    rows.append({"id": "not-in-project", "relevant": False, "scores": {"relevant": 0.1}})
    rows.append({"id": "t-006", "relevant": False, "scores": {}, "skip_reason": "prefilter: no migrant referent"})
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_predictions_drive_the_uncertainty_queue(db, principal_of, project_id, tmp_path: Path) -> None:
    path = _prediction_file(tmp_path, db)
    res = import_predictions(db, "p1", path, model="clf-v1")
    assert res == {"stored": 12, "unknown_ids": 1}   # t-006 twice: the later (prefilter skip) row wins
    with db.write() as s:
        p = s.get(Project, project_id("p1"))
        assert p.active_model == "clf-v1"
        p.strategy = "uncertainty"
    with db.read() as s:
        skipped = s.scalar(select(Prediction.uncertainty).where(Prediction.document_id == select(Document.id).where(
            Document.ext_id == "t-006", Document.project_id == 1).scalar_subquery()))
    assert skipped == 0.0
    first = claim(db, principal_of("ann1"), project_id("p1"))
    with db.read() as s:
        assert s.get(Document, first).ext_id == "t-004"  # p(relevant) = 0.52: the most uncertain


def test_hints_and_prefill(db, principal_of, project_id, tmp_path: Path) -> None:
    import_predictions(db, "p1", _prediction_file(tmp_path, db), model="clf-v1")
    pid, who = project_id("p1"), principal_of("ann1")
    d = claim(db, who, pid)
    ctx = label_context(db, who, pid, d)
    assert ctx["page"]["hints"]["relevant"] in (0.03, 0.97, 0.52)   # hint mode (the default): scores, empty form
    assert ctx["origin"] == "new" and ctx["page"]["prefilled_from"] is None
    with db.write() as s:
        s.get(Project, pid).model_mode = "prefill"
    ctx = label_context(db, who, pid, d)
    assert ctx["origin"] == "model clf-v1" and ctx["page"]["hints"] == {}
    with db.read() as s:
        pred = s.get(Prediction, (d, "clf-v1"))
    assert ctx["page"]["state"]["labels"] == pred.labels
    labels = pred.labels if not pred.labels["relevant"] else {**pred.labels, "stance": "neutral"}
    submit_annotation(db, who, pid, d, {"submission_id": "pre-00000001", "labels": labels,
                                        "prefilled_from": "clf-v1"})
    submit_annotation(db, who, pid, d, {"submission_id": "pre-00000002", "labels": labels,
                                        "prefilled_from": "some-other-model"})
    from annotation.schema import Annotation

    with db.read() as s:
        got = s.scalars(select(Annotation.prefilled_from).where(Annotation.document_id == d)
                        .order_by(Annotation.version)).all()
    assert got == ["clf-v1", None]  # only the project's active model is recorded as the prefill source
    with db.write() as s:
        s.get(Project, pid).model_mode = "off"
    d2 = claim(db, principal_of("ann2"), pid)
    assert label_context(db, principal_of("ann2"), pid, d2)["page"]["hints"] == {}
