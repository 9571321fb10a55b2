"""The Ray benchmark runs on real titles and returns its figures (small sizes, tiny model, fp32 backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("ray")


@pytest.mark.real
@pytest.mark.ray
@pytest.mark.slow
def test_ray_bench_small(real_data_dir: Path, fast_model: Path, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    from models.ray_bench import main

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    res = main(["--model", str(fast_model), "--titles", "400", "--scored-titles", "60", "--shards", "2",
                "--backend", "torch", "--json", str(tmp_path / "b.json")])
    assert res["n_titles"] == 400 and res["n_scored_titles"] == 60 and res["backend"] == "torch"
    for case, n in (("titles", 400), ("scored", 60)):
        assert res[case]["local"]["docs_per_s"] > 0
        for w in (1, 2):
            run = res[case][f"ray_{w}"]
            assert run["rows"] == n and run["docs_per_s"] > 0
            # fp32: the Ray output is the local output, row for row
            assert run["vs_local"] == {"docs_compared": n, "docs_with_changed_labels": 0,
                                       "max_score_diff": pytest.approx(0.0, abs=1e-4)}
    assert res["scored"]["local"]["skipped"] == 0 and res["fixed_overhead_s"] > 0
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["n_titles"] == 400
