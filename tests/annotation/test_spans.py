"""Snapping evidence spans to the segmenter's token boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotation.spans import boundaries, snap, token_ends, token_ends_many


@pytest.fixture(scope="module")
def segmenter():
    from nlp.segment import Segmenter

    return Segmenter()


@pytest.mark.parametrize("text, start, end, expected", [
    ("农民工在城中村租房", 1, 2, "农民工"),            # inside one word -> the whole word
    ("农民工在城中村租房", 2, 5, "农民工在城中村"),      # across words -> both ends widened
    ("农民工在城中村租房", 4, 7, "城中村"),             # already on boundaries -> unchanged
    ("工地上干了八年，老板年底卷款跑了", 5, 9, "八年，老板"),
    ("工地上干了八年，老板年底卷款跑了", 7, 9, "老板"),  # a leading comma is trimmed
    ("外来务工人员的孩子上学难", 3, 8, "外来务工人员的孩子"),
    ("我三岁被爸妈从湖南带到宝安", 2, 2, None),          # empty selection
])
def test_snap_to_words(segmenter, text: str, start: int, end: int, expected: str | None) -> None:
    got = snap(start, end, text, token_ends(text, segmenter))
    assert (text[got[0]:got[1]] if got else None) == expected


def test_punctuation_only_selection_is_refused(segmenter) -> None:
    text = "老板跑了，  工资没了。"
    ends = token_ends(text, segmenter)
    assert snap(4, 7, text, ends) is None
    assert snap(-5, 100, text, ends) == (0, len(text) - 1)  # clamped, the final 。 trimmed


def test_token_ends_many_matches_one_by_one(segmenter) -> None:
    texts = ["农民工在城中村租房", "", "外来务工人员的孩子上学难"]
    assert token_ends_many(texts, segmenter) == [token_ends(t, segmenter) for t in texts]
    assert token_ends_many(texts, segmenter)[0] == [3, 4, 7, 9]


def test_no_tokens_means_characters() -> None:
    assert boundaries("abc", []) == [0, 1, 2, 3]
    assert snap(1, 2, "abc", []) == (1, 2)


@given(st.lists(st.sampled_from(["农民", "工", "，", " ", "城中村", "租房", "。", "老板"]), min_size=1, max_size=30),
       st.integers(0, 80), st.integers(0, 80))
def test_snap_properties(tokens: list[str], a: int, b: int) -> None:
    text = "".join(tokens)
    ends, pos = [], 0
    for t in tokens:
        pos += len(t)
        ends.append(pos)
    start, end = min(a, b), max(a, b)
    got = snap(start, end, text, ends)
    bset = set(boundaries(text, ends))
    if got is None:
        return
    s, e = got
    assert s in bset and e in bset and s < e                # on token boundaries
    assert text[s:e].strip(" ，。") == text[s:e]             # no blank or punctuation at the edges
    clamped = (max(0, min(start, len(text))), max(0, min(end, len(text))))
    core = text[clamped[0]:clamped[1]].strip(" ，。")
    assert core in text[s:e] or not core                    # covers what was selected (bar the trimmed edges)
    assert snap(s, e, text, ends) == (s, e)                 # idempotent
