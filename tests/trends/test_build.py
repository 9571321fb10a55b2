"""The stage end to end: build_trends / run_trends and the `stigmascope trends` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stigmascope.cli import build_app, main
from trends.aggregate import COLUMNS
from trends.build import build_trends, find_model_dir, run_trends
from trends.config import TrendsConfig


@pytest.mark.slow
def test_run_trends_writes_every_file(store: Path, model_dir: Path, tmp_path: Path) -> None:
    res = run_trends(store, tmp_path / "out", TrendsConfig(freq="quarter", min_count=2, bootstrap=100,
                                                            chart_keys=["relevant"]), model=model_dir)
    out = tmp_path / "out"
    for name in ("trends.parquet", "trends.csv", "stats.csv", "changepoints.csv", "alerts.csv", "excluded.csv",
                 "methods.md", "summary.json", "report.html", "charts/heatmap_relevant.svg"):
        assert (out / name).exists(), name
    csv = pd.read_csv(out / "trends.csv", encoding="utf-8-sig")
    assert list(csv.columns) == COLUMNS and len(csv) == len(res.table)
    assert all(len(c) <= 32 and c.isidentifier() and c.islower() for c in csv.columns)  # R/Stata names
    pq = pd.read_parquet(out / "trends.parquet")
    assert pq["small_cell"].isin([0, 1]).all() and str(pq["period_start"].dtype).startswith(("object", "date"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["coverage"]["n_dated"] == 30 and summary["coverage"]["excluded_reasons"] == {"no date": 1}
    assert summary["model"]["id"] == res.model.model_id and "report" in summary["files"]
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "## Data coverage" in methods and "Wilson" in methods and "PELT" in methods and res.model.model_id in methods
    # the quarterly national series adds up the places (incl. documents without a city)
    gate = res.table[res.table.score_key == "relevant"]
    assert gate[gate.place_level == "national"]["n_docs"].sum() == gate[gate.place_level != "national"]["n_docs"].sum() == 30
    assert res.places[:1] == ["北京"]  # the fixture feed is mostly about Beijing


def test_store_model_is_found_in_the_cache(store: Path, model_dir: Path, tmp_path: Path, isolated_home: Path) -> None:
    cached = isolated_home / "models" / "default-test"
    shutil.copytree(model_dir, cached)
    try:
        model_id = json.loads((model_dir / "config.json").read_text())["model_id"]
        assert find_model_dir(model_id) == cached
        res = build_trends(store, tmp_path / "out", TrendsConfig(bootstrap=100))
        assert res.model.path == cached and any("cached model directory" in n for n in res.notes)
        assert (res.table["acc_ok"] == 1).any()
    finally:
        shutil.rmtree(cached)


def test_file_without_model_is_not_corrected(pred_jsonl: Path, tmp_path: Path) -> None:
    res = build_trends(pred_jsonl, tmp_path / "out", TrendsConfig(bootstrap=100))
    assert (res.table["acc_ok"] == 0).all() and (res.table["est_method"] == "cc").all()
    assert any("not corrected" in n for n in res.notes)


def test_cli_runs_the_stage(store: Path, model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    r = CliRunner().invoke(build_app(), ["trends", "--db", str(store), "--model", str(model_dir), "--out", str(out),
                                         "--freq", "month", "--by", "province", "--min-count", "3", "--no-charts",
                                         "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "30 documents" in r.output and "alerts" in r.output
    t = pd.read_parquet(out / "trends.parquet")
    assert set(t["place"]) >= {"广东", "北京", "上海", "全国"} and (t["freq"] == "month").all()
    assert not (out / "report.html").exists()


@pytest.mark.parametrize("args, message", [
    (["trends", "--out", "x"], "give either PRED"),
    (["trends", "p.jsonl", "--db", "s.duckdb", "--out", "x"], "give either PRED"),
    (["trends", "missing.jsonl", "--out", "x"], "predictions not found"),
    (["trends", "missing.jsonl", "--out", "x", "--freq", "daily"], "--freq 'daily'"),
])
def test_cli_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
