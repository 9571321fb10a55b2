"""The HTML pages: sign-in, projects, labelling, guidelines, agreement, review, adjudication, export, admin.

Handlers are thin: they check who is asking, call the functions that do the work, and render a template.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from annotation import auth
from annotation.auth import Principal
from annotation.export import gold_rows
from annotation.forms import form_spec
from annotation.projects import (
    Forbidden,
    add_member,
    project_stats,
    project_taxonomy,
    require_project,
    visible_projects,
)
from annotation.render import markdown_html, render
from annotation.review import project_agreement, review_context, review_list
from annotation.schema import Membership, Project, Role, User
from annotation.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    cookie_signer,
    new_login_nonce,
    principal,
    require_principal,
)
from annotation.submit import claim
from annotation.workspace import label_context
from stigmascope.errors import ConfigError

__all__ = ["router", "safe_next"]

router = APIRouter()


def safe_next(value: str | None) -> str:
    """A same-site path to go to after signing in (anything else becomes ``/``: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return "/"
    return value


def _base(request: Request, who: Principal | None, title: str) -> dict[str, Any]:
    return {"who": who, "csrf": who.csrf if who else "", "title": title, "path": request.url.path}


def _login_page(request: Request, *, error: str | None = None, status: int = 200, next_url: str = "/") -> Response:
    nonce = new_login_nonce()
    resp = render("login.html", status, **_base(request, None, "Sign in"), login_csrf=nonce, error=error,
                  next_url=next_url)
    cfg = request.app.state.config
    resp.set_cookie(LOGIN_COOKIE, cookie_signer(request.app.state.secret, "login").dumps(nonce), max_age=3600,
                    httponly=True, samesite="strict", secure=cfg.cookie_secure, path="/login")
    return resp


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if principal(request) is not None:
        return RedirectResponse(safe_next(next), 303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
    app = request.app.state
    user = auth.authenticate(app.db, name[:64], password[:1024])
    if user is None:
        return _login_page(request, error="Wrong name or password.", status=401, next_url=safe_next(next))
    token = auth.start_session(app.db, user, hours=app.config.session_hours)
    resp = RedirectResponse(safe_next(next), 303)
    resp.set_cookie(SESSION_COOKIE, cookie_signer(app.secret, "session").dumps(token),
                    max_age=int(app.config.session_hours * 3600), httponly=True, samesite="lax",
                    secure=app.config.cookie_secure, path="/")
    resp.delete_cookie(LOGIN_COOKIE, path="/login")
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    who = require_principal(request)
    auth.end_session(request.app.state.db, who.session_id)
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/")
def home(request: Request) -> Response:
    who = require_principal(request)
    db = request.app.state.db
    with db.read() as s:
        projects = [(p, project_stats(s, p, who.id)) for p in visible_projects(s, who)]
    return render("projects.html", **_base(request, who, "Projects"), projects=projects)


@router.get("/projects/{project_id}")
def project_page(request: Request, project_id: int) -> Response:
    who = require_principal(request)
    with request.app.state.db.read() as s:
        project = require_project(s, who, project_id)
        stats = project_stats(s, project, who.id)
    return render("project.html", **_base(request, who, project.name), project=project, stats=stats)


@router.get("/projects/{project_id}/label")
def label_next(request: Request, project_id: int) -> Response:
    who = require_principal(request)
    doc_id = claim(request.app.state.db, who, project_id)
    if doc_id is None:
        with request.app.state.db.read() as s:
            project = require_project(s, who, project_id)
            stats = project_stats(s, project, who.id)
        return render("done.html", **_base(request, who, project.name), project=project, stats=stats)
    return RedirectResponse(f"/projects/{project_id}/label/{doc_id}", 303)


@router.get("/projects/{project_id}/label/{document_id}")
def label_page(request: Request, project_id: int, document_id: int) -> Response:
    who = require_principal(request)
    ctx = label_context(request.app.state.db, who, project_id, document_id)
    return render("label.html", **_base(request, who, f"{ctx['project'].name} · {ctx['document'].ext_id}"),
                  guidelines_html=markdown_html(ctx["project"].guidelines), **ctx)


@router.get("/projects/{project_id}/guidelines")
def guidelines_page(request: Request, project_id: int) -> Response:
    who = require_principal(request)
    with request.app.state.db.read() as s:
        project = require_project(s, who, project_id)
    return render("guidelines.html", **_base(request, who, f"{project.name} · guidelines"), project=project,
                  guidelines_html=markdown_html(project.guidelines))


@router.get("/projects/{project_id}/agreement")
def agreement_page(request: Request, project_id: int) -> Response:
    who = require_principal(request)
    db = request.app.state.db
    result = project_agreement(db, who, project_id)
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
        stats = project_stats(s, project)
    spec = form_spec(project_taxonomy(project))
    return render("agreement.html", **_base(request, who, f"{project.name} · agreement"), project=project,
                  result=result, spec=spec, stats=stats)


@router.get("/projects/{project_id}/review")
def review_page(request: Request, project_id: int) -> Response:
    who = require_principal(request)
    db = request.app.state.db
    items = review_list(db, who, project_id)
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
    return render("review.html", **_base(request, who, f"{project.name} · review"), project=project, items=items)


@router.get("/projects/{project_id}/review/{document_id}")
def adjudicate_page(request: Request, project_id: int, document_id: int) -> Response:
    who = require_principal(request)
    ctx = review_context(request.app.state.db, who, project_id, document_id)
    project, doc, tax = ctx["project"], ctx["document"], ctx["taxonomy"]
    page = {"project_id": project.id, "document_id": doc.id, "text": doc.text, "tokens": doc.tokens,
            "form": form_spec(tax), "state": {**ctx["start"], "flagged": False}, "origin": "review", "hints": {},
            "mode": "adjudicate", "submit_url": f"/api/projects/{project.id}/documents/{doc.id}/adjudication",
            "next_url": f"/projects/{project.id}/review", "draft_url": None, "skip_url": None, "back_url": None,
            "annotator_spans": [{"user": a["user"], "spans": a["spans"]} for a in ctx["annotators"]],
            "prefilled_from": None, "version": ctx["adjudication"].version if ctx["adjudication"] else 0}
    spec = form_spec(tax)
    tie_names = {f["id"]: f"{f['name_zh']} {f['name_en']}" for f in spec["facets"]}
    tie_names.update({lab["score_key"]: f"{f['name_zh']} · {lab['name_zh']} {lab['name_en']}"
                      for f in spec["facets"] for lab in f["labels"]})
    return render("adjudicate.html", **_base(request, who, f"{project.name} · review {doc.ext_id}"), page=page,
                  guidelines_html=markdown_html(project.guidelines), spec=spec, tie_names=tie_names, **ctx)


@router.get("/projects/{project_id}/export.jsonl")
def export_download(request: Request, project_id: int, min_annotators: int = 2, majority: bool = False) -> Response:
    who = require_principal(request)
    db = request.app.state.db
    with db.read() as s:
        project = require_project(s, who, project_id, review=True)
    rows = gold_rows(db, project, min_annotators=max(1, min_annotators), majority_vote=majority)
    body = (json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return StreamingResponse(body, media_type="application/x-ndjson", headers={
        "content-disposition": f"attachment; filename=\"{quote(project.name)}-gold.jsonl\""})


def _require_admin(request: Request) -> Principal:
    who = require_principal(request)
    if not who.is_admin:
        raise Forbidden("only admins may manage users and projects")
    return who


def _admin_page(request: Request, who: Principal, *, message: str | None = None, error: str | None = None,
                status: int = 200) -> Response:
    with request.app.state.db.read() as s:
        users = list(s.scalars(select(User).order_by(User.name)))
        projects = list(s.scalars(select(Project).order_by(Project.name)))
        members: dict[int, list[str]] = {}
        for pid, name in s.execute(select(Membership.project_id, User.name).join(User, User.id == Membership.user_id)
                                   .order_by(User.name)):
            members.setdefault(pid, []).append(name)
    return render("admin.html", status, **_base(request, who, "Admin"), users=users, projects=projects,
                  members=members, roles=[r.value for r in Role], message=message, error=error)


@router.get("/admin")
def admin_page(request: Request) -> Response:
    return _admin_page(request, _require_admin(request))


@router.post("/admin/users")
def admin_create_user(request: Request, name: str = Form(""), password: str = Form(""),
                      role: str = Form("annotator")) -> Response:
    who = _require_admin(request)
    try:
        auth.create_user(request.app.state.db, name, password, role=role)
    except ConfigError as exc:
        return _admin_page(request, who, error=str(exc), status=422)
    return _admin_page(request, who, message=f"User {name} created ({role}).")


@router.post("/admin/members")
def admin_add_member(request: Request, project: str = Form(""), user: str = Form("")) -> Response:
    who = _require_admin(request)
    try:
        added = add_member(request.app.state.db, project, user)
    except ConfigError as exc:
        return _admin_page(request, who, error=str(exc), status=422)
    return _admin_page(request, who, message=f"{user} {'added to' if added else 'was already in'} {project}.")
