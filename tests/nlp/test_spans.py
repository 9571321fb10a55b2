"""CueMatcher / LexiconMatcher: evidence spans per score key, token alignment, compounds, overlaps."""

from __future__ import annotations

import pytest

from models.taxonomy import taxonomy_from_dict
from nlp.segment import Segmenter
from nlp.spans import MIGRANT_REFERENT, PLACE, Alignment, CueMatcher, LexiconMatcher
from stigmascope.errors import ConfigError


@pytest.fixture(scope="module")
def matcher(seg_rjieba: Segmenter) -> CueMatcher:
    return CueMatcher(segmenter=seg_rjieba)


def _nonempty(found: dict) -> dict:
    return {k: v for k, v in found.items() if v}


CASES = [
    ("地铁上那几个民工身上一股味，真是素质低。",
     {"relevant": [(6, 8, "民工")], MIGRANT_REFERENT: [(6, 8, "民工")],
      "stereotype.dirt": [(10, 13, "一股味")], "stereotype.ignorance": [(16, 19, "素质低")]}),
    ("工地老板拖欠了三十多名农民工半年工资，工人们去讨薪。",
     {"relevant": [(11, 14, "农民工")], MIGRANT_REFERENT: [(11, 14, "农民工")], PLACE: [(0, 2, "工地")],
      "exclusion.employment": [(23, 25, "讨薪")]}),
    ("孩子没有本地户口，要交齐五证齐全才能上学，很多随迁子女只能去打工子弟学校。",
     {"relevant": [(23, 27, "随迁子女")], MIGRANT_REFERENT: [(23, 27, "随迁子女"), (30, 34, "打工子弟")],
      "exclusion.hukou_welfare": [(6, 8, "户口")],  # inside the lexicon compound 本地户口
      "exclusion.education": [(12, 16, "五证齐全"), (23, 27, "随迁子女"), (30, 36, "打工子弟学校")],
      "practice.education": [(30, 36, "打工子弟学校")]}),
    ("今天上海气温回升，适合出游。", {}),
    ("他们吃臭豆腐", {}),  # 臭 inside another word is not the dirt cue
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_cue_spans(matcher: CueMatcher, text: str, expected: dict) -> None:
    found = matcher.find(text)
    assert _nonempty(found) == expected
    for spans in found.values():
        assert all(text[s:e] == surface for s, e, surface in spans)


def test_every_key_present(matcher: CueMatcher) -> None:
    found = matcher.find("今天天气好")
    assert set(found) == set(matcher.taxonomy.cue_words()) | {MIGRANT_REFERENT, PLACE}
    assert matcher.cue_keys == list(matcher.taxonomy.cue_words())


def test_parts_of_lexicon_compounds_are_found(matcher: CueMatcher) -> None:
    # 农民工兄弟 is one token (a lexicon term); 农民工 inside it is still the relevance cue
    found = matcher.find("农民工兄弟辛苦了")
    assert found[MIGRANT_REFERENT] == [(0, 5, "农民工兄弟")]
    assert found["relevant"] == [(0, 3, "农民工")]


def test_leftmost_longest_within_a_key(matcher: CueMatcher) -> None:
    found = matcher.find("外来务工人员的孩子")
    assert found["relevant"] == [(0, 6, "外来务工人员")]


def test_char_alignment_matches_substrings() -> None:
    m = LexiconMatcher({"dirt": ["臭"]}, alignment="char", compound_terms=[])
    assert m.find("他们吃臭豆腐") == {"dirt": [(3, 4, "臭")]}
    assert LexiconMatcher({"dirt": ["臭"]}, alignment=Alignment.token, compound_terms=[]).find(
        "他们吃臭豆腐", token_spans=[(0, 2), (2, 3), (3, 6)]) == {"dirt": []}


def test_given_token_spans_are_used() -> None:
    m = LexiconMatcher({"k": ["民工"]}, compound_terms=[])
    assert m.find("农民工", token_spans=[(0, 1), (1, 3)]) == {"k": [(1, 3, "民工")]}
    assert m.find("农民工", token_spans=[(0, 3)]) == {"k": []}


def test_find_many_equals_find(matcher: CueMatcher) -> None:
    texts = [t for t, _ in CASES]
    assert matcher.find_many(texts) == [matcher.find(t) for t in texts]


def test_cues_come_from_the_taxonomy_file(seg_rjieba: Segmenter) -> None:
    tax = taxonomy_from_dict({
        "name": "tiny", "version": "1",
        "facets": [
            {"id": "topic", "kind": "binary", "gate": True, "labels": [{"id": "about", "cues": ["讨薪"]}]},
            {"id": "tone", "kind": "multi_label", "labels": [{"id": "angry", "cues": ["气愤", "愤怒"]},
                                                             {"id": "calm", "cues": []}]},
        ],
    })
    m = CueMatcher(tax, segmenter=seg_rjieba)
    found = m.find("工人们很气愤，去讨薪")
    assert _nonempty(found) == {"about": [(8, 10, "讨薪")], "tone.angry": [(4, 6, "气愤")]}


def test_reserved_key_collision() -> None:
    tax = taxonomy_from_dict({"name": "x", "version": "1", "facets": [
        {"id": "g", "kind": "binary", "gate": True, "labels": [{"id": "place", "cues": ["城中村"]}]}]})
    with pytest.raises(ConfigError, match="collides"):
        CueMatcher(tax)


def test_bad_alignment() -> None:
    with pytest.raises(ConfigError, match="unknown alignment 'word'"):
        LexiconMatcher({"k": ["a"]}, alignment="word", compound_terms=[])
