"""Fixtures of the annotation tests: a seeded database (built once, copied per test), the app, signed-in
clients, and a real server process.

Seed: users admin, rev (reviewer), ann1, ann2, ann3 (annotators); project ``p1`` (overlap 2; members
ann1, ann2, rev) and ``p2`` (overlap 1; member ann3), both with the 12 documents of
``fixtures/docs.jsonl`` (three of them hostile HTML/JS; four malformed records are rejected).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = FIXTURES / "docs.jsonl"
PASSWORDS = {"admin": "admin-password-1", "rev": "reviewer-password-1", "ann1": "annotator-pass-1",
             "ann2": "annotator-pass-2", "ann3": "annotator-pass-3"}
ROLES = {"admin": "admin", "rev": "reviewer", "ann1": "annotator", "ann2": "annotator", "ann3": "annotator"}


@pytest.fixture(scope="session")
def passwords() -> dict[str, str]:
    return dict(PASSWORDS)


@pytest.fixture(scope="session")
def segmenter():
    """One segmenter for the whole session (building one takes about 1.5 s)."""
    from nlp.segment import Segmenter

    return Segmenter()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, segmenter) -> Path:
    from annotation.auth import create_user
    from annotation.db import Database
    from annotation.importer import import_file
    from annotation.projects import add_member, create_project

    path = tmp_path_factory.mktemp("annotation-template") / "template.sqlite"
    db = Database.open(path)
    for name, role in ROLES.items():
        create_user(db, name, PASSWORDS[name], role=role)
    create_project(db, "p1", overlap=2)
    create_project(db, "p2", overlap=1)
    for user in ("ann1", "ann2", "rev"):
        add_member(db, "p1", user)
    add_member(db, "p2", "ann3")
    import_file(db, "p1", DOCS, segmenter=segmenter)
    import_file(db, "p2", DOCS, segmenter=segmenter)
    with db.engine.connect() as con:
        con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded database for one test."""
    dst = tmp_path / "annotations.sqlite"
    shutil.copy(template_db, dst)
    return dst


@pytest.fixture
def db(db_path: Path):
    from annotation.db import Database

    database = Database.open(db_path)
    yield database
    database.dispose()


@pytest.fixture
def app(db):
    from annotation.app import create_app

    return create_app(db)


def login(client, name: str, password: str | None = None) -> str:
    """Sign ``client`` in through the real form; returns the session's CSRF token."""
    page = client.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"name": name, "password": password or PASSWORDS[name], "csrf_token": nonce,
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/")
    return re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1)


@pytest.fixture
def signed_in(app) -> Callable[[str], tuple]:
    """``signed_in("ann1") -> (client, csrf)``: a TestClient signed in as that user."""
    from fastapi.testclient import TestClient

    clients = []

    def make(name: str) -> tuple:
        c = TestClient(app)
        clients.append(c)
        return c, login(c, name)

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def principal_of(db) -> Callable[[str], object]:
    """``principal_of("ann1")``: a Principal for calling the plain functions directly."""
    from sqlalchemy import select

    from annotation.auth import Principal
    from annotation.schema import Role, User

    def make(name: str) -> Principal:
        with db.read() as s:
            u = s.scalar(select(User).where(User.name == name))
        return Principal(id=u.id, name=u.name, role=Role(u.role), session_id="test", csrf="test-csrf")

    return make


@pytest.fixture
def project_id(db) -> Callable[[str], int]:
    from sqlalchemy import select

    from annotation.schema import Project

    def get(name: str) -> int:
        with db.read() as s:
            return s.scalar(select(Project.id).where(Project.name == name))

    return get


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server (``initdb`` + ``postgres`` on a Unix socket), or
    ``$STIGMASCOPE_TEST_POSTGRES_URL``; skips when neither PostgreSQL nor psycopg is available."""
    import glob
    import os
    import subprocess
    import tempfile
    import time

    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    if os.environ.get("STIGMASCOPE_TEST_POSTGRES_URL"):
        yield os.environ["STIGMASCOPE_TEST_POSTGRES_URL"]
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
    if not bins or not bins[-1]:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql), and no STIGMASCOPE_TEST_POSTGRES_URL")
    bindir = Path(bins[-1]).parent
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="stigmascope-pg-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its system user
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, sock = f"{root}/data", root
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    port = 50000 + os.getpid() % 10000
    proc = subprocess.Popen([*as_user, str(bindir / "postgres"), "-D", data, "-k", sock, "-p", str(port),
                             "-c", "listen_addresses="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
    import sqlalchemy

    for _ in range(100):
        try:
            eng = sqlalchemy.create_engine(url)
            with eng.connect():
                pass
            eng.dispose()
            break
        except sqlalchemy.exc.OperationalError:
            time.sleep(0.2)
    else:
        proc.terminate()
        pytest.skip("the temporary PostgreSQL server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)
