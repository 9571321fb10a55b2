"""Agreement and review: Krippendorff's alpha and Cohen's kappa of a project, the documents to review,
and the reviewer's adjudication that makes the gold label.

The coefficients are :mod:`evaluation.agreement`'s (the project's one implementation), computed on the
current annotation of every annotator still holding a document.

Example:
    >>> res = project_agreement(db, who, project_id)          # doctest: +SKIP
    >>> res["facets"]["relevance"]["alpha"]
    0.81
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from annotation.auth import Principal
from annotation.db import Database
from annotation.forms import clean_comment, clean_labels, clean_spans
from annotation.projects import NotFound, project_taxonomy, require_project
from annotation.queue import current_annotations
from annotation.schema import Adjudication, Annotation, Document, Project, User
from annotation.submit import Conflict, check_submission_id
from models.taxonomy import FacetKind, Taxonomy

__all__ = ["adjudicate", "agreement_report", "latest_adjudications", "majority", "project_agreement", "review_context", "review_list"]


def majority(tax: Taxonomy, label_objects: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Majority vote per decision, and the decisions that tied.

    Returns:
        ``(labels, ties)``: a normalised label object (a tie leaves a label off, a single-label tie picks
        the first label in taxonomy order), and the facet or score keys that tied.
    """
    n = len(label_objects)
    ties: list[str] = []
    out: dict[str, Any] = {}
    for f in tax.facets:
        vals = [lo.get(f.output_key) for lo in label_objects]
        if f.kind is FacetKind.binary:
            yes = sum(bool(v) for v in vals)
            out[f.output_key] = yes * 2 > n
            if n and yes * 2 == n:
                ties.append(f.output_key)
        elif f.kind is FacetKind.multi_label:
            chosen = []
            for lab in f.label_ids:
                yes = sum(lab in (v or []) for v in vals)
                if yes * 2 > n:
                    chosen.append(lab)
                elif n and yes * 2 == n:
                    ties.append(f.score_key(lab))
            out[f.output_key] = chosen
        else:
            counts = Counter(v for v in vals if v)
            if counts:
                top = max(counts.values())
                best = [lab for lab in f.label_ids if counts.get(lab) == top]
                out[f.output_key] = best[0]
                if len(best) > 1:
                    ties.append(f.id)
            else:
                out[f.output_key] = None
    return tax.validate_labels(out), ties


