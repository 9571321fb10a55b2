"""The load test and the SIGKILL check, against real server processes (short runs; `make bench` runs the
full 20 annotators x 60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation import bench

pytestmark = pytest.mark.slow


def test_sigkill_during_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db_path = tmp_path / "kill.sqlite"
    pid, names = bench.seed(db_path, annotators=4, documents=300)
    res = bench.kill_test(db_path, names, pid, seconds=8.0, kill_after=2.5)
    assert res["killed"] is True
    assert res["acknowledged"] > 0 and res["retries"] > 0          # the clients did see the server go away
    assert res["lost"] == 0 and res["duplicated"] == 0
    assert res["in_database"] == res["acknowledged"] + res["stored_unacknowledged"]
    assert res["stored_unacknowledged"] == 0                      # in-flight ones were retried to an answer
    assert res["integrity"] == "ok" and res["errors"] == 0


def test_bench_main_reports_consistent_figures(tmp_path: Path) -> None:
    out = bench.main(["--annotators", "3", "--seconds", "2", "--normal-seconds", "1", "--kill-seconds", "0",
                      "--documents", "150", "--workdir", str(tmp_path)])
    load = out["load"]
    assert load["submissions"] == load["acknowledged"] == load["in_database"] > 0
    assert load["lost"] == 0 and load["duplicated"] == 0 and load["errors"] == 0
    assert 0 < load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"]
    assert out["normal"]["lost"] == 0 and out["full_vs_normal_throughput"] > 0
    assert (tmp_path / "bench.json").is_file()
