"""Importing documents: files with bad records kept as rejections, re-imports, the corpus store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotation.importer import import_file, import_store, read_records
from annotation.projects import create_project
from annotation.schema import Document, RejectedRecord
from stigmascope.errors import InputError

DOCS = Path(__file__).parent / "fixtures" / "docs.jsonl"


def test_seeded_import_kept_rejections(db) -> None:
    with db.read() as s:
        reasons = s.execute(select(RejectedRecord.line, RejectedRecord.field, RejectedRecord.reason)
                            .where(RejectedRecord.project_id == 1).order_by(RejectedRecord.line)).all()
        n = s.scalar(select(func.count()).select_from(Document).where(Document.project_id == 1))
        doc = s.scalar(select(Document).where(Document.ext_id == "t-001", Document.project_id == 1))
        crlf = s.scalar(select(Document.text).where(Document.ext_id == "t-011", Document.project_id == 1))
    assert n == 12
    assert [(line, field) for line, field, _ in reasons] == [(13, "text"), (14, None), (15, "id"), (16, "id")]
    assert "not valid JSON" in reasons[1][2] and "repeated" in reasons[2][2] and reasons[3][2] == "no id"
    assert (doc.date, doc.city, doc.source, doc.outlet, doc.position) == ("2021-01-18", "郑州", "news", "大河报", 1)
    assert doc.tokens[:3] == [2, 3, 4] and doc.tokens[-1] == len(doc.text)   # 工地 / 上 / 干 ...
    assert "\r\n" in crlf  # text kept byte for byte


def test_reimport_skips_present_documents(db, segmenter) -> None:
    rep = import_file(db, "p1", DOCS, segmenter=segmenter)
    assert (rep.imported, rep.already_present, rep.rejected) == (0, 12, 4)


def test_csv_and_parquet(db, tmp_path: Path, segmenter) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    create_project(db, "formats")
    csv_path = tmp_path / "docs.csv"
    csv_path.write_text("id,text,date,city\nc1,农民工讨薪难,2020-01-02,武汉\nc2,,2020-01-03,\n", encoding="utf-8")
    rep = import_file(db, "formats", csv_path, segmenter=segmenter)
    assert (rep.imported, rep.rejected, rep.reasons) == (1, 1, {"no text": 1})
    pq_path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": ["q1", "q2"], "text": ["随迁子女入学", "外来务工人员夜校"], "extra": [1, 2]}), pq_path)
    rep = import_file(db, "formats", pq_path, segmenter=segmenter)
    assert rep.imported == 2
    with db.read() as s:
        meta = s.scalar(select(Document.meta).where(Document.ext_id == "q2"))
        positions = s.scalars(select(Document.position).where(Document.ext_id.in_(["c1", "q1", "q2"]))
                              .order_by(Document.ext_id)).all()
    assert meta == {"extra": 2} and positions == [1, 2, 3]
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(InputError, match="unknown file kind"):
        list(read_records(tmp_path / "x.xlsx"))
    (tmp_path / "bad.csv").write_text("name,body\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="'id' and 'text'"):
        import_file(db, "formats", tmp_path / "bad.csv")


def test_import_from_the_corpus_store(db, tmp_path: Path, segmenter) -> None:
    from corpora.ingest import ingest_paths

    store = tmp_path / "corpus.duckdb"
    ingest_paths([str(DOCS)], db=store, progress=False)
    create_project(db, "from-store")
    rep = import_store(db, "from-store", store, source="weibo", segmenter=segmenter)
    from annotation.schema import Project

    with db.read() as s:
        pid = s.scalar(select(Project.id).where(Project.name == "from-store"))
        rows = s.execute(select(Document.ext_id, Document.source, Document.date).where(Document.project_id == pid)).all()
    assert rep.imported == 4 and {r.source for r in rows} == {"weibo"}
    assert ("t-002", "weibo", "2023-05-02") in [tuple(r) for r in rows]
    create_project(db, "sampled")
    a = import_store(db, "sampled", store, limit=5, sample_seed=7, segmenter=segmenter)
    assert a.imported == 5
    with pytest.raises(InputError, match="corpus store not found"):
        import_store(db, "sampled", tmp_path / "missing.duckdb")


def test_unknown_project(db) -> None:
    from stigmascope.errors import ConfigError

    with pytest.raises(ConfigError, match="no project named 'nope'.*p1"):
        import_file(db, "nope", DOCS)


def test_long_and_odd_records(db, tmp_path: Path, segmenter) -> None:
    create_project(db, "odd")
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "x" * 201, "text": "编号太长"},
        {"id": "ok1", "text": "长" * 100_001},
        {"id": 42, "text": "数字编号也可以", "date": "2024-03-05T08:00:00", "city": float("nan")},
        [1, 2, 3],
    ]) + "\n", encoding="utf-8")
    rep = import_file(db, "odd", path, segmenter=segmenter)
    assert rep.imported == 1 and rep.rejected == 3
    assert set(rep.reasons) == {"id longer than 200 characters", "text longer than 100,000 characters",
                                "not a JSON object"}
    with db.read() as s:
        d = s.scalar(select(Document).where(Document.ext_id == "42"))
    assert (d.date, d.city) == ("2024-03-05", None)
