"""Text normalisation: one clean Simplified string of the author's own words, plus what was taken out.

Steps, each switchable in :class:`NormaliseConfig` (all on by default), in this order:

1. ``html`` — tags and comments removed (``<br>``/``<p>`` become line breaks), then entities decoded.
2. ``fullwidth`` — full-width ASCII letters, digits and symbols (ＡＢＣ１２３＠＃％) become half-width. Chinese
   sentence punctuation stays as written: ，！？：；（）～ and the ideographic full stop are not ASCII look-alikes
   in Chinese text, and datelines such as ``（东莞时报记者…）`` rely on them.
3. ``urls`` — ``http(s)://…`` and ``www.…`` links removed.
4. ``repost_split`` — a Weibo repost chain ``我的话//@甲: 甲的话//@乙: …`` is split: ``text`` keeps the
   author's own words, ``quoted`` the chain (each ``@user: words`` segment normalised the same way).
5. ``mentions`` — ``@user`` removed from the text and listed in ``mentions`` (raw spelling).
6. ``hashtags`` — ``#话题#`` keeps the words (they often carry the topic) and drops the marks; the topic
   is listed in ``hashtags``.
7. ``emoji_codes`` — Weibo codes such as ``[泪]``, ``[doge]`` removed and listed in ``emojis``.
8. ``t2s`` — Traditional → Simplified with OpenCC. ``phrases`` chooses the converter for text whose raw
   script is traditional or mixed: ``auto`` (default) uses ``hk2s`` when the text has Cantonese markers
   (嘅 咗 唔 冇 …) and ``tw2sp`` otherwise, which also maps Taiwan phrases (網路→网络, 軟體→软件);
   ``off`` uses plain ``t2s`` (characters only). Simplified text with a stray traditional character gets
   ``t2s``; text with none is not converted at all (the common case, and the fast path).
9. ``whitespace`` — zero-width characters dropped, runs of spaces collapsed, blank lines collapsed.

``script`` describes the RAW text: ``traditional`` / ``simplified`` when one script's distinctive
characters (those OpenCC would convert, judged in context) make up at least 90% of the distinctive
characters, ``mixed`` otherwise, ``simplified`` for Han text with no distinctive characters (中国人 is
written the same in both), ``none`` when there is no Han character.

Example:
    >>> n = Normaliser()
    >>> r = n.normalise("轉發一下 #農民工討薪# [淚]//@小王: 支持！")
    >>> (r.text, r.quoted, r.hashtags, r.emojis, r.script)
    ('转发一下 农民工讨薪', '@小王: 支持！', ['农民工讨薪'], ['泪'], 'traditional')
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import opencc

__all__ = ["NormaliseConfig", "Normalised", "Normaliser", "PhraseMode", "Script", "ScriptDetector"]


class Script(str, Enum):
    """Writing system of a raw text."""

    simplified = "simplified"
    traditional = "traditional"
    mixed = "mixed"
    none = "none"


class PhraseMode(str, Enum):
    """Which OpenCC converter turns traditional text into simplified."""

    auto = "auto"  # hk2s with Cantonese markers, tw2sp otherwise
    tw = "tw"  # tw2sp: Taiwan characters and phrases
    hk = "hk"  # hk2s: Hong Kong variant characters
    off = "off"  # t2s: characters only


@dataclass
class NormaliseConfig:
    """Which normalisation steps run (see the module docstring for what each does).

    Attributes:
        t2s: convert Traditional to Simplified.
        phrases: converter choice for traditional text (``auto``, ``tw``, ``hk``, ``off``).
        fullwidth: full-width ASCII to half-width.
        html: strip tags and decode entities.
        urls: remove links.
        mentions: remove ``@user`` and record it.
        hashtags: drop ``#`` marks around topics (keeping the words) and record the topic.
        emoji_codes: remove ``[泪]``-style codes and record them.
        repost_split: split a Weibo ``//@user:`` chain off into ``quoted``.
        whitespace: collapse whitespace and drop zero-width characters.
    """

    t2s: bool = True
    phrases: PhraseMode | str = PhraseMode.auto
    fullwidth: bool = True
    html: bool = True
    urls: bool = True
    mentions: bool = True
    hashtags: bool = True
    emoji_codes: bool = True
    repost_split: bool = True
    whitespace: bool = True

    def __post_init__(self) -> None:
        for name in ("t2s", "fullwidth", "html", "urls", "mentions", "hashtags", "emoji_codes", "repost_split",
                     "whitespace"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(  # noqa: TRY004 - load_config turns ValueError into a ConfigError
                    f"NormaliseConfig.{name} must be true or false, got {getattr(self, name)!r}")
        try:
            self.phrases = PhraseMode(self.phrases)
        except ValueError:
            raise ValueError(f"NormaliseConfig.phrases must be one of {[m.value for m in PhraseMode]}, "
                             f"got {self.phrases!r}") from None


@dataclass(frozen=True)
class Normalised:
    """Result of :meth:`Normaliser.normalise`.

    Attributes:
        text: the author's own words, Simplified and cleaned.
        quoted: the Weibo repost chain (``@user: words //@user2: words``), normalised, or None.
        script: script of the raw text: ``simplified``, ``traditional``, ``mixed`` or ``none``.
        mentions: ``@`` handles in the author's own words, as written, in order.
        hashtags: ``#topic#`` topics in order, Simplified.
        emojis: emoji codes (``泪`` for ``[泪]``) in order, Simplified.
    """

    text: str
    quoted: str | None
    script: str
    mentions: list[str]
    hashtags: list[str]
    emojis: list[str] = field(default_factory=list)


_CANTONESE = re.compile("[嘅咗唔冇係啲嚟佢哋喺嗰囉咁噉乜嘢畀]")


class ScriptDetector:
    """Counts the characters that only one script would write here, using OpenCC in context.

    A position is *traditional* when OpenCC ``t2s`` changes it, *simplified* when ``s2t``, ``s2tw`` and
    ``s2hk`` all change it. Converting whole texts (not single characters) lets OpenCC's phrase tables
    keep characters both scripts share in that word: 后 in 皇后, 台 in 台北. Converters are made on first use.
    """

    def __init__(self) -> None:
        self._conv: dict[str, Any] = {}
        self._han = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")

    def _convert(self, name: str, text: str) -> str:
        conv = self._conv.get(name)
        if conv is None:
            import opencc

            conv = self._conv[name] = opencc.OpenCC(name)
        return conv.convert(text)

    def has_traditional(self, text: str) -> bool:
        """Whether ``text`` contains any character that ``t2s`` would change."""
        return not text.isascii() and self._convert("t2s", text) != text

    def counts(self, text: str) -> tuple[int, int]:
        """(traditional positions, simplified positions) in ``text``."""
        if text.isascii():
            return 0, 0
        t = _changed(text, self._convert("t2s", text))
        s2t = self._convert("s2t", text)
        if s2t == text:
            return t, 0
        others = [self._convert(name, text) for name in ("s2tw", "s2hk")]
        if any(len(o) != len(text) for o in [s2t, *others]):
            return t, min(_changed(text, o) for o in [s2t, *others])
        s = sum(1 for i, c in enumerate(text) if s2t[i] != c and others[0][i] != c and others[1][i] != c)
        return t, s

    def detect(self, text: str) -> Script:
        """Classify ``text`` as simplified, traditional, mixed or none (no Han characters)."""
        return self.analyse(text)[0]

    def analyse(self, text: str) -> tuple[Script, bool]:
        """(script, whether any character is traditional) for ``text``."""
        if text.isascii() or not self._han.search(text):
            return Script.none, False
        if self._convert("t2s", text) == text:  # the common case: one conversion, no counting
            return Script.simplified, False
        t, s = self.counts(text)
        if t == 0:
            return Script.simplified, False
        if s <= 0.1 * (s + t):
            return Script.traditional, True
        if t <= 0.1 * (s + t):
            return Script.simplified, True
        return Script.mixed, True


def _changed(a: str, b: str) -> int:
    if len(a) == len(b):
        return sum(1 for x, y in zip(a, b) if x != y)
    return abs(len(a) - len(b)) + sum(1 for x, y in zip(a, b) if x != y)


# full-width ASCII → half-width, except Chinese sentence punctuation (！＂＇（），：；？～)
_KEEP_FULL = set("！＂＇（），：；？～")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP_FULL}
_FULLWIDTH[0x3000] = 0x20
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")

_TAG_BREAK = re.compile(r"<\s*(?:br|/p|p|/div|div|/li|li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<!--.*?-->|<\s*/?\s*[A-Za-z][^<>]*>", re.DOTALL)
_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-])@([\w\-]{1,30})[ \t]*[:：]?")
_HASHTAG = re.compile(r"#([^#\n]{1,60}?)#")
_EMOJI = re.compile(r"\[([\u4e00-\u9fffA-Za-z]{1,8})\]")
_REPOST = re.compile(r"//\s*@")
_CHAIN_HEAD = re.compile(r"^@([\w\-]{1,30})\s*[:：]?\s*")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\f\v\xa0\u2000-\u200a\u202f\u205f]+")
_NEWLINES = re.compile(r" *(?:\r\n|\r|\n)[\s]*")


class Normaliser:
    """Normalises raw texts; holds its own OpenCC converters, created on first use.

    Args:
        config: which steps run; defaults to all.

    Example:
        >>> Normaliser().normalise("<b>ＡＢＣ&amp;１２３</b>  测试").text
        'ABC&123 测试'
    """

    def __init__(self, config: NormaliseConfig | None = None) -> None:
        self.config = config or NormaliseConfig()
        self._converters: dict[str, opencc.OpenCC] = {}
        self.detector = ScriptDetector()

    def _converter(self, name: str) -> opencc.OpenCC:
        conv = self._converters.get(name)
        if conv is None:
            import opencc

            conv = self._converters[name] = opencc.OpenCC(name)
        return conv

    def to_simplified(self, text: str, script: Script | str, *, raw_has_traditional: bool = True) -> str:
        """Convert ``text`` to Simplified, choosing the converter from the raw ``script`` and config.

        ``raw_has_traditional=False`` (the raw text had no traditional character) skips the work.
        """
        if not raw_has_traditional:
            return text
        if script not in (Script.traditional, Script.mixed) and not self.detector.has_traditional(text):
            return text
        mode = PhraseMode(self.config.phrases)
        if script in (Script.traditional, Script.mixed) and mode is not PhraseMode.off:
            if mode is PhraseMode.hk or (mode is PhraseMode.auto and _CANTONESE.search(text)):
                return self._converter("hk2s").convert(text)
            return self._converter("tw2sp").convert(text)
        return self._converter("t2s").convert(text)

    def normalise(self, raw: str) -> Normalised:
        """Normalise one raw text.

        Args:
            raw: the text as it came from the source.

        Returns:
            A :class:`Normalised` (the caller keeps ``raw`` itself).
        """
        if not isinstance(raw, str):
            raise TypeError(f"normalise() expects str, got {type(raw).__name__}")
        cfg = self.config
        script, trad = self.detector.analyse(raw)
        s = raw
        if cfg.whitespace:
            s = _ZERO_WIDTH.sub("", s)
        if cfg.html and ("<" in s or "&" in s):
            s = _TAG_BREAK.sub("\n", s)
            s = _TAG.sub("", s)
            s = html.unescape(s)
        if cfg.fullwidth and _FULLWIDTH_RE.search(s):
            s = s.translate(_FULLWIDTH)
        if cfg.urls and ("http" in s or "HTTP" in s or "www." in s):
            s = _URL.sub(" ", s)
        quoted = None
        if cfg.repost_split and "//" in s:
            m = _REPOST.search(s)
            if m:
                s, chain = s[: m.start()], s[m.end() - 1:]
                quoted = self._chain(chain, script, trad) or None
        mentions: list[str] = []
        hashtags: list[str] = []
        emojis: list[str] = []
        text = self._clean(s, script, trad, mentions, hashtags, emojis)
        return Normalised(text, quoted, script.value, mentions, hashtags, emojis)

    def _clean(self, s: str, script: Script, trad: bool, mentions: list[str], hashtags: list[str],
               emojis: list[str]) -> str:
        cfg = self.config
        if cfg.mentions and "@" in s:
            for _ in range(5):  # removing @a in @a@b exposes @b
                found = [m.group(1) for m in _MENTION.finditer(s)]
                if not found:
                    break
                mentions.extend(found)
                s = _MENTION.sub(" ", s)
        if cfg.hashtags and "#" in s:
            def tag(m: re.Match[str]) -> str:
                topic = m.group(1).strip()
                hashtags.append(self.to_simplified(topic, script, raw_has_traditional=trad) if cfg.t2s else topic)
                return f" {topic} "
            for _ in range(5):  # ##话题## and nested marks: repeat until none is left
                s, n = _HASHTAG.subn(tag, s)
                if not n:
                    break
        if cfg.emoji_codes and "[" in s:
            for _ in range(5):  # [泪[泪]] leaves [泪] behind: repeat until none is left
                found = [m.group(1) for m in _EMOJI.finditer(s)]
                if not found:
                    break
                emojis.extend(self.to_simplified(e, script, raw_has_traditional=trad) if cfg.t2s else e
                              for e in found)
                s = _EMOJI.sub("", s)
        if cfg.t2s:
            s = self.to_simplified(s, script, raw_has_traditional=trad)
        if cfg.whitespace:
            s = _ZERO_WIDTH.sub("", s)
            s = _SPACES.sub(" ", s)
            s = _NEWLINES.sub("\n", s).strip()
        return s

    def _chain(self, chain: str, script: Script, trad: bool) -> str:
        """Normalise a ``@user: words//@user2: words`` chain segment by segment, keeping the speakers."""
        parts = []
        for seg in _REPOST.split(chain):
            seg = seg if seg.startswith("@") else "@" + seg
            head = _CHAIN_HEAD.match(seg)
            user, body = (head.group(1), seg[head.end():]) if head else (None, seg)
            words = self._clean(body, script, trad, [], [], [])
            parts.append(f"@{user}: {words}".rstrip() if user else words)
        return " //".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"Normaliser({self.config!r})"

