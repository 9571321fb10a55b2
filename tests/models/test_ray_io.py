"""Inputs and outputs of Ray runs without a cluster: shard discovery, the output schema (same as local
``classify --out PRED.parquet``), Hive partitions that DuckDB reads, the read-back summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.docsio import PredictionWriter
from models.layout import LabelLayout
from models.ray_io import (
    Partitioning,
    check_output_dir,
    find_shards,
    prediction_schema,
    rows_to_table,
    summarise_output,
)
from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError


@pytest.fixture(scope="module")
def facets() -> list[tuple[str, str]]:
    return [(h.facet.output_key, h.facet.kind.value) for h in LabelLayout(load_taxonomy()).heads]


def _rows(facets: list[tuple[str, str]]) -> list[dict]:
    keys = LabelLayout(load_taxonomy()).keys
    kinds = dict(facets)
    base = {k: (False if v == "binary" else [] if v == "multi_label" else None) for k, v in kinds.items()}
    return [
        {"id": "w1", "date": "2024-05-01", "city": "深圳", "city_source": "metadata", **base, "relevant": True,
         "exclusion": ["employment"], "scores": {k: 0.25 for k in keys},
         "evidence": {"exclusion.employment": [{"start": 0, "end": 2, "text": "欠薪", "source": "lexicon"}]},
         "skip_reason": None},
        {"id": "w2", "date": None, "city": None, "city_source": "none", **base, "scores": {}, "evidence": {},
         "skip_reason": "prefilter: no migrant referent"},
        {"id": "w3", "date": "2024-05-31", "city": None, "city_source": "none", **base, "scores": {}, "evidence": {},
         "skip_reason": "empty text"},
        {"id": "w4", "date": "2023-12-31", "city": "北京", "city_source": "text", **base, "scores": {k: 0.5 for k in keys},
         "evidence": {}, "skip_reason": None},
    ]


@pytest.mark.parametrize("partitioning, date, key", [
    ("month", "2024-05-01", "2024-05"), ("day", "2024-05-01", "2024-05-01"), ("month", None, None),
    ("day", "", None), ("month", "2023-12-31", "2023-12"),
])
def test_partition_keys(partitioning: str, date: str | None, key: str | None) -> None:
    assert Partitioning(partitioning).key(date) == key


@given(st.dates())
def test_month_key_is_a_prefix_of_the_day_key(d) -> None:
    s = d.isoformat()
    assert Partitioning.day.key(s).startswith(Partitioning.month.key(s)) and len(Partitioning.month.key(s)) == 7


def test_schema_matches_local_parquet_output(facets: list[tuple[str, str]], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    rows = _rows(facets)
    with PredictionWriter(tmp_path / "local.parquet", facets) as w:
        for r in rows:
            w.write(r)
    local = pq.read_table(tmp_path / "local.parquet")
    table = rows_to_table(rows, facets)
    assert table.schema.equals(local.schema) and table.to_pylist() == local.to_pylist()
    with_part = rows_to_table(rows, facets, Partitioning.month)
    assert with_part.schema.names == local.schema.names + ["month"]
    assert with_part.column("month").to_pylist() == ["2024-05", None, "2024-05", "2023-12"]
    assert prediction_schema(facets, Partitioning.day).names[-1] == "day"


def test_partitioned_output_reads_back_in_duckdb_and_summary(facets: list[tuple[str, str]], tmp_path: Path) -> None:
    import duckdb
    import pyarrow.dataset as pads
    import pyarrow.fs as pafs

    table = rows_to_table(_rows(facets), facets, Partitioning.month)
    out = tmp_path / "pred"
    pads.write_dataset(table, out, format="parquet", partitioning=["month"], partitioning_flavor="hive")
    assert sorted(p.name for p in out.iterdir()) == ["month=2023-12", "month=2024-05", "month=__HIVE_DEFAULT_PARTITION__"]
    con = duckdb.connect()
    got = con.execute(f"SELECT id, month, date, scores['relevant'], json_extract_string(evidence, "
                      f"'$.\"exclusion.employment\"[0].text') FROM read_parquet('{out}/**/*.parquet', "
                      "hive_partitioning = true) ORDER BY id").fetchall()
    assert got == [("w1", "2024-05", "2024-05-01", 0.25, "欠薪"), ("w2", None, None, None, None),
                   ("w3", "2024-05", "2024-05-31", None, None), ("w4", "2023-12", "2023-12-31", 0.5, None)]
    con.close()
    s = summarise_output(pafs.LocalFileSystem(), str(out), gate="relevant")
    assert s == {"rows": 4, "relevant": 1, "skipped": 1, "empty": 1, "files": 3, "partitions": 3}


def test_find_shards_groups_by_format_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "2024" / "05").mkdir(parents=True)
    for name in ("a.jsonl", "2024/b.jsonl.gz", "2024/05/c.parquet", "d.ndjson", ".hidden.jsonl", "_SUCCESS",
                 "2024/_tmp.parquet", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    s = find_shards(str(tmp_path))
    assert [Path(p).name for p in s.jsonl] == ["b.jsonl.gz", "a.jsonl", "d.ndjson"]
    assert [Path(p).name for p in s.parquet] == ["c.parquet"] and s.count == 4
    assert find_shards(str(tmp_path / "a.jsonl")).jsonl == [str(tmp_path / "a.jsonl")]


@pytest.mark.parametrize("name, message", [
    ("feed.csv", "JSON Lines .* or Parquet"),
    ("missing.jsonl", "input not found"),
])
def test_find_shards_rejects(tmp_path: Path, name: str, message: str) -> None:
    if name.endswith(".csv"):
        (tmp_path / name).write_text("id,text\n1,农民工\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        find_shards(str(tmp_path / name))


def test_find_shards_names_what_it_found_in_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"no \.jsonl or \.parquet shards.*found only feed\.csv"):
        find_shards(str(tmp_path))


def test_output_dir_must_be_absent_or_empty(tmp_path: Path) -> None:
    check_output_dir(str(tmp_path / "new"))
    (tmp_path / "empty").mkdir()
    check_output_dir(str(tmp_path / "empty"))
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "_stigmascope_run.json").write_text(json.dumps({"rows": 1}))
    with pytest.raises(InputError, match="not empty.*duplicate"):
        check_output_dir(str(tmp_path / "used"))
    (tmp_path / "file.parquet").write_bytes(b"x")
    with pytest.raises(InputError, match="must be a directory"):
        check_output_dir(str(tmp_path / "file.parquet"))


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="cannot open 'nosuchfs://bucket/x'"):
        find_shards("nosuchfs://bucket/x")
