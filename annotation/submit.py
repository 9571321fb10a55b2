"""Submissions: annotations (versioned, idempotent), drafts, skips — each one database transaction.

A submission carries a client-made ``submission_id``. If the same request arrives twice (a retry after a
dropped connection, a double press of Enter) the second finds the first's annotation and returns it,
so nothing is stored twice. A correction is a new version; versions are never updated or deleted.

Example:
    >>> res = submit_annotation(db, who, project_id, doc_id, {"submission_id": "…", "labels": {…}})  # doctest: +SKIP
    >>> res["version"]
    1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from annotation.auth import Principal
from annotation.db import Database
from annotation.forms import SubmissionError, clean_comment, clean_labels, clean_spans
from annotation.projects import NotFound, project_taxonomy, require_project
from annotation.queue import claim_next, next_document, refresh_disagreement, release
from annotation.schema import Annotation, Assignment, AssignmentStatus, Document, Draft, Project, utcnow

__all__ = [
    "MAX_DRAFT_BYTES",
    "Conflict",
    "check_submission_id",
    "claim",
    "load_assignment",
    "save_draft",
    "skip_document",
    "submit_annotation",
]

MAX_DRAFT_BYTES = 64_000


class Conflict(RuntimeError):
    """The request clashes with the document's state (e.g. submitting a document one has skipped)."""


def check_submission_id(value: Any) -> str:
    """A submission id: 8–64 characters of letters, digits and ``-``."""
    sid = str(value or "")
    if not 8 <= len(sid) <= 64 or not all(c.isalnum() or c == "-" for c in sid):
        raise SubmissionError("submission_id must be 8-64 letters, digits or '-' (the page makes one per submit)")
    return sid


def load_assignment(s: Session, who: Principal, project_id: int, document_id: int) -> tuple[Project, Document, Assignment]:
    """The project, document and the user's assignment to it.

    Raises:
        NotFound: no such project (or not a member), no such document in it, or not in the user's queue.
    """
    project = require_project(s, who, project_id)
    doc = s.get(Document, document_id)
    if doc is None or doc.project_id != project.id:
        raise NotFound("no such document in this project")
    asg = s.scalar(select(Assignment).where(Assignment.document_id == doc.id, Assignment.user_id == who.id))
    if asg is None:
        raise NotFound("this document is not in your queue")
    return project, doc, asg


def claim(db: Database, who: Principal, project_id: int) -> int | None:
    """The document the user should label next (their pending one or a newly claimed one); None when done.

    A pending document is found with a read (no write lock); only a new claim takes a write transaction.
    """
    with db.read() as s:
        project = require_project(s, who, project_id)
        pending = next_document(s, project, who.id)
    if pending is not None:
        return pending

    def work(s: Session) -> int | None:
        project = require_project(s, who, project_id)
        return claim_next(s, project, who.id)
    return db.transact(work)


