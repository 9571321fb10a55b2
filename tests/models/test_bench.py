"""The inference benchmark runs on real text and returns its figures (small sizes, tiny model)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.real
def test_bench_small(real_data_dir: Path, fast_model: Path, tmp_path: Path) -> None:
    from models.bench import main

    res = main(["--model", str(fast_model), "--titles", "300", "--pipeline-titles", "40", "--news", "12",
                "--backends", "torch,onnx-int8", "--json", str(tmp_path / "b.json")])
    assert res["news_docs"] == 12 and res["titles"] == 300
    assert {r["backend"] for r in res["engine"]} == {"torch", "onnx-int8"}
    torch_run = next(r for r in res["engine"] if r["backend"] == "torch")
    assert torch_run["vs_torch_fp32"]["max_score_diff"] == 0.0
    assert all(r["news_docs_per_s"] > 0 and r["titles_ratio"] > 0 for r in res["engine"])
    assert res["peak_rss_mb"] > 0 and (tmp_path / "b.json").exists()
