"""Sentence spans: terminators, closing quotes, ellipses, line breaks, unpunctuated posts, long sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp.sentences import sentences, split_sentences

CASES = [
    ("工地老板拖欠工资。工人们去讨薪！", ["工地老板拖欠工资。", "工人们去讨薪！"]),
    ("“还钱吧……”他说。", ["“还钱吧……”", "他说。"]),
    ("真的吗？！太过分了。。。", ["真的吗？！", "太过分了。。。"]),
    ("「别来了。」她说；我们走吧", ["「别来了。」", "她说；", "我们走吧"]),
    ("“好！”，他说。", ["“好！”，他说。"]),  # no break before a comma
    ("今天好累 不想上班 老板又骂人", ["今天好累", "不想上班", "老板又骂人"]),  # Weibo without punctuation
    ("iPhone 15 发布了. 价格 5999", ["iPhone 15 发布了.", "价格 5999"]),
    ("第一段。\n\n  第二段！  ", ["第一段。", "第二段！"]),
    ("数据增长3.5%。下降", ["数据增长3.5%。", "下降"]),
    ("你好...再见", ["你好...", "再见"]),
    ("他说……然后走了", ["他说……", "然后走了"]),
    ("", []),
    ("   \n  ", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_spans_are_exact_offsets() -> None:
    text = "  新市民在城中村租房。  农民工讨薪！"
    spans = split_sentences(text)
    assert spans == [(2, 12), (14, 20)]
    assert [text[s:e] for s, e in spans] == ["新市民在城中村租房。", "农民工讨薪！"]


def test_space_split_can_be_switched_off() -> None:
    assert sentences("今天好累 不想上班", split_on_space=False) == ["今天好累 不想上班"]


def test_max_chars_cuts_after_a_comma_or_at_the_limit() -> None:
    text = "外来务工人员的孩子，放学后没人管，只能在出租屋里看手机。"
    assert sentences(text, max_chars=12) == ["外来务工人员的孩子，", "放学后没人管，", "只能在出租屋里看手机。"]
    assert sentences("长" * 25, max_chars=10) == ["长" * 10, "长" * 10, "长" * 5]
    with pytest.raises(ValueError, match="at least 2"):
        split_sentences("好", max_chars=1)


def test_long_news_article() -> None:
    para = "记者走访了城中村。租户说房租涨了，“一个月多出两百块”。街道表示将引导房东合理定价！"
    text = "\n".join([para] * 200)
    spans = split_sentences(text)
    assert len(spans) == 3 * 200
    assert text[spans[1][0]:spans[1][1]] == "租户说房租涨了，“一个月多出两百块”。"


@given(st.text(alphabet=st.sampled_from(list("农民工城中村。！？；…”」 \n，,.!?a1")), max_size=80),
       st.one_of(st.none(), st.integers(min_value=2, max_value=12)))
def test_property_spans(text: str, max_chars: int | None) -> None:
    spans = split_sentences(text, max_chars=max_chars)
    prev_end = 0
    for s, e in spans:
        assert prev_end <= s < e <= len(text)
        piece = text[s:e]
        assert piece == piece.strip() and piece
        assert "\n" not in piece
        if max_chars is not None:
            assert e - s <= max_chars
        prev_end = e
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())  # no visible character is lost
