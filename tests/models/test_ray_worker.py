"""The Ray actor class run in-process (no cluster): same rows as the local engine for JSON-line and
Parquet batches, bad lines named, and the shipped model written once per node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.infer import Engine, InferConfig
from models.ray_io import Partitioning
from models.ray_worker import ClassifyActor, materialise_model, pack_model_dir
from stigmascope.errors import InputError

DOCS = [
    {"id": "a1", "text": "十几名农民工讨薪无果，包工头已经拖欠工资半年。", "date": "2024-01-05", "city": "深圳"},
    {"id": "a2", "text": "市气象台发布暴雨黄色预警，提醒市民减少外出。", "date": "2024-02-06"},
    {"id": "a3", "text": "   "},
    {"id": 7, "text": "外地人素质太低了，在地铁上随地吐痰。", "city_source": "text"},
]


def _actor(model: Path, kind: str) -> ClassifyActor:
    return ClassifyActor(model=str(model), shipped=None, model_id="m", taxonomy=None,
                         infer={"backend": "torch", "evidence": False}, input_kind=kind, partitioning="month")


@pytest.fixture(scope="module")
def expected(fast_model: Path) -> list[dict]:
    return list(Engine.load(fast_model, InferConfig(backend="torch", evidence=False)).classify(DOCS))


def _strip(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        r = {k: v for k, v in r.items() if k != "month"}
        r["scores"] = dict(r["scores"])
        r["evidence"] = json.loads(r["evidence"])
        out.append(r)
    return out


def test_jsonl_batch_gives_the_engine_rows(fast_model: Path, expected: list[dict]) -> None:
    import pyarrow as pa

    lines = ["\ufeff" + json.dumps(DOCS[0], ensure_ascii=False), "   "] + [json.dumps(d, ensure_ascii=False) for d in DOCS[1:]]
    batch = pa.table({"text": lines, "path": ["/data/a.jsonl"] * len(lines)})
    got = _actor(fast_model, "jsonl")(batch)
    assert got.column("month").to_pylist() == ["2024-01", "2024-02", None, None]
    assert _strip(got.to_pylist()) == expected


def test_parquet_batch_gives_the_engine_rows(fast_model: Path, expected: list[dict]) -> None:
    import pyarrow as pa

    rows = [{"id": str(d["id"]), "text": d["text"], "date": d.get("date"), "city": d.get("city"),
             "city_source": d.get("city_source"), "path": "/data/p.parquet"} for d in DOCS]
    got = _actor(fast_model, "parquet")(pa.Table.from_pylist(rows))
    assert _strip(got.to_pylist()) == expected


@pytest.mark.parametrize("line, message", [
    ('{"id": "1", "text": "农民工"', r"b\.jsonl: not valid JSON .* in line starting"),
    ('["not", "an", "object"]', r"b\.jsonl: expected a JSON object per line"),
    ('{"text": "外来务工人员"}', r"b\.jsonl field 'id': record has no id"),
])
def test_bad_lines_name_the_file(fast_model: Path, line: str, message: str) -> None:
    import pyarrow as pa

    with pytest.raises(InputError, match=message):
        _actor(fast_model, "jsonl")(pa.table({"text": [line], "path": ["/data/b.jsonl"]}))


def test_shipped_model_is_written_once_and_loads(fast_model: Path, tmp_path: Path) -> None:
    files = pack_model_dir(fast_model)
    assert "config.json" in files and "model.safetensors" in files
    first = materialise_model(files, "fast-x", root=tmp_path)
    stamp = (first / "config.json").stat().st_mtime_ns
    again = materialise_model(files, "fast-x", root=tmp_path)
    assert again == first and (first / "config.json").stat().st_mtime_ns == stamp
    assert {p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file()} == set(files)
    rows = list(Engine.load(first, InferConfig(backend="torch", evidence=False)).classify(DOCS[:1]))
    assert rows[0]["id"] == "a1" and rows[0]["scores"]
    # a different model directory (changed bytes) gets its own copy
    changed = {**files, "README.md": b"changed"}
    assert materialise_model(changed, "fast-x", root=tmp_path) != first
    assert Partitioning.month.key(rows[0]["date"]) == "2024-01"
