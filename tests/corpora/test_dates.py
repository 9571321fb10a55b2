"""Tests for corpora.dates: every accepted form, relative crawler forms, and the errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpora.dates import CST, DateParseError, parse_date
from stigmascope.errors import StigmascopeError

CRAWL = datetime(2023, 5, 2, 10, 0)  # a fixed crawl time, China Standard Time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-01", datetime(2023, 5, 1)),
        ("2023-5-1", datetime(2023, 5, 1)),
        ("2023-05-01T13:45:00", datetime(2023, 5, 1, 13, 45)),
        ("2023-05-01 13:45", datetime(2023, 5, 1, 13, 45)),
        ("2023-05-01T13:45:00+08:00", datetime(2023, 5, 1, 13, 45)),
        ("2023-05-01T05:45:00Z", datetime(2023, 5, 1, 13, 45)),
        ("2023-04-30T20:30:00-04:00", datetime(2023, 5, 1, 8, 30)),
        ("2023-05-01T13:45:00.123456789", datetime(2023, 5, 1, 13, 45, 0, 123456)),
        ("20230501", datetime(2023, 5, 1)),
        (20230501, datetime(2023, 5, 1)),
        ("202305011345", datetime(2023, 5, 1, 13, 45)),
        ("2023年5月1日", datetime(2023, 5, 1)),
        ("2023年05月01日", datetime(2023, 5, 1)),
        ("2023年5月1日 13:45", datetime(2023, 5, 1, 13, 45)),
        ("2023年5月1日13时45分", datetime(2023, 5, 1, 13, 45)),
        ("2023年5月1号", datetime(2023, 5, 1)),
        ("２０２３年５月１日", datetime(2023, 5, 1)),
        ("2023/5/1 13:45", datetime(2023, 5, 1, 13, 45)),
        ("2023/05/01", datetime(2023, 5, 1)),
        ("2023.5.1", datetime(2023, 5, 1)),
        (1682919900, datetime(2023, 5, 1, 13, 45)),
        (1682919900000, datetime(2023, 5, 1, 13, 45)),
        ("1682919900", datetime(2023, 5, 1, 13, 45)),
        ("1682919900000", datetime(2023, 5, 1, 13, 45)),
        (1682919900.5, datetime(2023, 5, 1, 13, 45, 0, 500000)),
        (1347334462, datetime(2012, 9, 11, 11, 34, 22)),  # a CED Weibo post time
        ("Mon May 01 13:45:00 +0800 2023", datetime(2023, 5, 1, 13, 45)),
        ("Sun Apr 30 22:45:00 +0000 2023", datetime(2023, 5, 1, 6, 45)),
        (datetime(2023, 5, 1, 13, 45), datetime(2023, 5, 1, 13, 45)),
        (datetime(2023, 5, 1, 5, 45, tzinfo=UTC), datetime(2023, 5, 1, 13, 45)),
        (date(2023, 5, 1), datetime(2023, 5, 1)),
        ("  2023-05-01  ", datetime(2023, 5, 1)),
    ],
)
def test_absolute_forms(value: object, expected: datetime) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("刚刚", CRAWL),
        ("30秒前", CRAWL - timedelta(seconds=30)),
        ("3分钟前", CRAWL - timedelta(minutes=3)),
        ("半小时前", CRAWL - timedelta(minutes=30)),
        ("3小时前", CRAWL - timedelta(hours=3)),
        ("1个小时前", CRAWL - timedelta(hours=1)),
        ("2天前", CRAWL - timedelta(days=2)),
        ("今天 08:00", datetime(2023, 5, 2, 8, 0)),
        ("今天08:00", datetime(2023, 5, 2, 8, 0)),
        ("昨天 12:30", datetime(2023, 5, 1, 12, 30)),
        ("昨天", datetime(2023, 5, 1)),
        ("前天", datetime(2023, 4, 30)),
        ("5月1日", datetime(2023, 5, 1)),
        ("5月1日 12:30", datetime(2023, 5, 1, 12, 30)),
        ("05-01 12:30", datetime(2023, 5, 1, 12, 30)),
        ("05-03", datetime(2022, 5, 3)),  # after the crawl time this year → last year
        ("12月31日", datetime(2022, 12, 31)),
        ("2月29日", datetime(2020, 2, 29)),  # the most recent leap day before the crawl
        ("３小时前", CRAWL - timedelta(hours=3)),
    ],
)
def test_relative_forms_use_the_crawl_time(value: str, expected: datetime) -> None:
    assert parse_date(value, crawl_time=CRAWL) == expected


def test_aware_crawl_time_is_converted_to_china_time() -> None:
    crawl = datetime(2023, 5, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    assert parse_date("3小时前", crawl_time=crawl) == datetime(2023, 5, 2, 7, 0)


@pytest.mark.parametrize("value", ["刚刚", "3小时前", "昨天 12:30", "5月1日", "05-01 12:30"])
def test_relative_form_without_crawl_time_asks_for_it(value: str) -> None:
    with pytest.raises(DateParseError, match="--crawl-time"):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        (None, "empty"),
        (True, "boolean"),
        ("hello", "no accepted form"),
        ("2023-13-01", "month must be in 1..12"),
        ("2023-02-30", "day is out of range"),
        ("2023-05-011", "no accepted form"),
        ("2023年5月", "no accepted form"),
        (123, "not unix seconds or milliseconds"),
        ("1999999999999999", "not unix seconds or milliseconds"),
        (float("nan"), "not a finite number"),
        ("1800-01-01", "outside 1900-2100"),
        ([2023, 5, 1], "unsupported type list"),
    ],
)
def test_errors_say_what_was_found_and_what_is_accepted(value: object, why: str) -> None:
    with pytest.raises(DateParseError) as err:
        parse_date(value)
    msg = str(err.value)
    assert why in msg
    if value not in ("", None):
        assert repr(value)[:20] in msg
    assert "2023年5月1日" in msg and "unix seconds" in msg


def test_error_is_a_value_error_and_a_user_error() -> None:
    with pytest.raises(ValueError):
        parse_date("不是日期")
    assert issubclass(DateParseError, StigmascopeError)


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2035, 12, 30)))
def test_unix_seconds_round_trip(dt: datetime) -> None:
    dt = dt.replace(microsecond=0)
    ts = int(dt.replace(tzinfo=CST).timestamp())
    assert parse_date(ts) == dt
    assert parse_date(str(ts * 1000)) == dt
    assert parse_date(dt.strftime("%Y年%m月%d日 %H:%M")) == dt.replace(second=0)
