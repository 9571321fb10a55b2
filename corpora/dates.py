"""Parse the dates that real exports carry into one naive datetime in China Standard Time.

Accepted forms (full-width digits are fine):

==============================  =====================================================
form                            example
==============================  =====================================================
ISO date / datetime             ``2023-05-01``, ``2023-5-1``, ``2023-05-01T13:45:00``,
                                ``2023-05-01 13:45``, ``2023-05-01T05:45:00Z``, ``…+08:00``
compact                         ``20230501`` (also as an int)
Chinese                         ``2023年5月1日``, ``2023年5月1日 13:45``, ``2023年05月01日13时45分``
slashes / dots                  ``2023/5/1``, ``2023/5/1 13:45``, ``2023.5.1``
unix time                       seconds or milliseconds, int, float or numeric string,
                                between 2000-01-01 and 2035-12-31
Weibo API                       ``Mon May 01 13:45:00 +0800 2023``
relative (need ``crawl_time``)  ``刚刚``, ``30秒前``, ``3分钟前``, ``半小时前``, ``3小时前``, ``2天前``, ``今天 08:00``,
                                ``昨天 12:30``, ``前天``, ``5月1日``, ``5月1日 12:30``, ``05-01 12:30``
==============================  =====================================================

Times with a zone (``Z``, ``+08:00``, ``+0800``, unix time) are converted to China Standard Time
(UTC+8) and returned naive, because the per-day series are counted in Chinese calendar days. A
year-less ``5月1日`` or ``05-01`` is the most recent such day not after the crawl time; ``昨天``
without a clock time is that day at 00:00.

Example:
    >>> from datetime import datetime
    >>> parse_date("2023年5月1日 13:45")
    datetime.datetime(2023, 5, 1, 13, 45)
    >>> parse_date("05-01 12:30", crawl_time=datetime(2023, 3, 1))
    datetime.datetime(2022, 5, 1, 12, 30)
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone

from stigmascope.errors import StigmascopeError

__all__ = ["ACCEPTED_FORMS", "CST", "DateParseError", "parse_date"]

CST = timezone(timedelta(hours=8), "CST")
ACCEPTED_FORMS = ("2023-05-01[T13:45[:00][+08:00|Z]]", "20230501", "2023年5月1日[ 13:45]", "2023/5/1[ 13:45]",
                  "2023.5.1", "unix seconds or milliseconds (2000-2035)", "Mon May 01 13:45:00 +0800 2023",
                  ("relative: 刚刚, 3分钟前, 3小时前, 2天前, 今天 08:00, 昨天 12:30, 前天, 5月1日, 05-01 12:30 "
                   "(these need --crawl-time)"))
_UNIX_MIN = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_UNIX_MAX = datetime(2036, 1, 1, tzinfo=UTC).timestamp()
_YEAR_RANGE = (1900, 2100)
_FULLWIDTH_DIGITS = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)} | {0xFF1A: ord(":"), 0xFF0D: ord("-"),
                                                                     0xFF0F: ord("/"), 0xFF0E: ord("."),
                                                                     0x3000: ord(" ")}

_TIME = r"(?:SEP(?P<H>\d{1,2})(?:[:时点](?P<M>\d{1,2})(?:[:分](?P<S>\d{1,2})(?:\.(?P<F>\d{1,9}))?秒?)?分?)?)?"
_ZONE = r"\s*(?P<Z>Z|[+-]\d{2}:?\d{2})?"
_TIME_SEP = _TIME.replace("SEP", "[ T]+")  # 2023-05-01 13:45: a separator is required
_TIME_ANY = _TIME.replace("SEP", r"\s*")  # 2023年5月1日13:45: none needed
_ABSOLUTE = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME_SEP + _ZONE),
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})" + _TIME_SEP + _ZONE),
    re.compile(r"(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})" + _TIME_SEP + _ZONE),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]" + _TIME_ANY),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})" + r"(?:[ T]?(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?"),
]
_YEARLESS = [
    re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]" + _TIME_ANY),
    re.compile(r"(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME_SEP),
]
_AGO = re.compile(r"(?P<n>\d+|半|一|两|几)\s*(?P<u>秒|分钟|分|小时|个小时|天|日|周|星期)前")
_DAY_WORD = re.compile(r"(?P<w>今天|昨天|前天)" + _TIME_ANY)
_WEIBO = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}")
_NUMERIC = re.compile(r"[+-]?\d+(?:\.\d+)?")
_UNITS = {"秒": 1, "分钟": 60, "分": 60, "小时": 3600, "个小时": 3600, "天": 86400, "日": 86400,
          "周": 7 * 86400, "星期": 7 * 86400}
_WORD_NUMBERS = {"半": 0.5, "一": 1, "两": 2, "几": 3}


class DateParseError(StigmascopeError, ValueError):
    """A date value could not be parsed; the message says what was found and what is accepted."""


def _fail(value: object, why: str) -> DateParseError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
    return DateParseError(f"cannot parse date {shown}: {why}; accepted forms: " + "; ".join(ACCEPTED_FORMS))


def _to_cst(dt: datetime) -> datetime:
    return dt.astimezone(CST).replace(tzinfo=None) if dt.tzinfo is not None else dt


def _zone(z: str | None) -> timezone | None:
    if not z:
        return None
    if z == "Z":
        return UTC
    sign = 1 if z[0] == "+" else -1
    digits = z[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _build(value: object, y: int, m: int, d: int, g: dict[str, str | None]) -> datetime:
    if not _YEAR_RANGE[0] <= y <= _YEAR_RANGE[1]:
        raise _fail(value, f"year {y} is outside {_YEAR_RANGE[0]}-{_YEAR_RANGE[1]}")
    hour, minute, sec = int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0)
    micro = int((g.get("F") or "0")[:6].ljust(6, "0"))
    try:
        dt = datetime(y, m, d, hour, minute, sec, micro, tzinfo=_zone(g.get("Z")))
    except ValueError as exc:
        raise _fail(value, str(exc)) from None
    return _to_cst(dt)


def _from_unix(value: object, x: float) -> datetime:
    if not math.isfinite(x):
        raise _fail(value, "not a finite number")
    for scale in (1, 1000):
        secs = x / scale
        if _UNIX_MIN <= secs < _UNIX_MAX:
            return datetime.fromtimestamp(secs, CST).replace(tzinfo=None)
    raise _fail(value, "a number, but not unix seconds or milliseconds between 2000 and 2035 "
                       "(nor an 8-digit YYYYMMDD)")


def _crawl(value: object, crawl_time: datetime | None) -> datetime:
    if crawl_time is None:
        raise DateParseError(f"date {value!r} is relative to when the page was crawled; pass the crawl "
                             f"time (--crawl-time 2023-05-01T12:00 on the command line, crawl_time= in Python)")
    return _to_cst(crawl_time)


def _recent(value: object, m: int, d: int, g: dict[str, str | None], now: datetime) -> datetime:
    for year in range(now.year, now.year - 9, -1):
        try:
            cand = _build(value, year, m, d, g)
        except DateParseError:
            continue  # 2月29日 in a non-leap year
        if cand <= now:
            return cand
    raise _fail(value, f"month {m} day {d} is not a calendar day")


def _relative(value: object, s: str, crawl_time: datetime | None) -> datetime | None:
    if s in ("刚刚", "刚才", "just now"):
        return _crawl(value, crawl_time)
    m = _AGO.fullmatch(s)
    if m:
        now = _crawl(value, crawl_time)
        n = _WORD_NUMBERS.get(m.group("n")) or float(m.group("n"))
        return now - timedelta(seconds=n * _UNITS[m.group("u")])
    m = _DAY_WORD.fullmatch(s)
    if m:
        now = _crawl(value, crawl_time)
        back = {"今天": 0, "昨天": 1, "前天": 2}[m.group("w")]
        day = (now - timedelta(days=back)).date()
        return _build(value, day.year, day.month, day.day, m.groupdict())
    for rx in _YEARLESS:
        m = rx.fullmatch(s)
        if m:
            now = _crawl(value, crawl_time)
            return _recent(value, int(m.group("m")), int(m.group("d")), m.groupdict(), now)
    return None


def parse_date(value: object, *, crawl_time: datetime | None = None) -> datetime:
    """Parse one date value into a naive datetime in China Standard Time.

    Args:
        value: a string, int/float (unix time or YYYYMMDD), ``datetime`` or ``date``.
        crawl_time: when the page was crawled; needed for relative forms (``3小时前``).
            A naive crawl time is taken as China Standard Time.

    Returns:
        The datetime, naive, in UTC+8.

    Raises:
        DateParseError: the value is empty or in no accepted form (the message lists the forms), or it is
            relative and no crawl_time was given.
    """
    if isinstance(value, bool) or value is None:
        raise _fail(value, "empty" if value is None else "a boolean is not a date")
    if isinstance(value, datetime):
        return _to_cst(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int):
        if 19000101 <= value <= 21001231:
            return parse_date(str(value))
        return _from_unix(value, float(value))
    if isinstance(value, float):
        return _from_unix(value, value)
    if not isinstance(value, str):
        if type(value).__name__ == "datetime64":  # numpy, without importing it
            return parse_date(str(value))
        raise _fail(value, f"unsupported type {type(value).__name__}")
    s = value.translate(_FULLWIDTH_DIGITS).strip()
    if not s:
        raise _fail(value, "empty")
    if _NUMERIC.fullmatch(s) and not (s.isdigit() and len(s) in (8, 12, 14) and s[:2] in ("19", "20")):
        return _from_unix(value, float(s))
    for rx in _ABSOLUTE:
        m = rx.fullmatch(s)
        if m:
            return _build(value, int(m.group("y")), int(m.group("m")), int(m.group("d")), m.groupdict())
    if _WEIBO.fullmatch(s):
        try:
            return _to_cst(datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y"))
        except ValueError as exc:
            raise _fail(value, str(exc)) from None
    rel = _relative(value, s, crawl_time)
    if rel is not None:
        return rel
    return _fallback(value, s)


def _fallback(value: object, s: str) -> datetime:
    try:  # other ISO 8601 spellings, e.g. nanosecond fractions from numpy/pandas
        return _to_cst(datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", s)))
    except ValueError:
        pass
    raise _fail(value, "no accepted form matches")

