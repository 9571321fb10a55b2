"""Drill-down examples: evidence spans located and highlighted, PII scrubbed, small cells left out."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from corpora.pii import Scrubber
from models.taxonomy import load_taxonomy
from trends.config import TrendsConfig
from trends.examples import _scrubbed, locate_spans, segments, select_examples
from trends.source import load_predictions

TEXT = "工地欠薪，农民工讨薪难，包工头至今未露面。"


@pytest.mark.parametrize("spans, ranges, unplaced", [
    ([{"start": 1, "end": 4, "text": "地欠薪"}], [(1, 4)], []),                         # offsets match
    ([{"start": 0, "end": 3, "text": "讨薪难"}], [(8, 11)], []),                         # offsets stale: found by text
    ([{"start": 0, "end": 2, "text": "欠薪"}, {"start": 1, "end": 4, "text": "地欠薪"}], [(1, 4)], []),  # merged
    ([{"start": 0, "end": 2, "text": "户口"}], [], ["户口"]),                            # not in the text
    ([{"start": 90, "end": 99}], [], []),                                                  # out of range, no text
])
def test_locate_spans(spans, ranges, unplaced) -> None:
    assert locate_spans(TEXT, spans) == (ranges, unplaced)


def test_segments_cut_a_window_around_the_evidence() -> None:
    text = "开头" * 50 + "农民工讨薪" + "结尾" * 50
    segs = segments(text, [(100, 105)], window=30)
    assert segs[0] == ("…", False) and segs[-1] == ("…", False)
    assert ("农民工讨薪", True) in segs
    assert sum(len(t) for t, _ in segs[1:-1]) == 30
    assert segments("短文本", [], window=30) == [("短文本", False)]


def test_scrubbing_never_leaks_an_identifier_split_by_a_highlight() -> None:
    s = Scrubber(salt="t")
    segs = [("联系电话1381234", False), ("5678", True), ("，谢谢", False)]
    out = _scrubbed(segs, s)
    joined = "".join(t for t, _ in out)
    assert "13812345678" not in joined and "5678" not in joined
    assert joined == s.scrub("联系电话13812345678，谢谢")
    clean = _scrubbed([("工友之家", True), ("电话13812345678", False)], s)
    assert clean[0] == ("工友之家", True) and "[电话_" in clean[1][0]


def test_select_examples_from_the_store(store: Path) -> None:
    tax = load_taxonomy()
    con = duckdb.connect()
    info = load_predictions(con, store, taxonomy=tax)
    cfg = TrendsConfig(examples_per_cell=2, pii_salt="t")
    ex = select_examples(con, places=["北京"], config=cfg, has_text=info.has_text, gate_key="relevant",
                         gated_keys=info.gated_keys)
    cells, docs = ex["cells"], ex["docs"]
    assert cells and docs
    assert all(len(refs) <= 2 for refs in cells.values())
    assert {c.split("|")[0] for c in cells} == {"北京", "全国"}
    # every referenced example exists, carries text segments and no raw phone number
    for refs in cells.values():
        for ref in refs:
            d = docs[ref]
            assert d["segments"] and d["id"] == ref.split("|")[0]
            assert "13812345678" not in "".join(t for t, _ in d["segments"])
    # the relevance cell of Beijing, March 2023 shows the worker-centre post, its phone number scrubbed
    refs = cells["北京|2023-03-01|relevant"]
    assert refs == ["tr-011|relevant"]
    text = "".join(t for t, _ in docs["tr-011|relevant"]["segments"])
    assert "工友之家" in text and "[电话_" in text
    # a suppressed cell gets no examples
    ex2 = select_examples(con, places=["北京"], config=cfg, has_text=True, gate_key="relevant",
                          gated_keys=info.gated_keys, suppressed={("北京", "2023-03-01", "relevant")})
    assert "北京|2023-03-01|relevant" not in ex2["cells"]
