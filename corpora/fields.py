"""Map input fields onto document fields: the ``--map`` spec, dotted paths, and automatic mapping.

Spec syntax (``--map``): comma-separated ``TARGET=SOURCE`` pairs. ``SOURCE`` is a field name or a dotted
path into nested JSON (``user.location``; a number indexes a list: ``pics.0``); ``a+b`` joins several
fields (text with a newline, other targets with a space: ``city=province+city``); a quoted value is a
literal (``source='weibo'``). Targets: ``text, title, id, date, city, source, outlet`` — ``title`` is put
before the text on its own line.

Example:
    >>> fm = parse_map("text=record.text,date=record.time,city=record.user.location,source='weibo'")
    >>> fm.extract({"record": {"text": "在深圳打工", "time": 1349768694, "user": {"location": "广东 深圳"}}})
    {'text': '在深圳打工', 'date': 1349768694, 'city': '广东 深圳', 'source': 'weibo'}
    >>> auto_map([{"mid": "1", "created_at": "2023-05-01", "text": "讨薪", "user": {"location": "北京"}}]).describe()
    'text←text, id←mid, date←created_at, city←user.location'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stigmascope.errors import ConfigError, InputError

__all__ = ["TARGETS", "FieldMap", "FieldSource", "auto_map", "get_path", "parse_map"]

TARGETS = ("text", "title", "id", "date", "city", "source", "outlet")
_JOIN = {"text": "\n", "title": " "}

# Candidate names per target, most specific first; matched against full dotted paths, then leaf names.
_AUTO: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "正文", "内容", "內容", "微博正文", "full_text", "body", "message", "article",
             "weibo_text", "post_text", "post", "summary"),
    "title": ("title", "标题", "標題", "headline", "subject"),
    "id": ("id", "mid", "_id", "idstr", "weibo_id", "微博id", "post_id", "doc_id", "article_id", "uuid",
           "编号", "序号"),
    "date": ("date", "created_at", "发布时间", "time", "publish_time", "pub_date", "pubdate", "datetime",
             "timestamp", "created_time", "post_time", "日期", "时间", "時間", "发布日期", "發佈時間", "publish_date"),
    "city": ("city", "user.location", "location", "城市", "地区", "地區", "所在地", "ip_location", "发布地",
             "region"),
    "source": ("source", "platform", "来源", "平台"),
    "outlet": ("outlet", "media", "publisher", "媒体", "媒體", "媒体名称", "site", "网站", "newspaper"),
}


@dataclass(frozen=True)
class FieldSource:
    """Where one target's value comes from: dotted paths (joined when several) or a literal."""

    paths: tuple[tuple[str, ...], ...] = ()
    literal: str | None = None

    def describe(self) -> str:
        """The spec text of this source (``user.location``, ``title+text``, ``'weibo'``)."""
        if self.literal is not None:
            return repr(self.literal)
        return "+".join(".".join(p) for p in self.paths)


