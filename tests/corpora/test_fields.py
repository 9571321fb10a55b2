"""The --map spec, dotted paths, joins, literals and automatic mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpora.fields import auto_map, get_path, parse_map
from stigmascope.errors import ConfigError, InputError

WEIBO = {"record": {"text": "在深圳打工", "time": 1349768694, "user": {"location": "广东 深圳", "time": 1302581825},
                    "pics": ["a.jpg", "b.jpg"], "source": "微博 weibo.com"}, "label": "rumor"}


@pytest.mark.parametrize("spec, expected", [
    ("text=record.text", {"text": "在深圳打工"}),
    ("text=record.text,city=record.user.location", {"text": "在深圳打工", "city": "广东 深圳"}),
    ("text=record.text,date=record.time,source='weibo'", {"text": "在深圳打工", "date": 1349768694, "source": "weibo"}),
    ('text=record.text,outlet="新浪, 微博"', {"text": "在深圳打工", "outlet": "新浪, 微博"}),
    ("text=record.text,id=record.pics.1", {"text": "在深圳打工", "id": "b.jpg"}),
    ("text=record.text,city=record.missing", {"text": "在深圳打工"}),
    ("text=label+record.text", {"text": "rumor\n在深圳打工"}),
])
def test_parse_and_extract(spec: str, expected: dict) -> None:
    assert parse_map(spec).extract(WEIBO) == expected


def test_join_skips_missing_parts_and_uses_space_for_places() -> None:
    fm = parse_map("text=正文,city=省份+城市")
    assert fm.extract({"正文": "讨薪", "省份": "广东", "城市": "佛山"})["city"] == "广东 佛山"
    assert fm.extract({"正文": "讨薪", "省份": "广东"})["city"] == "广东"
    assert fm.extract({"正文": "讨薪", "省份": "", "城市": None})["city"] == ""
    assert "city" not in fm.extract({"正文": "讨薪"})


def test_dotted_csv_header_wins_over_nesting() -> None:
    assert get_path({"user.location": "北京", "user": {"location": "上海"}}, ("user", "location")) == "北京"


@pytest.mark.parametrize("spec, message", [
    ("txt=content", "did you mean 'text'"),
    ("text", "is not TARGET=FIELD"),
    ("text=", "empty field name"),
    ("city=location", "must name the text field"),
    ("text=a++b", "empty field name"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_map(spec)


@pytest.mark.parametrize("records, expected", [
    ([WEIBO], "text←record.text, date←record.time, city←record.user.location, source←record.source"),
    ([{"date": "2020-11-24", "title": "80后小伙在胶水里画金鱼"}], "text←title, date←date"),
    ([{"date": "20220101", "title": "标题", "text": "正文", "source_file": "x.md"}],
     "text←text, title←title, date←date"),
    ([{"标题": "t", "正文": "b", "发布时间": "2023年5月1日", "媒体": "深圳特区报"}],
     "text←正文, title←标题, date←发布时间, outlet←媒体"),
    ([{"_id": "1", "content": "c", "created_at": "2023", "platform": "douyin", "location": "成都"}],
     "text←content, id←_id, date←created_at, city←location, source←platform"),
    ([{"mid": "1", "text": "t", "user": {"location": "北京"}}], "text←text, id←mid, city←user.location"),
])
def test_auto_map(records: list, expected: str) -> None:
    fm = auto_map(records)
    assert fm.auto and fm.describe() == expected


def test_auto_map_needs_a_text_field() -> None:
    with pytest.raises(InputError, match="no text field found among: a, b"):
        auto_map([{"a": 1, "b": 2}])


def test_auto_map_ignores_non_string_text_candidates() -> None:
    fm = auto_map([{"text": {"nested": 1}, "content": "真正的正文"}])
    assert fm.path_of("text") == "content"


@given(st.dictionaries(st.text(alphabet="abc正文", min_size=1, max_size=4), st.text(max_size=8), max_size=5))
def test_get_path_of_a_present_key_returns_its_value(record: dict) -> None:
    for key, value in record.items():
        if "." not in key:
            assert get_path(record, (key,)) == value
