"""The JSON API the pages' scripts (and the load test) use. Every state change needs the CSRF header.

=======  ===============================================================  ==========================
method   path                                                             does
=======  ===============================================================  ==========================
GET      /api/health                                                      liveness (no sign-in)
GET      /api/projects/{p}/next                                           claim the next document
GET      /api/projects/{p}/documents/{d}                                  a document of your queue
POST     /api/projects/{p}/documents/{d}/annotations                      submit (new version)
GET      /api/projects/{p}/documents/{d}/annotations                      your versions
PUT      /api/projects/{p}/documents/{d}/draft                            autosave the form
POST     /api/projects/{p}/documents/{d}/skip                             skip (with a reason)
POST     /api/projects/{p}/documents/{d}/adjudication                     reviewer's gold label
GET      /api/projects/{p}/agreement                                      alpha and kappa (reviewers)
=======  ===============================================================  ==========================
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from sqlalchemy import select

from annotation.review import adjudicate, project_agreement
from annotation.schema import Annotation
from annotation.security import require_principal
from annotation.submit import claim, load_assignment, save_draft, skip_document, submit_annotation

__all__ = ["router"]

router = APIRouter(prefix="/api")


@router.get("/health")
def health() -> dict[str, Any]:
    return {"ok": True}


@router.get("/projects/{project_id}/next")
def next_document(request: Request, project_id: int) -> dict[str, Any]:
    who = require_principal(request)
    doc_id = claim(request.app.state.db, who, project_id)
    return {"document_id": doc_id, "url": f"/projects/{project_id}/label/{doc_id}" if doc_id is not None else None}


@router.get("/projects/{project_id}/documents/{document_id}")
def get_document(request: Request, project_id: int, document_id: int) -> dict[str, Any]:
    who = require_principal(request)
    with request.app.state.db.read() as s:
        _p, doc, asg = load_assignment(s, who, project_id, document_id)
        return {"id": doc.id, "ext_id": doc.ext_id, "text": doc.text, "tokens": doc.tokens, "date": doc.date,
                "city": doc.city, "source": doc.source, "outlet": doc.outlet, "status": asg.status}


@router.post("/projects/{project_id}/documents/{document_id}/annotations")
def post_annotation(request: Request, project_id: int, document_id: int,
                    payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    who = require_principal(request)
    res = submit_annotation(request.app.state.db, who, project_id, document_id, payload)
    return {**res, "next_url": f"/projects/{project_id}/label"}


@router.get("/projects/{project_id}/documents/{document_id}/annotations")
def list_annotations(request: Request, project_id: int, document_id: int) -> dict[str, Any]:
    who = require_principal(request)
    with request.app.state.db.read() as s:
        load_assignment(s, who, project_id, document_id)
        rows = s.scalars(select(Annotation).where(Annotation.document_id == document_id,
                                                  Annotation.user_id == who.id).order_by(Annotation.version))
        return {"versions": [{"version": a.version, "labels": a.labels, "spans": a.spans, "flagged": a.flagged,
                              "comment": a.comment, "at": a.created_at.isoformat(timespec="seconds") + "Z"}
                             for a in rows]}


@router.put("/projects/{project_id}/documents/{document_id}/draft")
def put_draft(request: Request, project_id: int, document_id: int,
              payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    who = require_principal(request)
    save_draft(request.app.state.db, who, project_id, document_id, payload)
    return {"saved": True}


@router.post("/projects/{project_id}/documents/{document_id}/skip")
def post_skip(request: Request, project_id: int, document_id: int,
              payload: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
    who = require_principal(request)
    skip_document(request.app.state.db, who, project_id, document_id, (payload or {}).get("reason"))
    return {"skipped": True, "next_url": f"/projects/{project_id}/label"}


@router.post("/projects/{project_id}/documents/{document_id}/adjudication")
def post_adjudication(request: Request, project_id: int, document_id: int,
                      payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    who = require_principal(request)
    res = adjudicate(request.app.state.db, who, project_id, document_id, payload)
    return {**res, "next_url": f"/projects/{project_id}/review"}


@router.get("/projects/{project_id}/agreement")
def get_agreement(request: Request, project_id: int) -> dict[str, Any]:
    who = require_principal(request)
    return project_agreement(request.app.state.db, who, project_id)