@dataclass
class FieldMap:
    """Target field → :class:`FieldSource`; ``auto`` says whether it was guessed."""

    sources: dict[str, FieldSource] = field(default_factory=dict)
    auto: bool = False

    def describe(self) -> str:
        """Human-readable mapping, e.g. ``text←record.text, date←record.time``."""
        return ", ".join(f"{t}←{s.describe()}" for t, s in self.sources.items())

    def path_of(self, target: str) -> str | None:
        """The spec of a target's source (for error messages), or None when unmapped."""
        src = self.sources.get(target)
        return src.describe() if src else None

    def extract(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Pull every mapped target out of one record (missing fields are left out).

        Joined fields (``a+b``) skip missing or empty parts; a literal is returned as is.
        """
        out: dict[str, Any] = {}
        for target, src in self.sources.items():
            if src.literal is not None:
                out[target] = src.literal
                continue
            if len(src.paths) == 1:
                value = get_path(record, src.paths[0])
                if value is not _MISSING:
                    out[target] = value
                continue
            parts = [get_path(record, p) for p in src.paths]
            present = [str(v).strip() for v in parts if v is not _MISSING and v is not None and str(v).strip()]
            if present:
                out[target] = _JOIN.get(target, " ").join(present)
            elif any(v is not _MISSING for v in parts):
                out[target] = ""
        return out


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<missing>"


_MISSING: Any = _Missing()


def get_path(record: Any, path: tuple[str, ...]) -> Any:
    """Follow a dotted path through dicts and lists; a literal key containing dots wins (CSV headers).

    Returns the value, or the private ``_MISSING`` marker when any step is absent.
    """
    if len(path) == 1 and type(record) is dict:  # the common case, without ABC isinstance checks
        return record.get(path[0], _MISSING)
    if isinstance(record, Mapping) and len(path) > 1:
        joined = ".".join(path)
        if joined in record:
            return record[joined]
    cur = record
    for step in path:
        if type(cur) is dict or isinstance(cur, Mapping):
            if step not in cur:
                return _MISSING
            cur = cur[step]
        elif isinstance(cur, (list, tuple)) and step.lstrip("-").isdigit():
            idx = int(step)
            if not -len(cur) <= idx < len(cur):
                return _MISSING
            cur = cur[idx]
        else:
            return _MISSING
    return cur


def _parse_source(spec: str, target: str) -> FieldSource:
    spec = spec.strip()
    if len(spec) >= 2 and spec[0] == spec[-1] and spec[0] in "'\"":
        return FieldSource(literal=spec[1:-1])
    parts = [p.strip() for p in spec.split("+")]
    if not spec or any(not p for p in parts):
        raise ConfigError(f"--map {target}={spec!r}: empty field name; write e.g. {target}=FIELD or "
                          f"{target}=user.location")
    return FieldSource(paths=tuple(tuple(p.split(".")) for p in parts))


def parse_map(spec: str | Mapping[str, str]) -> FieldMap:
    """Parse a ``--map`` spec (``"text=content,city=user.location"``) or a dict of the same.

    Raises:
        ConfigError: unknown target (with a did-you-mean hint), a pair without ``=``, no ``text``.
    """
    if isinstance(spec, Mapping):
        pairs = list(spec.items())
    else:
        pairs = []
        for chunk in _split_pairs(spec):
            if "=" not in chunk:
                raise ConfigError(f"--map: {chunk!r} is not TARGET=FIELD (targets: {', '.join(TARGETS)})")
            target, _, source = chunk.partition("=")
            pairs.append((target.strip(), source))
    sources: dict[str, FieldSource] = {}
    for target, source in pairs:
        if target not in TARGETS:
            close = difflib.get_close_matches(target, TARGETS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"--map: unknown target {target!r}{hint}; targets are {', '.join(TARGETS)}")
        sources[target] = _parse_source(source, target)
    if "text" not in sources and "title" not in sources:
        raise ConfigError("--map must name the text field, e.g. --map text=content")
    return FieldMap(sources=_ordered(sources), auto=False)


def _split_pairs(spec: str) -> list[str]:
    """Split on commas outside quotes."""
    out, cur, quote = [], [], ""
    for ch in spec:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == ",":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return [c for c in out if c]


def _ordered(sources: dict[str, FieldSource]) -> dict[str, FieldSource]:
    return {t: sources[t] for t in TARGETS if t in sources}


def _flatten(record: Mapping[str, Any], prefix: tuple[str, ...] = (), depth: int = 0) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key, value in record.items():
        path = prefix + (str(key),)
        yield path, value
        if isinstance(value, Mapping) and depth < 4:
            yield from _flatten(value, path, depth + 1)


def auto_map(sample: Iterable[Mapping[str, Any]]) -> FieldMap:
    """Guess a mapping from sample records by common field names (``text``/``content``/``正文``…).

    Nested fields are found at any depth (the shallowest match wins: ``record.time`` before
    ``record.user.time``). When both a title and a text field exist, the title goes first.

    Raises:
        InputError: no field looks like the text; the message lists the fields seen.
    """
    paths: dict[tuple[str, ...], list[Any]] = {}
    for rec in sample:
        for path, value in _flatten(rec):
            paths.setdefault(path, []).append(value)
    if not paths:
        raise InputError("no records to guess a field mapping from; pass --map text=FIELD,...")
    taken: set[tuple[str, ...]] = set()
    sources: dict[str, FieldSource] = {}
    for target in ("text", "title", "id", "date", "city", "source", "outlet"):
        found = _find(paths, _AUTO[target], taken, textual=target in ("text", "title"))
        if found is not None:
            sources[target] = FieldSource(paths=(found,))
            taken.add(found)
    if "text" not in sources:
        if "title" not in sources:
            names = ", ".join(".".join(p) for p in list(paths)[:20])
            raise InputError(f"no text field found among: {names}; pass --map text=FIELD")
        sources["text"] = sources.pop("title")
    return FieldMap(sources=_ordered(sources), auto=True)


def _find(paths: Mapping[tuple[str, ...], list[Any]], names: tuple[str, ...], taken: set[tuple[str, ...]],
          *, textual: bool) -> tuple[str, ...] | None:
    def usable(path: tuple[str, ...]) -> bool:
        if path in taken:
            return False
        values = [v for v in paths[path] if v is not None]
        if not values:
            return False
        if any(isinstance(v, (Mapping, list)) for v in values):
            return False
        return not textual or any(isinstance(v, str) for v in values)

    for name in names:
        wanted = tuple(name.lower().split("."))
        hits = [p for p in paths if tuple(s.lower() for s in p[-len(wanted):]) == wanted and usable(p)]
        if hits:
            return min(hits, key=len)
    return None
