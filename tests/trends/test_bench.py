"""The benchmark runs end to end on a small synthetic store and reports its figures."""

from __future__ import annotations

import pytest

from trends.bench import main


@pytest.mark.slow
def test_bench_small() -> None:
    figures = main(["--docs", "20000", "--compare-docs", "5000", "--bootstrap", "60"])
    assert figures["generate"]["scored"] > figures["generate"]["relevant"] > 0
    tr = figures["trends"]
    assert tr["cells"] > 1000 and tr["peak_rss_mb"] > 50 and tr["seconds"] > 0
    assert set(tr["steps"]) >= {"read", "aggregate", "statistics", "examples", "write", "total"}
    # both ways of counting agreed (the bench raises otherwise) and were timed
    assert figures["counts_sql"]["label_count"] == figures["counts_pandas"]["label_count"] > 0
    assert figures["pandas_over_sql"] > 0
