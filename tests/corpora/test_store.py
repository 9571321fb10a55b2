"""The store: schema as in CONTRACTS.md, transactional batches, read-only opening."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from corpora.store import DOC_COLUMNS, BatchWrite, open_store
from stigmascope.errors import InputError


def columns(store, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in store.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def test_schema_matches_the_contract(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        assert columns(store, "documents") == [
            ("id", "VARCHAR"), ("text", "VARCHAR"), ("raw_text", "VARCHAR"), ("quoted_text", "VARCHAR"),
            ("date", "DATE"), ("datetime", "TIMESTAMP"), ("city", "VARCHAR"), ("province", "VARCHAR"),
            ("city_source", "VARCHAR"), ("source", "VARCHAR"), ("outlet", "VARCHAR"), ("script", "VARCHAR"),
            ("content_hash", "VARCHAR"), ("dup_of", "VARCHAR"), ("dup_count", "INTEGER"), ("meta", "JSON"),
            ("run_id", "VARCHAR"), ("ingested_at", "TIMESTAMP")]
        assert [c for c, _ in columns(store, "rejected")] == ["run_id", "file", "line", "field", "reason", "raw"]
        assert [c for c, _ in columns(store, "runs")] == ["run_id", "started_at", "finished_at", "status", "files",
                                                          "counts"]
        assert columns(store, "predictions") == [
            ("doc_id", "VARCHAR"), ("model", "VARCHAR"), ("run_id", "VARCHAR"), ("relevant", "BOOLEAN"),
            ("skip_reason", "VARCHAR"), ("labels", "VARCHAR[]"), ("scores", "MAP(VARCHAR, DOUBLE)"),
            ("evidence", "JSON"), ("created_at", "TIMESTAMP")]
        # classify can write a prediction row of the contract's shape
        store.con.execute("INSERT INTO predictions VALUES ('d1', 'm', 'r', true, NULL, ['stance.neutral'], "
                          "MAP {'relevant': 0.9}, '{}', now()::TIMESTAMP)")
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            store.con.execute("INSERT INTO predictions VALUES ('d1', 'm', 'r', false, NULL, [], MAP {}, '{}', NULL)")


def _doc(i: int) -> dict:
    return {c: None for c in DOC_COLUMNS} | {"id": f"d{i}", "text": f"文本{i}", "date": date(2023, 5, i),
                                             "datetime": datetime(2023, 5, i, 8), "dup_count": 1, "meta": '{"k": 1}',
                                             "ingested_at": datetime(2024, 1, 1)}


def _batch(ids: list[int]) -> BatchWrite:
    b = BatchWrite()
    for i in ids:
        for c, v in _doc(i).items():
            b.documents[c].append(v)
    return b


def test_batch_is_all_or_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.write_batch(_batch([1, 2]))
        bad = _batch([3, 1])  # d1 already exists: primary key violation
        bad.rejected.append(("r", "f.jsonl", 7, "text", "empty_text", "{}"))
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            store.write_batch(bad)
        assert store.con.execute("SELECT id FROM documents ORDER BY id").fetchall() == [("d1",), ("d2",)]
        assert store.con.execute("SELECT count(*) FROM rejected").fetchone() == (0,)
        inc = BatchWrite(dup_increments={"d2": 3})
        store.write_batch(inc)
        assert store.con.execute("SELECT dup_count, meta->>'k', date FROM documents WHERE id = 'd2'").fetchone() == (
            4, "1", date(2023, 5, 2))


def test_runs_left_running_become_interrupted(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.start_run("a", [])
    with open_store(tmp_path / "s.duckdb") as store:
        store.start_run("b", [])
        store.finish_run("b", "done", [], {"stored": 0})
        assert store.con.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall() == [
            ("a", "interrupted"), ("b", "done")]


def test_read_only_needs_an_existing_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run `stigmascope ingest"):
        open_store(tmp_path / "missing.duckdb", read_only=True)
    other = tmp_path / "other.duckdb"
    import duckdb

    duckdb.connect(str(other)).close()
    with pytest.raises(InputError, match="not a stigmascope corpus store"):
        open_store(other, read_only=True)
    text = tmp_path / "notes.duckdb"
    text.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(InputError, match="cannot open the corpus store"):
        open_store(text)