def submit_annotation(db: Database, who: Principal, project_id: int, document_id: int,
                      payload: Mapping[str, Any]) -> dict[str, Any]:
    """Store one annotation version.

    Args:
        payload: ``{"submission_id", "labels": {…}, "spans": [{"start", "end", "key"}], "flagged": bool,
            "comment": str, "duration_ms": int, "prefilled_from": str | None}``.

    Returns:
        ``{"annotation_id", "version", "duplicate": bool, "spans": [...]}`` — ``duplicate`` when this
        submission id had already been stored (nothing new was written).

    Raises:
        SubmissionError: labels or spans that do not fit the taxonomy. NotFound: see :func:`load_assignment`.
        Conflict: the user skipped this document.
    """
    sid = check_submission_id(payload.get("submission_id"))

    def work(s: Session) -> dict[str, Any]:
        prior = s.scalar(select(Annotation).where(Annotation.submission_id == sid))
        if prior is not None:
            if prior.user_id != who.id or prior.document_id != document_id:
                raise Conflict("this submission id belongs to another submission; reload the page")
            return {"annotation_id": prior.id, "version": prior.version, "duplicate": True, "spans": prior.spans}
        project, doc, asg = load_assignment(s, who, project_id, document_id)
        if asg.status == AssignmentStatus.skipped.value:
            raise Conflict("you skipped this document; it has gone to another annotator")
        tax = project_taxonomy(project)
        labels = clean_labels(tax, payload.get("labels"))
        spans = clean_spans(tax, payload.get("spans"), labels, doc.text, doc.tokens)
        comment = clean_comment(payload.get("comment"))
        duration = payload.get("duration_ms")
        duration = int(duration) if isinstance(duration, (int, float)) and 0 <= duration < 86_400_000 else None
        prefilled = payload.get("prefilled_from")
        prefilled = str(prefilled)[:200] if prefilled and prefilled == project.active_model else None
        version = (s.scalar(select(func.max(Annotation.version)).where(
            Annotation.document_id == doc.id, Annotation.user_id == who.id)) or 0) + 1
        ann = Annotation(project_id=project.id, document_id=doc.id, user_id=who.id, version=version, labels=labels,
                         spans=spans, flagged=bool(payload.get("flagged")), comment=comment, submission_id=sid,
                         duration_ms=duration, prefilled_from=prefilled)
        s.add(ann)
        asg.status, asg.updated_at = AssignmentStatus.done.value, utcnow()
        s.execute(delete(Draft).where(Draft.document_id == doc.id, Draft.user_id == who.id))
        s.flush()
        refresh_disagreement(s, tax, doc.id)
        return {"annotation_id": ann.id, "version": version, "duplicate": False, "spans": spans}

    return db.transact(work)


def save_draft(db: Database, who: Principal, project_id: int, document_id: int, state: Mapping[str, Any]) -> None:
    """Autosave the form's unsent state (replacing the previous draft).

    Args:
        state: ``{"labels", "spans", "flagged", "comment"}``; labels are checked against the taxonomy
            (a draft may leave required facets empty), spans are kept as sent.

    Raises:
        SubmissionError: a draft that is too large or whose labels do not fit the taxonomy.
    """
    if not isinstance(state, Mapping):
        raise SubmissionError("a draft must be an object")
    blob = json.dumps(state, ensure_ascii=False)
    if len(blob.encode()) > MAX_DRAFT_BYTES:
        raise SubmissionError(f"draft too large ({len(blob.encode()):,} bytes)")

    def work(s: Session) -> None:
        project, doc, asg = load_assignment(s, who, project_id, document_id)
        if asg.status == AssignmentStatus.skipped.value:
            raise Conflict("you skipped this document")
        tax = project_taxonomy(project)
        labels = clean_labels(tax, state.get("labels"), require_single=False)
        spans = [{"start": int(sp["start"]), "end": int(sp["end"]), "key": str(sp["key"])}
                 for sp in (state.get("spans") or []) if isinstance(sp, Mapping) and {"start", "end", "key"} <= set(sp)]
        clean = {"labels": labels, "spans": spans[:200], "flagged": bool(state.get("flagged")),
                 "comment": clean_comment(state.get("comment")) or ""}
        draft = s.get(Draft, (doc.id, who.id))
        if draft is None:
            s.add(Draft(document_id=doc.id, user_id=who.id, state=clean))
        else:
            draft.state, draft.updated_at = clean, utcnow()

    try:
        db.transact(work)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, (SubmissionError, Conflict)):
            raise
        raise SubmissionError(f"malformed draft ({exc})") from None


def skip_document(db: Database, who: Principal, project_id: int, document_id: int, reason: str | None) -> None:
    """Skip a pending document: it leaves the user's queue and goes to another annotator.

    Raises:
        Conflict: the document was already submitted (submit a new version instead).
    """
    reason = clean_comment(reason)

    def work(s: Session) -> None:
        _project, doc, asg = load_assignment(s, who, project_id, document_id)
        if asg.status == AssignmentStatus.skipped.value:
            return
        if asg.status == AssignmentStatus.done.value:
            raise Conflict("you already submitted this document; change it and submit again instead of skipping")
        release(s, asg, reason=reason)
        s.execute(delete(Draft).where(Draft.document_id == doc.id, Draft.user_id == who.id))

    db.transact(work)
