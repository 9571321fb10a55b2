"""The database: migrations match the models, SQLite runs in WAL, writes are all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotation.config import AnnotateConfig
from annotation.db import Database, database_url, upgrade
from annotation.schema import Base, Setting
from stigmascope.errors import ConfigError


def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, inspect

    url = database_url(tmp_path / "m.sqlite")
    upgrade(url)
    upgrade(url)  # idempotent
    engine = create_engine(url)
    with engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
        tables = set(inspect(con).get_table_names())
        version = con.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert diff == []
    assert {"users", "projects", "documents", "assignments", "annotations", "drafts", "adjudications",
            "predictions", "login_sessions", "memberships", "settings", "rejected_records"} <= tables
    assert version == "0001"


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "w.sqlite")
    with db.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()
    db = Database.open(tmp_path / "w.sqlite", AnnotateConfig(sqlite_synchronous="normal"))
    with db.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    db.dispose()


def test_write_is_one_transaction(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "t.sqlite")
    with pytest.raises(RuntimeError), db.write() as s:
        s.add(Setting(key="a", value="1"))
        s.flush()
        raise RuntimeError("boom")
    with db.write() as s:
        s.add(Setting(key="b", value="2"))
    with db.read() as s:
        assert s.scalars(select(Setting.key).order_by(Setting.key)).all() == ["b"]
    db.dispose()


def test_secret_key_is_kept(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "s.sqlite")
    key = db.secret_key()
    assert len(key) >= 48 and db.secret_key() == key
    db.dispose()
    db2 = Database.open(tmp_path / "s.sqlite")
    assert db2.secret_key() == key
    with db2.read() as s:
        assert s.scalar(select(func.count()).select_from(Setting)) == 1
    db2.dispose()
    assert Database.open(tmp_path / "s.sqlite", AnnotateConfig(secret_key="x" * 40)).secret_key() == "x" * 40


def test_urls_and_refusals(tmp_path: Path) -> None:
    assert database_url(tmp_path / "a.sqlite") == f"sqlite:///{(tmp_path / 'a.sqlite').resolve()}"
    assert database_url("postgresql+psycopg://u@localhost/ann") == "postgresql+psycopg://u@localhost/ann"
    with pytest.raises(ConfigError, match="in-memory"):
        Database("sqlite://")
    with pytest.raises(ConfigError, match="psycopg"):
        Database("nosuchdialect://localhost/x")


@pytest.mark.parametrize("bad, match", [
    ({"sqlite_synchronous": "OFF"}, "sqlite_synchronous"),
    ({"session_hours": 0}, "session_hours"),
    ({"secret_key": "short"}, "secret_key"),
    ({"max_body_kb": 1}, "max_body_kb"),
])
def test_config_validation(bad: dict, match: str) -> None:
    from stigmascope.config import load_config

    with pytest.raises(ConfigError, match=match):
        load_config(AnnotateConfig, bad)
    with pytest.raises(ConfigError, match="did you mean 'session_hours'"):
        load_config(AnnotateConfig, {"session_hour": 3})


@pytest.mark.slow
def test_postgresql_end_to_end(postgres_url: str, tmp_path: Path) -> None:
    """The same code on PostgreSQL: migrations, concurrent claims, versions, retries, agreement, export, app."""
    import threading
    import uuid

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from annotation.app import create_app
    from annotation.auth import Principal, create_user
    from annotation.export import export_gold
    from annotation.importer import Record, import_records
    from annotation.projects import add_member, create_project
    from annotation.review import agreement_report
    from annotation.schema import Annotation, Assignment, Project, Role, User
    from annotation.submit import claim, submit_annotation

    db = Database.open(postgres_url)
    with db.engine.connect() as con:
        assert con.dialect.name == "postgresql"
    create_project(db, "pg", overlap=2)
    names = [f"pg{i}" for i in range(4)]
    for n in names:
        create_user(db, n, "postgres pass 1")
        add_member(db, "pg", n)
    import_records(db, "pg", [Record(i, data={"ext_id": f"d{i}", "text": f"第{i}位农民工讨薪"}) for i in range(6)],
                   origin="test", segment=False)
    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == "pg"))
        people = [Principal(u.id, u.name, Role.annotator, "s", "c") for u in
                  s.scalars(select(User).where(User.name.in_(names)))]
    labels = {"relevant": True, "exclusion": ["employment"], "stance": "neutral"}
    errors: list[BaseException] = []

    def worker(who: Principal) -> None:
        try:
            while (d := claim(db, who, pid)) is not None:
                sid = uuid.uuid4().hex
                submit_annotation(db, who, pid, d, {"submission_id": sid, "labels": labels})
                assert submit_annotation(db, who, pid, d, {"submission_id": sid, "labels": labels})["duplicate"]
                submit_annotation(db, who, pid, d, {"submission_id": uuid.uuid4().hex, "labels": labels})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.read() as s:
        per_doc = s.execute(select(Assignment.document_id, func.count()).group_by(Assignment.document_id)).all()
        versions = s.execute(select(func.max(Annotation.version), func.count()).select_from(Annotation)).one()
    assert sorted(n for _, n in per_doc) == [2] * 6 and tuple(versions) == (2, 24)
    res = agreement_report(db, "pg")
    assert res["documents_multi"] == 6 and res["facets"]["relevance"]["percent_agreement"] == 1.0
    out = export_gold(db, "pg", tmp_path / "pg.jsonl")
    assert out["written"] == 6 and out["unanimous"] == 6
    client = TestClient(create_app(db))
    assert client.get("/login").status_code == 200 and client.get("/api/health").json() == {"ok": True}
    db.dispose()
