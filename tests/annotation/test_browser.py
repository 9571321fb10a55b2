"""The annotation tool in a real browser: Debian chromium driven by Playwright against a real server.

Two annotators sign in and label three documents by keyboard only (facet key, label key, Enter), one
of them selecting an evidence span with the keyboard; a reviewer sees the agreement, adjudicates the
disagreement and exports gold. Hostile documents must show as text, with no script run. Screenshots go
to ``$STIGMASCOPE_SCREENSHOT_DIR`` (or a temporary folder, printed).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian chromium and fonts-wqy-zenhei (`make browser`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(template_db: Path, tmp_path: Path):
    from annotation.serverproc import ServerProcess

    db_path = tmp_path / "browser.sqlite"
    shutil.copy(template_db, db_path)
    srv = ServerProcess(db_path, log=tmp_path / "server.log").start()
    srv.db_path = db_path
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = Path(os.environ.get("STIGMASCOPE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {d}")
    return d


class Session:
    """One signed-in browser context, with the checks every page gets (no dialogs, no console errors)."""

    def __init__(self, browser, url: str) -> None:
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        self.page = self.ctx.new_page()
        self.url = url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, name: str, password: str) -> None:
        p = self.page
        p.goto(self.url + "/login")
        p.focus("input[name=name]")    # it has autofocus; focusing again waits for the page under load
        p.keyboard.type(name)
        p.keyboard.press("Tab")
        p.keyboard.type(password)
        p.keyboard.press("Enter")
        p.wait_for_url(self.url + "/")

    def open_label(self, path: str) -> None:
        self.page.goto(self.url + path)
        self.page.wait_for_selector("body[data-ready='1']")

    def keys(self, *keys: str) -> None:
        for k in keys:
            self.page.keyboard.press(k)

    def submit_and_wait(self) -> None:
        before = self.page.url
        self.page.keyboard.press("Enter")
        self.page.wait_for_function("u => location.href !== u && !!document.body && document.body.dataset.ready === '1'", arg=before)

    def close(self) -> None:
        assert self.dialogs == [], f"a script opened dialogs: {self.dialogs}"
        assert self.errors == [], f"console errors (CSP violations show here): {self.errors}"
        self.ctx.close()


def _doc(db_path: Path, project: str, ext_id: str):
    from annotation.db import Database
    from annotation.schema import Document, Project

    db = Database(f"sqlite:///{db_path}")
    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == project))
        d = s.scalar(select(Document).where(Document.project_id == pid, Document.ext_id == ext_id))
    db.dispose()
    return d


def _annotations(db_path: Path, user: str) -> dict[str, dict]:
    from annotation.db import Database
    from annotation.schema import Annotation, Document, User

    db = Database(f"sqlite:///{db_path}")
    with db.read() as s:
        rows = s.execute(select(Document.ext_id, Annotation).join(Annotation, Annotation.document_id == Document.id)
                         .join(User, User.id == Annotation.user_id).where(User.name == user)
                         .order_by(Annotation.version)).all()
    db.dispose()
    return {ext: {"labels": a.labels, "spans": a.spans, "version": a.version} for ext, a in rows}


def _token_index(doc, start: int) -> int:
    ends = doc.tokens
    return next(i for i, e in enumerate(ends) if e > start)


def test_label_agree_adjudicate_export(browser, server, shots: Path, passwords: dict) -> None:
    doc_a = _doc(server.db_path, "p1", "t-001")   # 工地上干了八年，老板年底卷款跑了，…
    # ---- annotator 1: three documents, keyboard only, one evidence span --------------------------------
    s1 = Session(browser, server.url)
    s1.sign_in("ann1", passwords["ann1"])
    s1.open_label("/projects/1/label")
    assert s1.page.inner_text(".crumbs").endswith("t-001")
    s1.keys("1", "3", "b", "5", "b")                 # relevant; exclusion: employment; stance: neutral
    target = doc_a.text.index("卷款跑了")
    first = _token_index(doc_a, 0)
    s1.keys("e", *["ArrowRight"] * (_token_index(doc_a, target) - first))
    s1.keys(*["Shift+ArrowRight"] * (_token_index(doc_a, target + 3) - _token_index(doc_a, target)))
    s1.keys("Enter")                                  # the selection, then which label it supports
    assert s1.page.is_visible("#chooser")
    assert s1.page.inner_text("#chooser-text") == "“卷款跑了”"
    s1.keys("2")                                      # 1 = relevant, 2 = exclusion.employment, 3 = stance
    assert s1.page.inner_text("#span-list").count("卷款跑了") == 1
    assert s1.page.inner_text("#doc-text mark.ev") == "卷款跑了"
    s1.keys("2", "a")                                 # stereotype: poverty ...
    assert s1.page.is_checked("#facet-stereotype input[value=poverty]")
    s1.keys("u")                                      # ... undone
    assert not s1.page.is_checked("#facet-stereotype input[value=poverty]")
    s1.page.screenshot(path=str(shots / "labelling.png"))
    s1.keys("?")
    assert s1.page.is_visible("#guidelines") and "标注指南" in s1.page.inner_text("#guidelines")
    s1.page.screenshot(path=str(shots / "guidelines-panel.png"))
    s1.keys("Escape")
    s1.submit_and_wait()                              # t-002 (tourists): not relevant, Enter alone
    assert s1.page.inner_text(".crumbs").endswith("t-002")
    assert "Saved" in s1.page.inner_text("#status")
    s1.submit_and_wait()
    assert s1.page.inner_text(".crumbs").endswith("t-003")
    s1.keys("5", "c", "4", "a")                        # stance first: relevance switches on by itself
    assert s1.page.is_checked("#facet-relevance input")
    s1.submit_and_wait()
    got = _annotations(server.db_path, "ann1")
    assert got["t-001"]["labels"] == {"relevant": True, "stereotype": [], "exclusion": ["employment"],
                                      "practice": [], "stance": "neutral"}
    assert got["t-001"]["spans"] == [{"key": "exclusion.employment", "start": target, "end": target + 4,
                                      "text": "卷款跑了"}]
    assert got["t-002"]["labels"]["relevant"] is False
    assert got["t-003"]["labels"]["practice"] == ["education"] and got["t-003"]["labels"]["stance"] == "supportive"
    s1.close()

    # ---- annotator 2: the same three, disagreeing on stance of t-001 and relevance of t-002 ------------------
    s2 = Session(browser, server.url)
    s2.sign_in("ann2", passwords["ann2"])
    s2.open_label("/projects/1/label")
    s2.keys("1", "3", "b", "5", "c")
    s2.submit_and_wait()
    s2.keys("1", "5", "b")
    s2.submit_and_wait()
    s2.keys("1", "4", "a", "5", "c")
    s2.submit_and_wait()
    assert set(_annotations(server.db_path, "ann2")) == {"t-001", "t-002", "t-003"}
    s2.close()

    # ---- reviewer: agreement, adjudication, export -----------------------------------------------------------
    r = Session(browser, server.url)
    r.sign_in("rev", passwords["rev"])
    r.page.goto(server.url + "/projects/1/agreement")
    facet_rows = r.page.inner_text("#facet-alpha")
    assert "相关性" in facet_rows and "立场" in facet_rows
    pair = r.page.inner_text("#pair-kappa")
    assert "ann1 · ann2" in pair
    r.page.screenshot(path=str(shots / "agreement.png"), full_page=True)
    r.page.goto(server.url + "/projects/1/review")
    rows = r.page.inner_text("#review-list")
    assert "t-001" in rows and "t-002" in rows and "t-003" not in rows
    r.page.click("#review-list a:has-text('t-001')")
    r.page.wait_for_selector("body[data-ready='1']")
    assert "split" in r.page.get_attribute("#votes tr.split", "class")
    r.page.screenshot(path=str(shots / "adjudication.png"), full_page=True)
    assert r.page.is_checked("#facet-stance input[value=neutral]")   # a tie starts from the first label
    r.keys("5", "c", "5", "c")                        # the gold stance: supportive (a radio stays chosen)
    r.keys("Enter")
    r.page.wait_for_url(server.url + "/projects/1/review")
    assert "gold ✓" in r.page.inner_text("#review-list")
    resp = r.page.request.get(server.url + "/projects/1/export.jsonl")
    assert resp.status == 200
    gold = {row["id"]: row for row in map(json.loads, resp.text().splitlines())}
    assert set(gold) == {"t-001", "t-003"}            # t-002 is still disputed: left out until adjudicated
    assert gold["t-001"]["provenance"]["resolution"] == "adjudicated"
    assert gold["t-001"]["labels"]["stance"] == "supportive"
    assert gold["t-001"]["evidence"] == {"exclusion.employment": [{"start": target, "end": target + 4,
                                                                   "text": "卷款跑了"}]}
    assert gold["t-003"]["provenance"]["resolution"] == "unanimous"
    r.close()


def test_hostile_documents_and_mouse_spans(browser, server, shots: Path, passwords: dict) -> None:
    s = Session(browser, server.url)
    s.sign_in("ann3", passwords["ann3"])
    s.open_label("/projects/2/label")
    seen = {}
    for _ in range(9):                                # skip (S) through to the hostile documents
        ext = s.page.inner_text(".crumbs").split("›")[-1].strip()
        if ext in ("t-007", "t-008", "t-009"):
            doc = _doc(server.db_path, "p2", ext)
            shown = s.page.evaluate("document.getElementById('doc-text').textContent")
            seen[ext] = shown == doc.text
            assert s.page.locator("#doc-text img, #doc-text script, #doc-text svg").count() == 0
        if ext == "t-007":
            s.page.screenshot(path=str(shots / "hostile-document.png"))
        before = s.page.url
        s.keys("s")
        assert "Press S again" in s.page.inner_text("#status")
        s.keys("s")
        s.page.wait_for_function("u => location.href !== u && !!document.body && document.body.dataset.ready === '1'", arg=before)
    assert seen == {"t-007": True, "t-008": True, "t-009": True}
    # a mouse selection in the middle of words snaps to word boundaries (t-010: 打工人打工魂，周一早上的地铁…)
    doc = _doc(server.db_path, "p2", s.page.inner_text(".crumbs").split("›")[-1].strip())
    s.keys("1")
    start = doc.text.index("地铁") + 1                # from inside 地铁 …
    s.page.evaluate("""([a, b]) => {
        const el = document.getElementById('doc-text'), r = document.createRange();
        r.setStart(el.firstChild, a); r.setEnd(el.firstChild, b);
        const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
        el.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""", [start, start + 3])                         # … to inside the word after it
    chosen = s.page.inner_text("#chooser-text").strip("“”")
    assert chosen.startswith("地铁") and len(chosen) > 3
    s.keys("1")
    assert s.page.inner_text("#doc-text mark.ev") == chosen
    s.close()
