"""Export: formats, columns, date format, PII scrubbing on by default."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from corpora.export import EXPORT_COLUMNS, export_documents
from corpora.ingest import ingest_paths
from stigmascope.errors import ConfigError

POSTS = [
    {"mid": "1", "text": "工地老板欠薪三个月，有同样情况的工友请联系13812345678，或者发邮件到 laowang@example.com",
     "created_at": "2023-05-01 09:30", "user": {"location": "广东 深圳"}},
    {"mid": "2", "text": "@工友之家 在成都的快递站干了两年，\n终于攒够了首付", "created_at": "2023-05-02",
     "user": {"location": "四川 成都"}},
    {"mid": "3", "text": "没有日期的一条：春节不回家，留在苏州加班", "user": {"location": "其他"}},
]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in POSTS), encoding="utf-8")
    out = tmp_path / "c.duckdb"
    rep = ingest_paths([src], db=out, field_map="text=text,id=mid,date=created_at,city=user.location,source='weibo'")
    assert rep.stored == 3
    return out


def test_jsonl_export_is_scrubbed_by_default(db: Path, tmp_path: Path) -> None:
    rep = export_documents(db, tmp_path / "out" / "docs.jsonl")
    assert (rep.rows, rep.format, rep.scrubbed) == (3, "jsonl", True)
    rows = [json.loads(line) for line in (tmp_path / "out" / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]  # by date, undated last
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    first = rows[0]
    assert "13812345678" not in first["text"] and "laowang@example.com" not in first["text"]
    assert first["text"].startswith("工地老板欠薪三个月")
    assert (first["date"], first["datetime"], first["city"], first["province"], first["city_source"],
            first["source"], first["dup_count"]) == ("2023-05-01", "2023-05-01T09:30:00", "深圳", "广东",
                                                     "metadata", "weibo", 1)
    assert rows[2]["date"] is None


def test_no_scrub_keeps_contacts(db: Path, tmp_path: Path) -> None:
    export_documents(db, tmp_path / "raw.jsonl", scrub=False)
    first = json.loads((tmp_path / "raw.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "13812345678" in first["text"]


def test_csv_export_round_trips_newlines(db: Path, tmp_path: Path) -> None:
    export_documents(db, tmp_path / "docs.csv")
    with open(tmp_path / "docs.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert rows[1]["text"] == "在成都的快递站干了两年，\n终于攒够了首付"
    assert rows[1]["date"] == "2023-05-02" and rows[1]["dup_count"] == "1"


def test_parquet_export(db: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    export_documents(db, tmp_path / "docs.parquet")
    table = pq.read_table(tmp_path / "docs.parquet")
    assert table.column_names == list(EXPORT_COLUMNS)
    assert table.column("date").to_pylist() == ["2023-05-01", "2023-05-02", None]
    assert table.column("city").to_pylist()[:2] == ["深圳", "成都"]


def test_unknown_suffix(db: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use a .jsonl, .csv or .parquet"):
        export_documents(db, tmp_path / "docs.xlsx")
    assert not list(tmp_path.glob("*.xlsx*"))
