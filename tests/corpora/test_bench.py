"""The ingestion benchmark runs end to end on a small synthetic corpus and returns its figures."""

from __future__ import annotations

from corpora.bench import main, synthetic_posts


def test_synthetic_posts_have_duplicates_and_metadata() -> None:
    posts = list(synthetic_posts(2000, seed=1))
    texts = [p["text"] for p in posts]
    assert len(posts) == 2000 and len({p["mid"] for p in posts}) == 2000
    assert 0.03 < 1 - len(set(texts)) / len(texts) < 0.2  # exact repeats (the edited ones are near repeats)
    assert all(isinstance(p["created_at"], int) for p in posts)
    assert {p["user"]["location"] for p in posts} >= {"其他", "广东 深圳"}


def test_bench_main_on_synthetic_corpus() -> None:
    out = main(["--synthetic", "3000", "--batch-size", "1000", "--write-rows", "1000"])
    run = out["runs"][0]
    assert run["records"] == 3000
    assert run["stored"] + run["exact_dups"] + run["near_dups"] == 3000
    assert run["near_dups"] > 0 and run["exact_dups"] > 0
    assert run["peak_rss_mb"] > 50 and run["docs_per_s"] > 0
    assert set(run["stage_seconds"]) >= {"read", "normalise", "dates", "cities", "dedup", "write"}
    assert out["write"]["rows"] == 1000 and out["write"]["arrow_batch_s"] > 0