def _names(s: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(s.execute(select(User.id, User.name).where(User.id.in_(list(set(user_ids))))).all())


def project_agreement(db: Database, who: Principal, project_id: int) -> dict[str, Any]:
    """:func:`agreement_report` for a reviewer or admin of the project (NotFound / Forbidden otherwise)."""
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
    return agreement_report(db, project)


def agreement_report(db: Database, project: Project | str) -> dict[str, Any]:
    """Agreement of a project's annotators on their current annotations.

    Returns:
        :func:`evaluation.agreement.agreement`'s result (``facets``, ``labels``, ``pairs``, …) plus
        ``documents_multi``, the number of documents with two or more annotators.
    """
    from annotation.projects import project_by_name
    from evaluation.agreement import agreement, long_table

    with db.read() as s:
        proj = project_by_name(s, project) if isinstance(project, str) else project
        tax = project_taxonomy(proj)
        doc_ids = list(s.scalars(select(Document.id).where(Document.project_id == proj.id, Document.n_done >= 2)))
        anns = current_annotations(s, doc_ids)
        names = _names(s, [u for per in anns.values() for u in per])
        ext = dict(s.execute(select(Document.id, Document.ext_id).where(Document.id.in_(doc_ids))).all()) if doc_ids else {}
    rows = [(ext[d], names[u], a.labels) for d, per in anns.items() for u, a in per.items()]
    if rows:
        result = agreement(long_table(rows, tax), tax)
    else:
        result = {"n_items": 0, "annotators": [], "n_annotations": 0, "facets": {}, "labels": {}, "pairs": []}
    result["documents_multi"] = len([d for d in anns.values() if len(d) >= 2])
    return result


def latest_adjudications(s: Session, document_ids: Sequence[int]) -> dict[int, Adjudication]:
    """The newest adjudication of each document that has one."""
    if not document_ids:
        return {}
    out: dict[int, Adjudication] = {}
    for adj in s.scalars(select(Adjudication).where(Adjudication.document_id.in_(list(document_ids)))
                         .order_by(Adjudication.document_id, Adjudication.version)):
        out[adj.document_id] = adj
    return out


def review_list(db: Database, who: Principal, project_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """Documents for a reviewer: annotators disagreed, or someone flagged it; most disagreement first.

    Returns:
        ``[{"id", "ext_id", "excerpt", "n_done", "disagreement", "flagged", "adjudicated"}]``.
    """
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
        flagged = select(Annotation.document_id).where(Annotation.project_id == project.id,
                                                       Annotation.flagged.is_(True))
        docs = list(s.scalars(select(Document).where(Document.project_id == project.id, or_(
            Document.disagreement > 0, Document.id.in_(flagged))).order_by(
            func.coalesce(Document.disagreement, 0).desc(), Document.position).limit(limit)))
        ids = [d.id for d in docs]
        adj = latest_adjudications(s, ids)
        flagged_ids = set(s.scalars(flagged.where(Annotation.document_id.in_(ids)))) if ids else set()
    return [{"id": d.id, "ext_id": d.ext_id, "excerpt": d.text[:80], "n_done": d.n_done,
             "disagreement": d.disagreement or 0.0, "flagged": d.id in flagged_ids, "adjudicated": d.id in adj}
            for d in docs]


def review_context(db: Database, who: Principal, project_id: int, document_id: int) -> dict[str, Any]:
    """Everything the adjudication page shows: the document, each annotator's labels, spans and comments,
    the majority vote as a starting point (or the current gold), and the tied decisions."""
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
        doc = s.get(Document, document_id)
        if doc is None or doc.project_id != project.id:
            raise NotFound("no such document in this project")
        tax = project_taxonomy(project)
        anns = current_annotations(s, [doc.id]).get(doc.id, {})
        names = _names(s, list(anns))
        adj = latest_adjudications(s, [doc.id]).get(doc.id)
    annotators = [{"user": names[u], "version": a.version, "labels": a.labels, "spans": a.spans,
                   "flagged": a.flagged, "comment": a.comment, "at": a.created_at.isoformat(timespec="seconds")}
                  for u, a in sorted(anns.items(), key=lambda kv: names[kv[0]])]
    vote, ties = majority(tax, [a["labels"] for a in annotators])
    start = {"labels": adj.labels, "spans": adj.spans, "comment": adj.note or ""} if adj else {
        "labels": vote, "spans": _agreed_spans(annotators, vote, tax), "comment": ""}
    return {"project": project, "document": doc, "taxonomy": tax, "annotators": annotators, "majority": vote,
            "ties": ties, "start": start, "adjudication": adj}


def _agreed_spans(annotators: Sequence[Mapping[str, Any]], labels: Mapping[str, Any], tax: Taxonomy) -> list[dict]:
    from annotation.forms import positive_keys

    on = set(positive_keys(tax, labels))
    seen, out = set(), []
    for a in annotators:
        for sp in a["spans"]:
            k = (sp["key"], sp["start"], sp["end"])
            if sp["key"] in on and k not in seen:
                seen.add(k)
                out.append({"key": sp["key"], "start": sp["start"], "end": sp["end"]})
    return out


def adjudicate(db: Database, who: Principal, project_id: int, document_id: int,
               payload: Mapping[str, Any]) -> dict[str, Any]:
    """Store a reviewer's gold label for a document (a new adjudication version; idempotent by submission id).

    Returns:
        ``{"adjudication_id", "version", "duplicate"}``.
    """
    sid = check_submission_id(payload.get("submission_id"))

    def work(s: Session) -> dict[str, Any]:
        prior = s.scalar(select(Adjudication).where(Adjudication.submission_id == sid))
        if prior is not None:
            if prior.reviewer_id != who.id or prior.document_id != document_id:
                raise Conflict("this submission id belongs to another submission; reload the page")
            return {"adjudication_id": prior.id, "version": prior.version, "duplicate": True}
        project: Project = require_project(s, who, project_id, review=True)
        doc = s.get(Document, document_id)
        if doc is None or doc.project_id != project.id:
            raise NotFound("no such document in this project")
        tax = project_taxonomy(project)
        labels = clean_labels(tax, payload.get("labels"))
        spans = clean_spans(tax, payload.get("spans"), labels, doc.text, doc.tokens)
        version = (s.scalar(select(func.max(Adjudication.version)).where(Adjudication.document_id == doc.id)) or 0) + 1
        adj = Adjudication(project_id=project.id, document_id=doc.id, reviewer_id=who.id, version=version,
                           labels=labels, spans=spans, note=clean_comment(payload.get("comment")), submission_id=sid)
        s.add(adj)
        s.flush()
        return {"adjudication_id": adj.id, "version": version, "duplicate": False}

    return db.transact(work)
