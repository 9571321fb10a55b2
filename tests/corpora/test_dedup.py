"""Exact and near-duplicate detection against a real DuckDB store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.dedup import (
    DedupConfig,
    DedupItem,
    Deduplicator,
    MinHasher,
    content_hash,
    estimate_jaccard,
    lsh_params,
    number_tokens,
    numbers_field,
)
from corpora.store import BatchWrite, open_store
from stigmascope.errors import ConfigError

BASE = "今天在深圳南山的工地上，一位来自河南的农民工大哥跟我说，他已经三个月没拿到工资了，过年回家的路费都没着落。"


@pytest.mark.parametrize("a, b, same", [
    ("农民工 讨薪", "农民工讨薪", True),  # whitespace does not count
    ("农民工讨薪", "农民工讨薪！", False),
    ("北京新增确诊3例", "北京新增确诊5例", False),
])
def test_content_hash(a: str, b: str, same: bool) -> None:
    assert (content_hash(a) == content_hash(b)) is same
    assert len(content_hash(a)) == 32


@pytest.mark.parametrize("threshold, num_perm", [(0.8, 128), (0.5, 128), (0.9, 64)])
def test_lsh_params_put_the_s_curve_at_the_threshold(threshold: float, num_perm: int) -> None:
    b, r = lsh_params(threshold, num_perm)
    assert b * r <= num_perm
    p = lambda s: 1 - (1 - s**r) ** b
    assert p(min(1.0, threshold + 0.05)) > 0.9 and p(threshold - 0.3) < 0.3


@pytest.mark.parametrize("variant, near", [
    (BASE + "！！", True),                                   # punctuation added
    (BASE.replace("三个月", "四个月"), True),                 # one number changed in a long text
    ("说得太对了，" + BASE, True),                             # a short comment in front
    (BASE[:30], False),                                       # less than half of it
    ("杭州地铁上看到几个刚下工的师傅不好意思坐座位，怕弄脏了。其实大家都是靠双手吃饭的。", False),
])
def test_signature_similarity(variant: str, near: bool) -> None:
    h = MinHasher(DedupConfig())
    sig = h.signatures([BASE, variant])
    assert sig.shape == (2, 128) and sig.dtype == np.uint32
    assert (estimate_jaccard(sig[0], sig[1]) >= 0.8) is near


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="农民工讨薪深圳打工子弟学校城市返乡春运", min_size=30, max_size=80))
def test_identical_texts_share_every_bucket(text: str) -> None:
    h = MinHasher(DedupConfig())
    sig = h.signatures([text, text])
    assert estimate_jaccard(sig[0], sig[1]) == 1.0
    b = h.buckets(sig)
    assert b.shape == (2, h.bands) and (b[0] == b[1]).all()


def _store_items(store, dd: Deduplicator, items: list[DedupItem]) -> list:
    """Resolve items and persist what ingestion would (ingested_records, signatures, bands)."""
    decisions, sigs, idx = dd.resolve(items)
    out = BatchWrite()
    for it, dec in zip(items, decisions):
        if dec.kind != "seen":
            out.ingested.append((it.record_key, it.doc_id if dec.kind == "new" else dec.target, it.content_hash,
                                 dec.kind, dec.similarity, "f", 1, None, "r"))
    if sigs is not None and len(idx):
        ids = [items[i].doc_id for i in idx]
        out.signatures = [(d, s.tobytes(), numbers_field(items[i].text)) for d, s, i in zip(ids, sigs, idx)]
        bk = dd.hasher.buckets(sigs)
        out.bands = (np.tile(np.arange(bk.shape[1], dtype=np.uint8), len(ids)), bk.reshape(-1),
                     [d for d in ids for _ in range(bk.shape[1])])
    store.write_batch(out)
    return [(d.kind, d.target) for d in decisions]


def item(key: str, text: str) -> DedupItem:
    return DedupItem(key, "doc-" + key, text, content_hash(text))


def test_deduplicator_within_and_across_batches(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.duckdb") as store:
        dd = Deduplicator(store, DedupConfig())
        first = _store_items(store, dd, [
            item("a", BASE), item("b", BASE), item("c", BASE + "！！"), item("d", "短文本"), item("e", "短文本"),
            item("a", BASE)])
        assert first == [("new", None), ("exact", "doc-a"), ("near", "doc-a"), ("new", None), ("exact", "doc-d"),
                         ("seen", None)]
        # a later run (new Deduplicator on the same store) sees the earlier documents
        dd2 = Deduplicator(store, DedupConfig())
        second = _store_items(store, dd2, [item("a", BASE), item("f", BASE + "！！"),
                                           item("g", "说得太对了，" + BASE), item("h", "短文本")])
        assert second == [("seen", None), ("exact", "doc-a"), ("near", "doc-a"), ("exact", "doc-d")]


def test_exact_copy_of_a_folded_copy_goes_to_the_kept_document(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.duckdb") as store:
        dd = Deduplicator(store, DedupConfig())
        _store_items(store, dd, [item("a", BASE)])
        got = _store_items(store, dd, [item("b", BASE + "！！"), item("c", BASE + "！！")])
        assert got == [("near", "doc-a"), ("exact", "doc-a")]


def test_short_texts_are_only_deduplicated_exactly(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.duckdb") as store:
        dd = Deduplicator(store, DedupConfig(min_chars=30))
        got = _store_items(store, dd, [item("a", "北京今日新增本土确诊病例3例"), item("b", "北京今日新增本土确诊病例5例")])
        assert got == [("new", None), ("new", None)]


def test_changed_dedup_settings_are_refused(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.duckdb") as store:
        Deduplicator(store, DedupConfig())
        with pytest.raises(ConfigError, match="near-duplicate settings differ"):
            Deduplicator(store, DedupConfig(num_perm=64))


@pytest.mark.parametrize("kwargs, message", [
    ({"threshold": 0}, "threshold"), ({"num_perm": 8}, "num_perm"), ({"min_chars": 2}, "min_chars"),
    ({"max_chars": 10}, "max_chars"),
])
def test_config_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DedupConfig(**kwargs)


@pytest.mark.parametrize("text, numbers", [
    ("十四届全国人大二次会议将于3月5日上午9时在北京开幕", ("3", "5", "9", "二", "十四")),
    ("十四届全国人大常委会举行第二十二次委员长会议", ("十四", "第二十二")),
    ("在东莞打工的小伙子说，工厂包吃包住", ()),
    ("509份低保，6个老婆", ("509", "6")),
])
def test_number_tokens(text: str, numbers: tuple) -> None:
    assert number_tokens(text) == numbers


def test_formulaic_reports_of_different_events_are_not_folded(tmp_path: Path) -> None:
    template = ("本台明天将直播十四届全国人大{n}次会议开幕会。十四届全国人大{n}次会议将于3月5日上午9时在北京人民大会堂开幕，"
                "中央广播电视总台央视综合频道、新闻频道将进行现场直播，中国之声等频率同步转播。")
    repost = template.format(n="二") + "请相互转告"
    with open_store(tmp_path / "c.duckdb") as store:
        dd = Deduplicator(store, DedupConfig())
        sig = dd.hasher.signatures([template.format(n="二"), template.format(n="四")])
        assert estimate_jaccard(sig[0], sig[1]) >= 0.8  # similar enough to fold on shingles alone
        got = _store_items(store, dd, [item("a", template.format(n="二")), item("b", template.format(n="四")),
                                       item("c", repost)])
        assert got == [("new", None), ("new", None), ("near", "doc-a")]
        # across batches too: the stored document's numbers come from its text
        assert _store_items(store, dd, [item("d", template.format(n="三"))]) == [("new", None)]
