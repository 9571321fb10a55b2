"""``classify`` end to end (file in, file and store out) and the ``train``/``classify`` CLI commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from models.classify import classify
from models.infer import InferConfig
from stigmascope.cli import build_app
from stigmascope.errors import InputError

DOCS = [
    {"id": "n1", "text": "随迁子女入学难，家长为凑齐五证跑了一个多月。", "date": "2024-05-01", "city": "北京"},
    {"id": "n2", "text": "新款手机发布会定在下周三。", "date": "2024-05-02"},
    {"id": "n3", "text": "", "date": "2024-05-03"},
]


@pytest.fixture()
def feed(tmp_path: Path) -> Path:
    p = tmp_path / "feed.jsonl"
    p.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS), encoding="utf-8")
    return p


def test_classify_file_to_jsonl_and_store(fast_model: Path, feed: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "pred.jsonl", tmp_path / "store.duckdb"
    s = classify(feed, out=out, model=fast_model, db=db, config=InferConfig(backend="torch"), progress=False)
    assert s["docs"] == 3 and s["skipped"] == 1 and s["empty"] == 1 and s["model_id"].startswith("fast-")
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["n1", "n2", "n3"]
    assert rows[0]["city"] == "北京" and rows[0]["date"] == "2024-05-01"
    con = duckdb.connect(str(db))
    got = con.execute("SELECT doc_id, model, relevant, skip_reason, scores IS NULL FROM predictions "
                      "ORDER BY doc_id").fetchall()
    assert got == [("n1", s["model_id"], rows[0]["relevant"], None, False),
                   ("n2", s["model_id"], False, "prefilter: no migrant referent", True),
                   ("n3", s["model_id"], False, "empty text", True)]
    labels = con.execute("SELECT labels FROM predictions WHERE doc_id = 'n1'").fetchone()[0]
    expected = [f"stereotype.{x}" for x in rows[0]["stereotype"]] + [f"exclusion.{x}" for x in rows[0]["exclusion"]] + \
        [f"practice.{x}" for x in rows[0]["practice"]] + ([f"stance.{rows[0]['stance']}"] if rows[0]["stance"] else [])
    assert labels == expected
    con.close()


def test_classify_store_documents_incrementally(fast_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE documents (id VARCHAR PRIMARY KEY, text VARCHAR, date DATE, city VARCHAR, "
                "city_source VARCHAR)")
    for d in DOCS:
        con.execute("INSERT INTO documents VALUES (?, ?, ?, ?, 'metadata')", [d["id"], d["text"], d["date"], d.get("city")])
    con.close()
    first = classify(None, db=db, model=fast_model, progress=False, config=InferConfig(evidence=False))
    again = classify(None, db=db, model=fast_model, progress=False, config=InferConfig(evidence=False))
    forced = classify(None, db=db, model=fast_model, progress=False, force=True, config=InferConfig(evidence=False))
    assert (first["docs"], again["docs"], forced["docs"]) == (3, 0, 3)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM predictions").fetchone()[0] == 3
    con.close()


def test_classify_parquet_output(fast_model: Path, feed: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "pred.parquet"
    classify(feed, out=out, model=fast_model, progress=False, config=InferConfig(evidence=False))
    t = pq.read_table(out)
    assert t.num_rows == 3 and {"relevant", "stereotype", "stance", "scores", "evidence", "skip_reason"} <= set(t.column_names)


def test_classify_argument_errors(fast_model: Path, feed: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere to write"):
        classify(feed, model=fast_model, progress=False)
    with pytest.raises(InputError, match="nothing to classify"):
        classify(None, out=tmp_path / "x.jsonl", model=fast_model, progress=False)
    with pytest.raises(InputError, match="must end in .jsonl or .parquet"):
        classify(feed, out=tmp_path / "x.csv", model=fast_model, progress=False)


def test_cli_classify_and_train(fast_model: Path, feed: Path, tmp_path: Path, mini_corpus: Path) -> None:
    runner = CliRunner()
    app = build_app()
    out = tmp_path / "cli.jsonl"
    res = runner.invoke(app, ["classify", str(feed), "--model", str(fast_model), "--out", str(out), "--no-evidence",
                              "--backend", "torch", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "3 documents classified" in res.output
    assert all(json.loads(x)["evidence"] == {} for x in out.read_text(encoding="utf-8").splitlines())
    res = runner.invoke(app, ["train", "--data", str(mini_corpus), "--preset", "baseline", "--out",
                              str(tmp_path / "b"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b" / "metrics.json").exists() and "test macro-F1" in res.output


def test_cli_errors_are_one_line(tmp_path: Path, feed: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "stigmascope", "classify", str(feed), "--model",
                           str(tmp_path / "nope"), "--out", str(tmp_path / "x.jsonl")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "model directory not found" in err[0] and "stigmascope train" in err[0]
