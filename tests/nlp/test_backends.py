"""rjieba made token-identical to jieba: each fix, a table of tricky lines, and real news text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.backends import BATCH_SEPARATOR, JiebaBackend, RJiebaBackend, _trigger_blocks, read_main_dict_stats
from nlp.segment import Segmenter, SegmenterConfig
from nlp.userdict import DictEntry

pytest.importorskip("rjieba")

# lines where plain rjieba and jieba disagree, or where a fix could go wrong; written for these tests
TRICKY = [
    "<!--repaste.body.begin-->农民工讨薪<!--repaste.body.end-->",  # HMM ASCII runs (fix 3)
    "F-16和F-35B战机，MQ-9无人机，5G-A网络",
    "时间：2023-09-04T14:18:08.371Z，地点：东莞",
    "版本1.2.3发布，增长3.5%，占比50%",
    "a_b_c 和 9_11 以及 x.y.z",
    "C++和C#语言，AT&T公司，T恤和U盘",
    "㐀𠀀豈鿖混在中文里：农民工㐀外来务工人员",  # rare CJK characters (fix 4)
    "他说：“走吧！”\r\n然后\t离开了　城中村",
    "iPhone15发布，售价5999元",
    "哈哈哈哈哈第二季",  # exact DAG tie: needs equal dictionary totals (fix 1)
    "",
    "   ",
    "\x1e分隔符\x1e",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_lines_identical(seg_jieba: Segmenter, seg_rjieba: Segmenter, text: str) -> None:
    assert seg_rjieba.cut(text) == seg_jieba.cut(text)


def test_without_the_total_pad_ties_round_differently(seg_jieba: Segmenter) -> None:
    from nlp.backends import _TOTAL_PAD_WORD

    fast = RJiebaBackend(seg_jieba.entries)
    assert fast.cut("哈哈哈哈哈第二季") == seg_jieba.cut("哈哈哈哈哈第二季") == ["哈哈哈", "哈哈", "第二季"]
    fast._r.add_word(_TOTAL_PAD_WORD, 0, "x")  # take the pad out of jieba-rs's total again
    assert fast.cut("哈哈哈哈哈第二季") == ["哈哈", "哈哈哈", "第二季"]


@pytest.mark.xfail(strict=True, reason="known residual: HMM near-tie decided by jieba-rs's own tables "
                                       "(see nlp/backends.py); fails loudly if a new rjieba changes it")
def test_known_hmm_residual(seg_jieba: Segmenter, seg_rjieba: Segmenter) -> None:
    assert seg_rjieba.cut("好景常在后") == seg_jieba.cut("好景常在后")


def test_batched_identical(seg_jieba: Segmenter, seg_rjieba: Segmenter) -> None:
    assert seg_rjieba.cut_many(TRICKY) == [seg_jieba.cut(t) for t in TRICKY]


def test_ascii_runs_are_split_like_jieba(seg_rjieba: Segmenter) -> None:
    assert seg_rjieba.cut("战机F-16起飞") == ["战机", "F", "-", "16", "起飞"]
    assert seg_rjieba.cut("时间2023-09-04T14") == ["时间", "2023", "-", "09", "-", "04T14"]
    assert seg_rjieba.cut("增长3.5%") == ["增长", "3.5%"]  # jieba's own pattern keeps decimals whole


def test_trigger_blocks_are_jieba_blocks() -> None:
    text = "他说F-16很好，x.y 和 3.5"
    spans = _trigger_blocks(text)
    assert [text[s:e] for s, e in spans] == ["他说F-16很好", "x.y"]
    assert _trigger_blocks("增长3.5%，50%") == []


def test_total_pad_makes_totals_equal() -> None:
    stats = read_main_dict_stats()
    # jieba's dict.txt lists one word twice; jieba counts it twice in its total, jieba-rs once
    assert stats.total_lines - stats.total_unique == stats.freq["B超"]
    fast = RJiebaBackend([], main_stats=stats)
    assert fast.total_pad == stats.total_lines - stats.total_unique
    assert fast.total == JiebaBackend([]).total


def test_user_word_replacing_a_main_word_keeps_totals_equal() -> None:
    stats = read_main_dict_stats()
    entries = [DictEntry("农民工", 5000, "n"), DictEntry("城中村", 900, "n"), DictEntry("农民工", 6000, "n")]
    fast = RJiebaBackend(entries, main_stats=stats)
    ref = JiebaBackend(entries)
    assert fast.total == ref.total
    # jieba adds every entry; jieba-rs replaces: the pad carries the replaced frequencies
    assert fast.total_pad == (stats.total_lines - stats.total_unique) + stats.freq["农民工"] + stats.freq["城中村"] + 5000


def test_frequency_suggested_by_jieba_when_missing() -> None:
    entries = [DictEntry("蛇皮袋"), DictEntry("打工人", None, "n")]
    ref = JiebaBackend(entries)
    assert all(f > 0 for f in ref.resolved)
    fast = RJiebaBackend(entries)
    assert fast.total == ref.total
    assert fast.cut("打工人扛着蛇皮袋回老家") == ref.cut("打工人扛着蛇皮袋回老家")


def test_batch_separator_is_a_single_token_in_both(seg_jieba: Segmenter, seg_rjieba: Segmenter) -> None:
    text = f"农民工{BATCH_SEPARATOR}讨薪"
    assert seg_jieba.cut(text) == seg_rjieba.cut(text) == ["农民工", BATCH_SEPARATOR, "讨薪"]


# Dictionary words only (no single Chinese characters): no unknown Chinese run reaches the HMM, whose
# probability tables differ between the libraries in the last digits (see nlp/bench.py for that residual).
_PIECES = ["农民工", "城中村", "外来务工人员", "北京", "随迁子女", "积分落户", "中华人民共和国", "T恤", "C++",
           "a", "Z", "1", "9", ".", "-", "_", "%", "#", "&", "+", " ", "\n", "\r", "，", "。", "㐀", "𠀀", "鿖"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20))
def test_property_backends_agree(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast, ref = _backends()
    assert fast.cut(text) == ref.cut(text)


_CACHE: list[Segmenter] = []


def _backends() -> tuple[Segmenter, Segmenter]:
    if not _CACHE:
        _CACHE.extend([Segmenter(SegmenterConfig(backend="rjieba")), Segmenter(SegmenterConfig(backend="jieba"))])
    return _CACHE[0], _CACHE[1]


@pytest.mark.real
def test_real_news_items_identical(real_data_dir: Path, seg_jieba: Segmenter, seg_rjieba: Segmenter) -> None:
    texts = []
    with open(real_data_dir / "xinwenlianbo_cctv" / "items.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 40 == 0:  # 600 items spread over the five years
                texts.append(json.loads(line)["text"])
    mismatched = [t[:60] for t, a, b in zip(texts, seg_rjieba.cut_many(texts), (seg_jieba.cut(t) for t in texts))
                  if a != b]
    assert len(texts) > 500
    assert mismatched == []
