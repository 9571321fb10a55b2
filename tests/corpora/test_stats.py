"""Corpus statistics over a store built from the fixtures."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.ingest import ingest_paths
from corpora.stats import corpus_stats

FIX = Path(__file__).parent / "fixtures"


def test_stats_of_the_fixtures(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ingest_paths([FIX / "weibo_posts.jsonl"], db=db, field_map="text=text,id=mid,date=created_at,city=user.location,"
                 "source='weibo'")
    ingest_paths([FIX / "news_gbk.csv"], db=db, field_map="title=标题,text=正文,date=发布时间,outlet=媒体,source='news'")
    s = corpus_stats(db)
    assert (s.documents, s.copies) == (13, 16)
    assert s.rejected == {"empty_text": 1}
    assert s.by_source == {"weibo": 8, "news": 5}
    assert s.by_year == {"2023": 12, "(no date)": 1}
    assert sum(s.by_city_source.values()) == s.documents
    assert s.by_city_source["metadata"] == 8  # every stored Weibo post with a city in user.location
    top = {c: (p, n) for c, p, n in s.top_cities}
    assert top["深圳"] == ("广东", 2) and top["广州"] == ("广东", 2)  # a Weibo post and a news item each
    assert [n for _, _, n in s.top_cities] == sorted((n for _, _, n in s.top_cities), reverse=True)
    assert 0 < s.city_share <= s.province_share <= 1
    assert s.runs == {"done": 2}
    d = s.to_dict()
    assert d["rejected_total"] == 1 and d["city_share"] == round(s.with_city / 13, 4)


@settings(max_examples=5, deadline=None)
@given(st.lists(st.sampled_from(["广东 深圳", "北京", "其他", "浙江 杭州", "", "四川"]), min_size=1, max_size=12))
def test_counts_partition_the_corpus(tmp_path_factory, locations: list[str]) -> None:
    import json

    tmp = tmp_path_factory.mktemp("stats")
    src = tmp / "p.jsonl"
    src.write_text("".join(json.dumps({"text": f"第{i}位受访者说：在外打工不容易，第{i * 7}天", "loc": loc},
                                      ensure_ascii=False) + "\n" for i, loc in enumerate(locations)), encoding="utf-8")
    db = tmp / "c.duckdb"
    ingest_paths([src], db=db, field_map="text=text,city=loc")
    s = corpus_stats(db)
    assert s.documents == len(locations)
    assert sum(s.by_city_source.values()) == sum(s.by_year.values()) == sum(s.by_source.values()) == s.documents
    assert s.with_city == sum(n for _, _, n in s.top_cities) or len(s.top_cities) == 15
