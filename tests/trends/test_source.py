"""One reader for every prediction source: store, JSON Lines, Parquet, Parquet shards by date."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError
from trends.config import PlaceLevel, Weight
from trends.source import SourceKind, detect_kind, load_predictions

TAX = load_taxonomy()


def _docs(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT doc_id, date, place, w, relevant, scored, list_sort(labels) FROM tr_docs "
                       "ORDER BY doc_id").fetchall()


def _long(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT doc_id, key, decided, round(score, 4) FROM tr_long ORDER BY doc_id, key").fetchall()


def _load(source: Path, **kw) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    return con, load_predictions(con, source, taxonomy=TAX, **kw)


def test_store_jsonl_parquet_and_shards_give_the_same_tables(store: Path, pred_jsonl: Path, tmp_path: Path) -> None:
    """The same predictions read from four kinds of source land in identical tr_docs / tr_long rows."""
    import pyarrow.parquet as pq

    con_s, info_s = _load(store)
    con_j, info_j = _load(pred_jsonl)
    # the JSONL → Parquet written by the classify writer, and Parquet shards partitioned by date (Ray engine)
    con_tmp = duckdb.connect()
    single = tmp_path / "pred.parquet"
    rows = con_tmp.execute(f"SELECT * FROM read_json('{pred_jsonl}', format='newline_delimited')").fetchall()
    con_tmp.execute(f"COPY (SELECT * FROM read_json('{pred_jsonl}', format='newline_delimited', "
                    "columns={'id':'VARCHAR','date':'VARCHAR','city':'VARCHAR','city_source':'VARCHAR','relevant':'BOOLEAN',"
                    "'stereotype':'VARCHAR[]','exclusion':'VARCHAR[]','practice':'VARCHAR[]','stance':'VARCHAR',"
                    "'scores':'MAP(VARCHAR, DOUBLE)','evidence':'JSON','skip_reason':'VARCHAR'})) "
                    f"TO '{single}' (FORMAT parquet)")
    shards = tmp_path / "shards"
    con_tmp.execute(f"COPY (SELECT * EXCLUDE (date), TRY_CAST(date AS DATE) AS date FROM read_parquet('{single}') "
                    f"WHERE date IS NOT NULL) TO '{shards}' (FORMAT parquet, PARTITION_BY (date))")
    assert pq.ParquetFile(single).metadata.num_rows == len(rows)
    con_p, info_p = _load(single)
    con_d, info_d = _load(shards)
    assert (info_s.kind, info_j.kind, info_p.kind, info_d.kind) == (
        SourceKind.store, SourceKind.jsonl, SourceKind.parquet, SourceKind.parquet_dir)
    docs = _docs(con_j)
    assert docs == _docs(con_p)
    assert _long(con_j) == _long(con_p)
    # the shards hold only dated documents; so does tr_docs
    assert _docs(con_d) == docs
    # the store folded the feed's repeated story (tr-032) into tr-022 at ingestion; otherwise identical
    assert [d for d in docs if d[0] != "tr-032"] == _docs(con_s)
    assert [r for r in _long(con_j) if r[0] != "tr-032"] == _long(con_s)
    assert (info_j.n_rows, info_j.n_dated, info_j.n_excluded) == (32, 31, 1)
    assert (info_s.n_rows, info_s.n_dated, info_s.n_excluded) == (31, 30, 1)
    assert info_s.has_text and not info_j.has_text
    assert info_s.model_id and info_s.models_available == [info_s.model_id]


def test_long_table_has_the_gate_for_scored_and_every_key_for_relevant_documents(store: Path) -> None:
    con, info = _load(store)
    n_scored, n_relevant = con.execute("SELECT count(*) FILTER (WHERE scored), count(*) FILTER (WHERE relevant) "
                                       "FROM tr_docs").fetchone()
    per_key = dict(con.execute("SELECT key, count(*) FROM tr_long GROUP BY key").fetchall())
    assert per_key["relevant"] == n_scored
    assert all(per_key[k] == n_relevant for k in info.gated_keys)
    assert set(per_key) == set(TAX.score_keys())
    # decisions in the long table agree with the documents' labels
    bad = con.execute("SELECT count(*) FROM tr_long l JOIN tr_docs d USING (doc_id) WHERE l.key <> 'relevant' "
                      "AND l.decided <> list_contains(d.labels, l.key)").fetchone()[0]
    assert bad == 0


def test_excluded_documents_keep_their_reason(make_row, write_preds, tmp_path: Path) -> None:
    rows = [make_row("a", "2023-01-02", "北京", relevant=False),
            make_row("b", None, "北京", relevant=False),
            make_row("c", "2023-13-45", "上海", relevant=False),
            make_row("d", "2023-02-01", None, relevant=False)]
    con, info = _load(write_preds(tmp_path / "p.jsonl", rows))
    assert (info.n_rows, info.n_dated, info.n_excluded) == (4, 2, 2)
    excluded = dict(con.execute("SELECT doc_id, reason FROM tr_excluded").fetchall())
    assert excluded == {"b": "no date", "c": "unparseable date 2023-13-45"}
    assert dict(con.execute("SELECT doc_id, place FROM tr_docs").fetchall()) == {"a": "北京", "d": "未知"}


def test_province_comes_from_the_gazetteer_when_the_file_has_none(make_row, write_preds, tmp_path: Path) -> None:
    rows = [make_row("a", "2023-01-02", "深圳", relevant=False), make_row("b", "2023-01-03", "广州", relevant=False),
            make_row("c", "2023-01-04", "北京", relevant=False), make_row("d", "2023-01-05", None, relevant=False)]
    con, _ = _load(write_preds(tmp_path / "p.jsonl", rows), by=PlaceLevel.province)
    assert dict(con.execute("SELECT doc_id, place FROM tr_docs").fetchall()) == {
        "a": "广东", "b": "广东", "c": "北京", "d": "未知"}


def test_store_weights_by_dup_count(store: Path) -> None:
    con, _ = _load(store, weight=Weight.dup_count)
    weights = dict(con.execute("SELECT doc_id, w FROM tr_docs").fetchall())
    assert weights["tr-022"] == 2.0  # the fixture feed repeats this story once
    assert sum(weights.values()) == len(weights) + 1


def test_dup_count_weight_needs_the_column(make_row, write_preds, tmp_path: Path) -> None:
    path = write_preds(tmp_path / "p.jsonl", [make_row("a", "2023-01-02", "北京", relevant=False)])
    with pytest.raises(InputError, match="dup_count"):
        _load(path, weight=Weight.dup_count)


def test_labels_outside_the_taxonomy_are_refused_with_the_document(make_row, write_jsonl, tmp_path: Path) -> None:
    row = make_row("doc-7", "2023-01-02", "北京", relevant=True, labels=["stereotype.dirt"],
                   scores={"relevant": 0.9, "stereotype.dirt": 0.8})
    row["stereotype"] = ["smell"]
    with pytest.raises(InputError, match=r"doc-7.*stereotype\.smell"):
        _load(write_jsonl(tmp_path / "p.jsonl", [row]))


@pytest.mark.parametrize("name, content, message", [
    ("p.txt", "hello", "unknown predictions format"),
    ("p.jsonl", '{"id": "a", "text": "农民工"}\n', "not a classify output"),
    ("p.jsonl", "{not json\n", "cannot read predictions"),
])
def test_bad_sources_raise_a_clear_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        _load(path)
    assert str(path) in str(err.value)


def test_missing_source_and_empty_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        detect_kind(tmp_path / "nothing.jsonl")
    from corpora.store import open_store

    db = tmp_path / "empty.duckdb"
    open_store(db).close()
    with pytest.raises(InputError, match="no predictions"):
        _load(db)
