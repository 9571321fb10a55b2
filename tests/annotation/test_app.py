"""The web app through HTTP: permissions across projects and roles, CSRF, hostile documents, headers."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from annotation.schema import Annotation, Document
from annotation.security import SAFE_METHODS

LABELS = {"relevant": True, "exclusion": ["employment"], "stance": "neutral"}


def _doc_id(db, project: str, ext_id: str) -> int:
    from annotation.schema import Project

    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == project))
        return s.scalar(select(Document.id).where(Document.project_id == pid, Document.ext_id == ext_id))


def test_login_logout(app) -> None:
    c = TestClient(app)
    r = c.get("/projects/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/projects/1"
    page = c.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    bad = c.post("/login", data={"name": "ann1", "password": "nope-nope-nope", "csrf_token": nonce})
    assert bad.status_code == 401 and "Wrong name or password" in bad.text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', bad.text).group(1)
    ok = c.post("/login", data={"name": "ann1", "password": "annotator-pass-1", "csrf_token": nonce,
                                "next": "//evil.example/x"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = c.get("/")
    assert home.status_code == 200 and "p1" in home.text and "p2" not in home.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1)
    assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303
    assert c.get("/api/projects/1/next").status_code == 401


def test_login_form_needs_its_token(app) -> None:
    c = TestClient(app)
    r = c.post("/login", data={"name": "ann1", "password": "annotator-pass-1"})
    assert r.status_code == 403
    c.get("/login")
    r = c.post("/login", data={"name": "ann1", "password": "annotator-pass-1", "csrf_token": "forged"})
    assert r.status_code == 403


def test_every_state_change_needs_csrf(signed_in) -> None:
    client, csrf = signed_in("admin")
    from annotation import api, pages

    routes = pages.router.routes + api.router.routes
    unsafe = [(m, r.path) for r in routes for m in getattr(r, "methods", set()) - SAFE_METHODS]
    assert len(unsafe) == 8  # login, logout, 2 admin forms, submit, draft, skip, adjudicate
    for method, path in unsafe:
        url = path.replace("{project_id}", "1").replace("{document_id}", "1")
        r = client.request(method, url, json={})
        assert r.status_code == 403, (method, path, r.status_code)
        assert "CSRF" in r.text or "expired" in r.text
    r = client.post("/api/projects/1/documents/1/skip", json={}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = client.post("/api/projects/1/documents/1/skip", json={},
                    headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.text
    r = client.post("/api/projects/1/documents/1/skip", json={},
                    headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_no_access_across_projects(db, signed_in) -> None:
    ann3, csrf3 = signed_in("ann3")          # member of p2 only
    p1_doc = _doc_id(db, "p1", "t-001")
    for url in ("/projects/1", "/projects/1/label", f"/projects/1/label/{p1_doc}", "/projects/1/guidelines",
                "/api/projects/1/next", f"/api/projects/1/documents/{p1_doc}"):
        assert ann3.get(url).status_code == 404, url
    r = ann3.post(f"/api/projects/1/documents/{p1_doc}/annotations", headers={"X-CSRF-Token": csrf3},
                  json={"submission_id": uuid.uuid4().hex, "labels": LABELS})
    assert r.status_code == 404
    # ...nor to a document of your own project that is not in your queue
    ann1, _ = signed_in("ann1")
    r = ann1.get(f"/api/projects/1/documents/{p1_doc}")
    assert r.status_code == 404 and "not in your queue" in r.json()["detail"]


def test_roles(db, signed_in) -> None:
    ann1, _ = signed_in("ann1")
    for url in ("/projects/1/agreement", "/projects/1/review", "/projects/1/export.jsonl", "/api/projects/1/agreement",
                f"/projects/1/review/{_doc_id(db, 'p1', 't-001')}", "/admin"):
        assert ann1.get(url).status_code == 403, url
    rev, rev_csrf = signed_in("rev")
    assert rev.get("/projects/1/agreement").status_code == 200
    assert rev.get("/projects/1/review").status_code == 200
    assert rev.get("/projects/2/agreement").status_code == 404       # reviewer, but not of p2
    assert rev.get("/admin").status_code == 403
    r = rev.post("/admin/users", data={"csrf_token": rev_csrf, "name": "sneaky", "password": "sneaky-password",
                                       "role": "admin"})
    assert r.status_code == 403
    admin, admin_csrf = signed_in("admin")
    assert admin.get("/projects/2/agreement").status_code == 200     # admins see every project
    r = admin.post("/admin/users", data={"csrf_token": admin_csrf, "name": "ann4", "password": "annotator-pass-4",
                                         "role": "annotator"})
    assert r.status_code == 200 and "User ann4 created" in r.text
    r = admin.post("/admin/members", data={"csrf_token": admin_csrf, "project": "p2", "user": "ann4"})
    assert "ann4 added to p2" in r.text


HOSTILE = ("t-007", "t-008", "t-009")


@pytest.mark.parametrize("ext_id", HOSTILE)
def test_hostile_documents_render_as_text(db, signed_in, ext_id: str) -> None:
    client, csrf = signed_in("ann3")
    did = _doc_id(db, "p2", ext_id)
    with db.read() as s:
        text = s.get(Document, did).text
    # put the document in ann3's queue (p2 has overlap 1: claim until we hold it)
    while True:
        nxt = client.get("/api/projects/2/next").json()["document_id"]
        if nxt == did:
            break
        client.post(f"/api/projects/2/documents/{nxt}/skip", json={}, headers={"X-CSRF-Token": csrf})
    r = client.get(f"/projects/2/label/{did}")
    html = r.text
    assert r.status_code == 200
    for needle in ("<img src=x", "<script>alert", "<svg onload", "onerror=alert(1)>"):
        assert needle not in html
    assert html.count("<script") == 2      # the page's JSON block and label.js, nothing from the document
    assert "&lt;" in html                  # the document's markup is shown as text
    data = json.loads(re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.DOTALL).group(1))
    assert data["text"] == text            # round-trips exactly for label.js
    if ext_id == "t-009":
        assert "{{7*7}}" in html           # template syntax in a document is text, never evaluated
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_hostile_text_in_review_and_agreement(db, signed_in) -> None:
    rev, _ = signed_in("rev")
    with db.write() as s:       # make t-008 look disputed so it shows in the review list
        d = s.get(Document, _doc_id(db, "p1", "t-008"))
        d.disagreement = 0.5
    html = rev.get("/projects/1/review").text
    assert "t-008" in html and "<script>alert" not in html and "&lt;/script&gt;&lt;script&gt;" in html


def test_versions_through_the_api(db, signed_in) -> None:
    client, csrf = signed_in("ann1")
    did = client.get("/api/projects/1/next").json()["document_id"]
    url = f"/api/projects/1/documents/{did}/annotations"
    h = {"X-CSRF-Token": csrf}
    sid = uuid.uuid4().hex
    r1 = client.post(url, json={"submission_id": sid, "labels": LABELS}, headers=h)
    r1b = client.post(url, json={"submission_id": sid, "labels": LABELS}, headers=h)    # a retry
    r2 = client.post(url, json={"submission_id": uuid.uuid4().hex, "labels": {**LABELS, "stance": "supportive"}},
                     headers=h)
    assert (r1.json()["version"], r1b.json()["duplicate"], r2.json()["version"]) == (1, True, 2)
    versions = client.get(url).json()["versions"]
    assert [(v["version"], v["labels"]["stance"]) for v in versions] == [(1, "neutral"), (2, "supportive")]
    bad = client.post(url, json={"submission_id": uuid.uuid4().hex, "labels": {"relevant": True}}, headers=h)
    assert bad.status_code == 422 and "Stance" in bad.json()["detail"]
    wrong_shape = client.post(url, json=["not", "an", "object"], headers=h)
    assert wrong_shape.status_code == 422
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 2


def test_draft_autosave_restored_on_reload(db, signed_in) -> None:
    client, csrf = signed_in("ann2")
    did = client.get("/api/projects/1/next").json()["document_id"]
    r = client.put(f"/api/projects/1/documents/{did}/draft", headers={"X-CSRF-Token": csrf},
                   json={"labels": {"relevant": True, "practice": ["mutual_aid"]}, "spans": [], "flagged": False,
                         "comment": "草稿"})
    assert r.json() == {"saved": True}
    html = client.get(f"/projects/1/label/{did}").text
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', html, re.DOTALL).group(1))
    assert data["origin"] == "draft" and data["state"]["labels"]["practice"] == ["mutual_aid"]
    assert data["state"]["comment"] == "草稿"


def test_oversized_body_refused(signed_in) -> None:
    client, csrf = signed_in("ann1")
    r = client.put("/api/projects/1/documents/1/draft", headers={"X-CSRF-Token": csrf},
                   content=b"{" + b" " * (600 * 1024) + b"}")
    assert r.status_code == 413


def test_export_download(db, signed_in) -> None:
    a1, c1 = signed_in("ann1")
    a2, c2 = signed_in("ann2")
    did = a1.get("/api/projects/1/next").json()["document_id"]
    assert a2.get("/api/projects/1/next").json()["document_id"] == did
    for c, csrf in ((a1, c1), (a2, c2)):
        c.post(f"/api/projects/1/documents/{did}/annotations", headers={"X-CSRF-Token": csrf},
               json={"submission_id": uuid.uuid4().hex, "labels": LABELS})
    rev, _ = signed_in("rev")
    r = rev.get("/projects/1/export.jsonl")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == 1 and rows[0]["provenance"]["resolution"] == "unanimous"
    assert [a["user"] for a in rows[0]["provenance"]["annotators"]] == ["ann1", "ann2"]
