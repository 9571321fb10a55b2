"""Reading documents to classify and writing predictions: JSONL, CSV, Parquet, and the DuckDB store."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models.docsio import PREDICTIONS_DDL, PredictionWriter, read_documents, read_store_documents, write_store_predictions
from stigmascope.errors import InputError

ROWS = [
    {"id": "a1", "text": "农民工讨薪难", "date": "2024-03-01", "city": "广州", "source": "weibo"},
    {"id": "a2", "text": "城中村清退", "date": None, "city": None, "source": None},
]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_read_formats(tmp_path: Path, fmt: str) -> None:
    p = tmp_path / f"in.{fmt}"
    if fmt == "jsonl":
        _write_jsonl(p, ROWS)
    elif fmt == "csv":
        p.write_text("id,text,date,city\na1,农民工讨薪难,2024-03-01,广州\na2,城中村清退,,\n", encoding="utf-8")
    else:
        pq.write_table(pa.table({"id": ["a1", "a2"], "text": ["农民工讨薪难", "城中村清退"],
                                 "date": ["2024-03-01", None], "city": ["广州", None]}), p)
    docs = list(read_documents(p))
    assert [d["id"] for d in docs] == ["a1", "a2"]
    assert docs[0]["text"] == "农民工讨薪难" and docs[0]["city"] == "广州" and docs[0]["date"] == "2024-03-01"
    assert docs[1]["city"] is None and docs[1]["date"] is None


def test_bad_inputs(tmp_path: Path) -> None:
    p = _write_jsonl(tmp_path / "in.jsonl", ROWS)
    p.write_text(p.read_text(encoding="utf-8") + '{"text": "no id"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"in.jsonl:3 field 'id'"):
        list(read_documents(p))
    p.write_text('{"id": "x", "content": "wrong column"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"no 'text' column .*content"):
        list(read_documents(p))
    p.write_text('{"id": "x", "text": "ok"}\n{broken\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"in.jsonl:2: not valid JSON"):
        list(read_documents(p))
    c = tmp_path / "in.csv"
    c.write_text("doc,body\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'id' column"):
        list(read_documents(c))
    with pytest.raises(InputError, match="unknown input format"):
        list(read_documents(_write_jsonl(tmp_path / "x.txt", ROWS)))
    with pytest.raises(InputError, match="input file not found"):
        list(read_documents(tmp_path / "missing.jsonl"))


def test_missing_text_becomes_empty(tmp_path: Path) -> None:
    p = _write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "民工"}, {"id": 2, "text": None}, {"id": 3}])
    docs = list(read_documents(p))
    assert [d["id"] for d in docs] == ["1", "2", "3"] and [d["text"] for d in docs] == ["民工", "", ""]


PRED = {"id": "a1", "date": "2024-03-01", "city": "广州", "city_source": "metadata", "relevant": True,
        "stereotype": ["dirt"], "exclusion": [], "practice": [], "stance": "stigmatizing",
        "scores": {"relevant": 0.9, "stereotype.dirt": 0.7}, "evidence": {"stereotype.dirt": [
            {"start": 0, "end": 1, "text": "脏", "source": "lexicon"}]}, "skip_reason": None}
SKIPPED = {"id": "a2", "date": None, "city": None, "city_source": "none", "relevant": False, "stereotype": [],
           "exclusion": [], "practice": [], "stance": None, "scores": {}, "evidence": {},
           "skip_reason": "prefilter: no migrant referent"}
FACETS = [("relevant", "binary"), ("stereotype", "multi_label"), ("exclusion", "multi_label"),
          ("practice", "multi_label"), ("stance", "single_label")]


def test_prediction_writer_parquet_and_jsonl(tmp_path: Path) -> None:
    with PredictionWriter(tmp_path / "p.parquet", FACETS) as w:
        w.write(PRED)
        w.write(SKIPPED)
    t = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert t[0]["stereotype"] == ["dirt"] and t[0]["stance"] == "stigmatizing" and t[0]["relevant"] is True
    assert dict(t[0]["scores"]) == {"relevant": 0.9, "stereotype.dirt": 0.7}
    assert json.loads(t[0]["evidence"])["stereotype.dirt"][0]["text"] == "脏"
    assert t[1]["skip_reason"] == "prefilter: no migrant referent" and t[1]["scores"] == []
    with PredictionWriter(tmp_path / "p.jsonl", FACETS) as w:
        w.write(PRED)
    assert json.loads((tmp_path / "p.jsonl").read_text(encoding="utf-8")) == PRED
    with pytest.raises(InputError, match="must end in .jsonl or .parquet"):
        PredictionWriter(tmp_path / "p.csv", FACETS)


def test_store_write_and_incremental_read(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE documents (id VARCHAR PRIMARY KEY, text VARCHAR, date DATE, city VARCHAR, "
                "city_source VARCHAR, source VARCHAR)")
    con.execute("INSERT INTO documents VALUES ('a1', '农民工讨薪难', '2024-03-01', '广州', 'metadata', 'weibo'), "
                "('a2', '今天天气好', NULL, NULL, 'none', 'news')")
    docs = list(read_store_documents(con, model_id="m1"))
    assert [d["id"] for d in docs] == ["a1", "a2"] and docs[0]["city_source"] == "metadata"
    n = write_store_predictions(con, [PRED, SKIPPED], label_keys=[["stereotype.dirt", "stance.stigmatizing"], []],
                                model_id="m1", run_id="r1")
    assert n == 2
    rows = con.execute("SELECT doc_id, relevant, skip_reason, labels, scores['stereotype.dirt'], scores, "
                       "json_extract_string(evidence, '$.\"stereotype.dirt\"[0].text') FROM predictions "
                       "ORDER BY doc_id").fetchall()
    assert rows[0][:5] == ("a1", True, None, ["stereotype.dirt", "stance.stigmatizing"], 0.7)
    assert rows[0][6] == "脏"
    assert rows[1][1] is False and rows[1][2] == "prefilter: no migrant referent" and rows[1][5] is None
    assert list(read_store_documents(con, model_id="m1")) == []
    assert len(list(read_store_documents(con, model_id="m2"))) == 2
    write_store_predictions(con, [PRED], label_keys=[[]], model_id="m1", run_id="r2")  # replaces, no duplicate
    assert con.execute("SELECT count(*), max(run_id) FROM predictions").fetchone() == (2, "r2")
    con.close()


def test_store_without_documents(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    con.execute(PREDICTIONS_DDL)
    with pytest.raises(InputError, match="no 'documents' table"):
        list(read_store_documents(con))
