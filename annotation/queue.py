"""Each annotator's queue: which document comes next, claimed so that each goes to k annotators.

A document holds ``n_assigned`` annotators (pending or done; a skip releases its place). Claiming is a
conditional ``UPDATE documents SET n_assigned = n_assigned + 1 WHERE id = ? AND n_assigned < target``:
atomic in SQLite and PostgreSQL alike, so two annotators asking at once never push a document past its
overlap. The target is the project's overlap k, raised to ``max_overlap`` for documents annotators
disagreed on when the project's strategy is ``disagreement``.

Order of the queue by strategy:
- ``sequential``: import order.
- ``uncertainty``: the model's least certain documents first (see :mod:`annotation.preannotate`);
  documents without predictions after, in import order.
- ``disagreement``: documents whose annotators disagreed (and that may take one more annotator) first,
  most disagreement first; then as ``uncertainty``.
An annotator's own pending documents always come before new ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, case, exists, select, update
from sqlalchemy.orm import Session

from annotation.schema import Annotation, Assignment, AssignmentStatus, Document, Project, Strategy, utcnow
from models.taxonomy import FacetKind, Taxonomy

__all__ = [
    "claim_next",
    "current_annotations",
    "disagreement_score",
    "next_document",
    "refresh_disagreement",
    "release",
]


def _target(project: Project) -> Any:
    if project.strategy == Strategy.disagreement.value and project.max_overlap > project.overlap:
        return case((Document.disagreement > 0, project.max_overlap), else_=project.overlap)
    return project.overlap


def next_document(s: Session, project: Project, user_id: int) -> int | None:
    """The user's oldest pending document in the project (None when they hold none)."""
    return s.scalar(select(Assignment.document_id).where(
        Assignment.project_id == project.id, Assignment.user_id == user_id,
        Assignment.status == AssignmentStatus.pending.value).order_by(Assignment.id).limit(1))


def _candidates(project: Project, user_id: int, limit: int) -> Any:
    mine = exists().where(Assignment.document_id == Document.id, Assignment.user_id == user_id)
    q = select(Document.id).where(Document.project_id == project.id, ~mine, Document.n_assigned < _target(project))
    order: list[Any] = []
    if project.strategy == Strategy.disagreement.value:
        order.append(case((Document.disagreement > 0, 0), else_=1))
        order.append(Document.disagreement.desc())
    if project.strategy in (Strategy.uncertainty.value, Strategy.disagreement.value):
        order.append(case((Document.uncertainty.is_(None), 1), else_=0))
        order.append(Document.uncertainty.desc())
    order.append(Document.position)
    return q.order_by(*order).limit(limit)


def claim_next(s: Session, project: Project, user_id: int) -> int | None:
    """The document the user should label now: their pending one, else a newly claimed one.

    Must run inside a write transaction (:meth:`annotation.db.Database.write`).

    Returns:
        The document's id, or None when the queue is empty for this user.
    """
    pending = next_document(s, project, user_id)
    if pending is not None:
        return pending
    for doc_id in s.scalars(_candidates(project, user_id, 8)).all():
        res = s.execute(update(Document).where(Document.id == doc_id, Document.n_assigned < _target(project))
                        .values(n_assigned=Document.n_assigned + 1).execution_options(synchronize_session=False))
        if res.rowcount != 1:
            continue  # another annotator took the last place first
        s.add(Assignment(project_id=project.id, document_id=doc_id, user_id=user_id,
                         status=AssignmentStatus.pending.value))
        s.flush()
        return doc_id
    return None


def release(s: Session, assignment: Assignment, *, reason: str | None) -> None:
    """Mark a pending assignment skipped and free its place on the document for another annotator."""
    if assignment.status != AssignmentStatus.pending.value:
        raise ValueError(f"only a pending assignment can be skipped, this one is {assignment.status}")
    assignment.status, assignment.reason, assignment.updated_at = AssignmentStatus.skipped.value, reason, utcnow()
    s.execute(update(Document).where(Document.id == assignment.document_id, Document.n_assigned > 0)
              .values(n_assigned=Document.n_assigned - 1).execution_options(synchronize_session=False))


def current_annotations(s: Session, document_ids: Sequence[int]) -> dict[int, dict[int, Annotation]]:
    """The newest annotation version of every annotator still holding each document.

    Returns:
        ``{document_id: {user_id: Annotation}}`` (annotators who skipped after submitting are left out).
    """
    if not document_ids:
        return {}
    held = and_(Assignment.document_id == Annotation.document_id, Assignment.user_id == Annotation.user_id,
                Assignment.status == AssignmentStatus.done.value)
    rows = s.scalars(select(Annotation).where(Annotation.document_id.in_(list(document_ids)), exists().where(held))
                     .order_by(Annotation.document_id, Annotation.user_id, Annotation.version)).all()
    out: dict[int, dict[int, Annotation]] = {}
    for a in rows:
        out.setdefault(a.document_id, {})[a.user_id] = a  # later versions overwrite earlier ones
    return out


def disagreement_score(tax: Taxonomy, label_objects: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of the taxonomy's decisions on which the annotators are not unanimous (None for < 2 annotators).

    A decision is the gate, each label of a multi-label facet, and each single-label facet as a whole.
    """
    if len(label_objects) < 2:
        return None
    decisions = split = 0
    for f in tax.facets:
        vals = [lo.get(f.output_key) for lo in label_objects]
        if f.kind is FacetKind.multi_label:
            for lab in f.label_ids:
                decisions += 1
                split += len({lab in (v or []) for v in vals}) > 1
        else:
            decisions += 1
            split += len({repr(v) for v in vals}) > 1
    return round(split / decisions, 6) if decisions else 0.0


def refresh_disagreement(s: Session, tax: Taxonomy, document_id: int) -> None:
    """Recompute a document's ``n_done`` and ``disagreement`` from its current annotations."""
    anns = current_annotations(s, [document_id]).get(document_id, {})
    doc = s.get(Document, document_id)
    if doc is None:
        return
    doc.n_done = len(anns)
    doc.disagreement = disagreement_score(tax, [a.labels for a in anns.values()])
