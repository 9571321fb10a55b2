"""Classification on Ray (local instance, loopback, tiny test model): same rows as local ``classify``,
Hive partitions that DuckDB reads, exactly-once output after a worker is killed, clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")

from models.classify import classify
from models.infer import InferConfig
from models.ray_engine import classify_with_ray
from models.ray_worker import CRASH_ENV, MODEL_CACHE_ENV
from stigmascope.errors import InputError

pytestmark = pytest.mark.ray

# Records that exercise the reader: a date with a time zone, ints as ids, no date, an empty text,
# a datetime object in Parquet, a line with a byte-order mark, blank lines between records.
EXTRA = [
    {"id": 9001, "text": "工地包工头拖欠农民工工资大半年，几十名工人到劳动监察大队讨薪。", "date": "2024-03-01T01:30:00+08:00",
     "city": "深圳"},
    {"id": "x-2", "text": "外地人素质太低了，在地铁上随地吐痰，真让人受不了。", "date": None, "city": None, "city_source": "text"},
    {"id": "x-3", "text": "", "date": "2024-03-09"},
    {"id": "x-4", "text": "新款手机发布会定在下周三，预售价格还没公布。"},
    {"id": "x-5", "text": "随迁子女入学难，进城务工人员为凑齐材料跑了一个多月。", "date": "2023-12-31", "city": "北京",
     "source": "news"},
]


def _docs(mini_corpus: Path) -> list[dict[str, Any]]:
    docs = []
    for line in mini_corpus.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.append({k: r.get(k) for k in ("id", "text", "date", "city", "source")})
    return docs + EXTRA


def _write_jsonl(path: Path, docs: list[dict[str, Any]], *, bom: bool = False, blank: bool = False) -> Path:
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    text = ("\n\n  \n" if blank else "\n").join(lines) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_local_instance_is_started_and_stopped(fast_model: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil
    import ray

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    assert not ray.is_initialized()  # this test runs before the module's shared instance starts
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    src = _write_jsonl(tmp_path / "feed.jsonl", EXTRA)
    s = classify_with_ray(src, tmp_path / "pred", model=fast_model, workers=1, backend="torch", progress=False)
    assert s.address == "local" and s.rows == len(EXTRA) and s.cpus_per_worker >= 1
    assert not ray.is_initialized()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []


@pytest.fixture(scope="module")
def cluster():
    """A local Ray instance in this process (127.0.0.1, 3 logical CPUs, no token auth, its files in a
    temporary folder), which :func:`classify_with_ray` reuses; shut down after the module.

    Yields:
        The instance's GCS address (another process can join it with ``address=``).
    """
    import shutil
    import tempfile

    import ray

    temp = tempfile.mkdtemp(prefix="ray-test-")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_AUTH_MODE", "disabled")
        mp.setenv(MODEL_CACHE_ENV, os.path.join(temp, "models"))  # shipped models land here, removed below
        ray.init(num_cpus=3, include_dashboard=False, _temp_dir=temp, _node_ip_address="127.0.0.1",
                 object_store_memory=300 * 1024 * 1024, log_to_driver=False,
                 runtime_env={"env_vars": {k: v for k, v in os.environ.items() if k.startswith("STIGMASCOPE_")}})
        try:
            yield ray.get_runtime_context().gcs_address
        finally:
            ray.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


def _read_out(out: Path) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect()
    cur = con.execute(f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) ORDER BY id")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    con.close()
    return rows


def _assert_same(ray_rows: list[dict[str, Any]], local_rows: list[dict[str, Any]]) -> None:
    assert len(ray_rows) == len(local_rows)
    for got, want in zip(sorted(ray_rows, key=lambda r: r["id"]), sorted(local_rows, key=lambda r: r["id"])):
        for key, value in want.items():
            if key == "scores":
                assert set(got["scores"]) == set(value), got["id"]
                for k, p in value.items():
                    assert got["scores"][k] == pytest.approx(p, abs=1e-4), (got["id"], k)
            elif key == "evidence":
                assert json.loads(got["evidence"]) == value, got["id"]
            else:
                assert got[key] == value, (got["id"], key)


@pytest.mark.slow
def test_rows_identical_to_local_classify(fast_model: Path, mini_corpus: Path, cluster: str, tmp_path: Path) -> None:
    docs = _docs(mini_corpus)
    shards = tmp_path / "shards"
    shards.mkdir()
    _write_jsonl(shards / "a.jsonl", docs[:30], bom=True)
    _write_jsonl(shards / "b.jsonl", docs[30:], blank=True)
    (shards / "_SUCCESS").write_text("")
    whole = _write_jsonl(tmp_path / "all.jsonl", docs)
    local_out = tmp_path / "local.jsonl"
    local = classify(whole, out=local_out, model=fast_model, config=InferConfig(backend="torch", evidence=True),
                     progress=False)
    s = classify_with_ray(shards, tmp_path / "pred", model=fast_model, address=cluster, workers=2, batch_size=7,
                          backend="torch", evidence=True, progress=False)
    local_rows = [json.loads(x) for x in local_out.read_text(encoding="utf-8").splitlines()]
    ray_rows = _read_out(tmp_path / "pred")
    _assert_same(ray_rows, local_rows)
    assert (s.rows, s.relevant, s.skipped, s.empty) == (local["docs"], local["relevant"], local["skipped"],
                                                        local["empty"]) == (65, local["relevant"], local["skipped"], 1)
    assert s.relevant > 0 and s.skipped > 0 and s.input_files == 2 and s.workers == 2
    assert s.relevant_share == pytest.approx(s.relevant / 65, abs=1e-5)
    assert s.rows_per_s_per_worker == pytest.approx(s.rows_per_s / 2, abs=0.1)
    # the actors' busy time comes from Ray Data's stats: less than two workers' share of the wall time
    assert 0 < s.busy_seconds <= 2 * s.seconds and s.rows_per_busy_worker_s > s.rows_per_s_per_worker
    assert s.model_id == local["model_id"] and s.backend == "torch"
    # the manifest repeats the summary; the tz-aware date keeps its local calendar day, as in local classify
    manifest = json.loads((tmp_path / "pred" / "_stigmascope_run.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == 65 and manifest["run_id"] == s.run_id
    assert next(r for r in ray_rows if r["id"] == "9001")["date"] == "2024-03-01"


def test_partitions_by_month_and_duckdb_reads_them(fast_model: Path, mini_corpus: Path, cluster: str,
                                                   tmp_path: Path) -> None:
    import duckdb

    docs = _docs(mini_corpus)
    src = _write_jsonl(tmp_path / "feed.jsonl", docs)
    out = tmp_path / "pred"
    s = classify_with_ray(src, out, model=fast_model, address=cluster, workers=1, batch_size=16, backend="torch",
                          progress=False)
    months = {d["date"][:7] for d in docs if d.get("date")}
    dirs = {p.name for p in out.iterdir() if p.is_dir()}
    assert dirs == {f"month={m}" for m in months} | {"month=__HIVE_DEFAULT_PARTITION__"}
    assert s.partitions == len(dirs) and s.files >= len(dirs) and s.partitioning == "month"
    con = duckdb.connect()
    types = {r[0]: r[1] for r in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)").fetchall()}
    assert types["date"] == "VARCHAR" and types["scores"] == "MAP(VARCHAR, DOUBLE)"
    assert types["stereotype"] == "VARCHAR[]" and types["relevant"] == "BOOLEAN" and types["month"] == "VARCHAR"
    by_month = dict(con.execute(f"SELECT month, count(*) FROM read_parquet('{out}/**/*.parquet', "
                                "hive_partitioning = true) GROUP BY month").fetchall())
    undated = sum(1 for d in docs if not d.get("date"))
    assert by_month[None] == undated and sum(by_month.values()) == len(docs)
    # a month's rows carry their own date; the partition only prunes
    assert con.execute(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
                       "WHERE month = '2024-03' AND date NOT LIKE '2024-03-%'").fetchone()[0] == 0
    con.close()


@pytest.mark.slow
def test_parquet_and_jsonl_shards_same_rows_as_local(fast_model: Path, mini_corpus: Path, cluster: str,
                                                     tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = [{"id": str(d["id"]), "text": d["text"], "city": d.get("city"),
             "date": dt.date.fromisoformat(d["date"][:10]) if d.get("date") else None, "extra": 1}
            for d in _docs(mini_corpus)]
    shards = tmp_path / "shards" / "year=2024"  # a Hive-style folder in the input adds no column
    shards.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(docs[:40]), shards / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(docs[40:55]), shards / "part-1.parquet")
    _write_jsonl(shards / "rest.jsonl", [{**d, "date": str(d["date"]) if d["date"] else None} for d in docs[55:]])
    pq.write_table(pa.Table.from_pylist(docs[:55]), tmp_path / "all.parquet")
    local_rows = []
    for src in (tmp_path / "all.parquet", shards / "rest.jsonl"):
        out = tmp_path / f"local-{src.stem}.jsonl"
        classify(src, out=out, model=fast_model, config=InferConfig(backend="torch", evidence=False), progress=False)
        local_rows += [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    s = classify_with_ray(tmp_path / "shards", tmp_path / "pred", model=fast_model, address=cluster, workers=2,
                          batch_size=9, backend="torch", progress=False)
    assert s.input_files == 3 and s.rows == len(docs)
    ray_rows = _read_out(tmp_path / "pred")
    assert "year" not in ray_rows[0] and "extra" not in ray_rows[0]
    _assert_same(ray_rows, local_rows)


@pytest.mark.slow
def test_killed_worker_is_retried_and_every_row_written_once(fast_model: Path, mini_corpus: Path, cluster: str,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    base = _docs(mini_corpus)
    docs = [{**d, "id": f"{i}-{d['id']}"} for i in range(8) for d in base]  # 520 documents
    src = tmp_path / "shards"
    src.mkdir()
    for k in range(4):
        _write_jsonl(src / f"s{k}.jsonl", docs[k::4])
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ENV, str(marker))  # the first batch's actor SIGKILLs itself
    s = classify_with_ray(src, tmp_path / "pred", model=fast_model, address=cluster, workers=2, batch_size=10,
                          backend="torch", progress=False)
    assert marker.exists()
    killed = int(marker.read_text())
    assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == psutil.STATUS_ZOMBIE
    ids = [r["id"] for r in _read_out(tmp_path / "pred")]
    assert len(ids) == len(set(ids)) == s.rows == len(docs)
    assert set(ids) == {d["id"] for d in docs}


def test_bad_record_names_its_file(fast_model: Path, cluster: str, tmp_path: Path) -> None:
    src = tmp_path / "shards"
    src.mkdir()
    _write_jsonl(src / "good.jsonl", [{"id": "1", "text": "农民工讨薪"}])
    _write_jsonl(src / "bad.jsonl", [{"text": "没有编号的记录，外来务工人员"}])
    with pytest.raises(InputError, match=r"bad\.jsonl.*field 'id'.*unique id"):
        classify_with_ray(src, tmp_path / "pred", model=fast_model, address=cluster, workers=1, backend="torch",
                          progress=False)


@pytest.mark.parametrize("setup, message", [
    ("nonempty_out", "not empty"),
    ("csv_input", "JSON Lines"),
    ("empty_dir", "no .jsonl or .parquet shards"),
    ("missing", "input not found"),
])
def test_refuses_bad_arguments_before_starting(fast_model: Path, tmp_path: Path, setup: str, message: str) -> None:
    src = _write_jsonl(tmp_path / "feed.jsonl", [{"id": "1", "text": "农民工讨薪"}])
    out = tmp_path / "pred"
    if setup == "nonempty_out":
        out.mkdir()
        (out / "old.parquet").write_bytes(b"x")
    elif setup == "csv_input":
        src = tmp_path / "feed.csv"
        src.write_text("id,text\n1,农民工讨薪\n", encoding="utf-8")
    elif setup == "empty_dir":
        src = tmp_path / "nothing"
        src.mkdir()
        (src / "notes.txt").write_text("x")
    else:
        src = tmp_path / "absent"
    with pytest.raises(InputError, match=message):
        classify_with_ray(src, out, model=fast_model, workers=1, progress=False)
    assert [p.name for p in out.iterdir()] == ["old.parquet"] if setup == "nonempty_out" else not out.exists()


@pytest.mark.slow
def test_joins_a_running_cluster_from_another_process(fast_model: Path, cluster: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    src = _write_jsonl(tmp_path / "feed.jsonl", EXTRA)
    code = ("import json, sys; from models.ray_engine import classify_with_ray; "
            "s = classify_with_ray(sys.argv[1], sys.argv[2], model=sys.argv[3], address=sys.argv[4], workers=1, "
            "backend='torch', progress=False); print(json.dumps(s.to_dict()))")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", MODEL_CACHE_ENV: str(tmp_path / "models")}
    done = subprocess.run([sys.executable, "-c", code, str(src), str(tmp_path / "pred"), str(fast_model), cluster],
                          check=False, capture_output=True, text=True, env=env, timeout=300, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    s = json.loads(done.stdout.strip().splitlines()[-1])
    assert s["address"] == cluster and s["rows"] == len(EXTRA) and s["workers"] == 1
    assert {r["id"] for r in _read_out(tmp_path / "pred")} == {str(d["id"]) for d in EXTRA}
    # the model went through the object store (joining a cluster ships it by default) to the node's cache
    assert [p.name.split("-")[0] for p in (tmp_path / "models").iterdir() if not p.name.startswith(".")] == ["fast"]


def test_without_ray_the_error_says_what_to_install(fast_model: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from stigmascope.errors import ConfigError

    src = _write_jsonl(tmp_path / "feed.jsonl", EXTRA[:1])
    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without the extra looks like
    with pytest.raises(ConfigError, match=r"pip install 'stigmascope\[ray\]'"):
        classify_with_ray(src, tmp_path / "pred", model=fast_model, progress=False)


def test_cli_engine_ray_writes_the_same_rows_as_local(fast_model: Path, mini_corpus: Path, cluster: str,
                                                      tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stigmascope.cli import build_app

    docs = _docs(mini_corpus)
    src = _write_jsonl(tmp_path / "feed.jsonl", docs)
    runner, app = CliRunner(), build_app()
    res = runner.invoke(app, ["classify", str(src), "--out", str(tmp_path / "pred"), "--model", str(fast_model),
                              "--engine", "ray", "--address", cluster, "--workers", "1", "--batch-size", "16",
                              "--backend", "torch", "--no-evidence", "--quiet"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())  # rich wraps long lines
    assert f"{len(docs)} documents classified" in said and "1 worker)" in said and "date partitions" in said
    local_out = tmp_path / "local.jsonl"
    res = runner.invoke(app, ["classify", str(src), "--out", str(local_out), "--model", str(fast_model),
                              "--backend", "torch", "--no-evidence", "--quiet"])
    assert res.exit_code == 0, res.output
    _assert_same(_read_out(tmp_path / "pred"), [json.loads(x) for x in local_out.read_text(encoding="utf-8").splitlines()])


@pytest.mark.parametrize("extra, message", [
    (["--engine", "spark"], "--engine 'spark'"),
    (["--engine", "ray", "--db", "store.duckdb"], "does not use the corpus store"),
    (["--address", "auto"], "add --engine ray"),
    (["--workers", "4"], "add --engine ray"),
])
def test_cli_engine_options_are_checked(fast_model: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from stigmascope.cli import build_app

    src = _write_jsonl(tmp_path / "feed.jsonl", EXTRA)
    res = CliRunner().invoke(build_app(), ["classify", str(src), "--out", str(tmp_path / "pred"), "--model",
                                           str(fast_model), "--quiet", *extra])
    assert res.exit_code != 0
    assert message in (res.output + str(res.exception))


def test_trends_reads_the_ray_output_directly(fast_model: Path, mini_corpus: Path, cluster: str,
                                              tmp_path: Path) -> None:
    """From a cluster run to the time series with no extra step: the same cells as from local classify."""
    from trends.build import run_trends
    from trends.config import TrendsConfig

    src = _write_jsonl(tmp_path / "feed.jsonl", _docs(mini_corpus))
    classify_with_ray(src, tmp_path / "pred", model=fast_model, address=cluster, workers=1, batch_size=16,
                      backend="torch", progress=False)
    classify(src, out=tmp_path / "local.jsonl", model=fast_model, config=InferConfig(backend="torch"), progress=False)
    cfg = TrendsConfig(freq="year", min_count=1, bootstrap=50, charts=False)
    ray_t = run_trends(tmp_path / "pred", tmp_path / "t-ray", cfg, model=fast_model, report=True)
    local_t = run_trends(tmp_path / "local.jsonl", tmp_path / "t-local", cfg, model=fast_model, report=False)
    cols = ["place", "period_start", "score_key", "n_docs", "n_relevant", "count"]
    a = ray_t.table[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = local_t.table[cols].sort_values(cols[:3]).reset_index(drop=True)
    assert len(a) > 0 and a.equals(b)
    assert a["count"].sum() > 0
    assert (tmp_path / "t-ray" / "report.html").stat().st_size > 10_000
