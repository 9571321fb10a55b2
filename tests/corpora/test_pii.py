"""Tests for corpora.pii: what is scrubbed, what is left alone, stable salted pseudonyms."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.pii import Scrubber, valid_id_number

PSEUDONYM = re.compile(r"\[(电话|身份证|邮箱)_[0-9a-f]{8}\]|@用户_[0-9a-f]{8}")


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(salt="test-salt")


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("工头的手机是13812345678，有事找他", ["电话"]),
        ("联系电话：138-1234-5678", ["电话"]),
        ("打+86 139 0000 1111问问", ["电话"]),
        ("报名热线 8613912345678", ["电话"]),
        ("劳动监察大队电话010-12345678", ["电话"]),
        ("请拨打(0755)87654321转123", ["电话"]),
        ("厂里座机：075512345678", ["电话"]),
        ("身份证号11010519491231002X已登记", ["身份证"]),
        ("老身份证130503670401001还能用吗", ["身份证"]),
        ("简历发到 hr.zhang@example.com.cn 就行", ["邮箱"]),
        ("感谢@工友之家 和@张三_2020 的帮助", ["@用户", "@用户"]),
        ("邮箱worker@163.com，微博@打工诗人", ["邮箱", "@用户"]),
    ],
)
def test_scrubs_identifiers(scrubber: Scrubber, text: str, kinds: list[str]) -> None:
    out = scrubber.scrub(text)
    found = [m.group(1) or "@用户" for m in PSEUDONYM.finditer(out)]
    assert found == kinds
    assert not re.search(r"1[3-9]\d{9}|\d{7,}", PSEUDONYM.sub("", out))


@pytest.mark.parametrize(
    "text",
    [
        "2023年5月1日起，最低工资标准上调到2360元",
        "全国农民工总量29562万人，比上年增加191万人",
        "投资15000000000元建设保障房",
        "今年GDP增长5.2%，居民收入12345678元",
        "工地在2号楼，13栋，共128户",
        "订单号20230501123456789，请核对",
        "身份证号码110105199003071234（校验位不对，不是证件号）",
        "时间是2023-05-01 13:45，地点在3号门",
        "4001234567是公司客服热线",
    ],
)
def test_leaves_dates_money_and_statistics(scrubber: Scrubber, text: str) -> None:
    assert scrubber.scrub(text) == text


def test_same_value_same_pseudonym_across_spellings(scrubber: Scrubber) -> None:
    a = scrubber.scrub("电话13812345678")
    b = scrubber.scrub("电话 138-1234-5678")
    c = scrubber.scrub("电话+86 138 1234 5678")
    code = re.findall(r"电话_[0-9a-f]{8}", a)
    assert code and code == re.findall(r"电话_[0-9a-f]{8}", b) == re.findall(r"电话_[0-9a-f]{8}", c)
    assert scrubber.scrub("@张三 说") == scrubber.scrub("@张三 说")
    assert scrubber.scrub("@张三") != scrubber.scrub("@李四")


def test_salt_changes_pseudonyms() -> None:
    text = "找@张三，电话13812345678"
    assert Scrubber("a").scrub(text) != Scrubber("b").scrub(text)
    assert Scrubber("a").scrub(text) == Scrubber("a").scrub(text)


def test_pseudonym_length_is_configurable() -> None:
    assert re.fullmatch(r"@用户_[0-9a-f]{4}", Scrubber(hex_digits=4).scrub("@张三"))
    with pytest.raises(ValueError, match="hex_digits"):
        Scrubber(hex_digits=2)


@pytest.mark.parametrize(
    ("number", "ok"),
    [("11010519491231002X", True), ("11010519491231002x", True), ("110105194912310021", False),
     ("11010519491331002X", False), ("130503670401001", True), ("130503671301001", False), ("12345", False)],
)
def test_id_number_checksum(number: str, ok: bool) -> None:
    assert valid_id_number(number) is ok


_ALPHABET = st.sampled_from(list("工头电话号码微博邮箱：，@ _-.+()") + ["13812345678", "010-12345678", "a@b.com",
                                                                    "11010519491231002X", "2023年", "5000元"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=25).map("".join))
def test_scrubbing_twice_changes_nothing_more(text: str) -> None:
    s = Scrubber()
    once = s.scrub(text)
    assert s.scrub(once) == once
