"""Split Chinese text into sentences as exact character spans (so evidence offsets line up).

Example:
    >>> from nlp.sentences import split_sentences
    >>> text = "工地老板拖欠工资。工人们去讨薪！“还钱吧……”他说"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['工地老板拖欠工资。', '工人们去讨薪！', '“还钱吧……”', '他说']

Rules:
* A sentence ends after a run of terminators — ``。！？；!?;｡``, ellipses ``…``/``……``/``...`` — plus
  any closing quotes or brackets right after them (``”’」』）)】》"'``). ``！？``, ``？！！`` and
  ``。。。`` are one run. No break when a comma or enumeration comma follows the run (``好！”，他说``).
* A line break always ends a sentence (paragraphs of news, lines of posts).
* ``split_on_space=True`` (default): whitespace between two CJK characters ends a sentence too, which is
  how unpunctuated Weibo posts separate their clauses (``今天好累 不想上班``). Whitespace around Latin
  words and numbers does not (``iPhone 15``).
* ``max_chars``: a sentence longer than this is cut again, preferably after a comma ``，,、：:``
  (the last one inside the limit), otherwise at the limit.
* Spans exclude surrounding whitespace; whitespace-only pieces are dropped. ``text[s:e]`` is always
  the sentence, unchanged.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["sentences", "split_sentences"]

_CLOSERS = "”’」』）)】》〉\"'"
_BOUNDARY = re.compile(
    r"(?:[。！？；!?;｡]|…+|⋯+|\.{3,}|(?<=[^\x00-\x7f])\.(?=\s|$))+[" + re.escape(_CLOSERS) + r"]*"
)
_NO_BREAK_AFTER = "，,、"
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
_SPACE_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\u3000\u00a0]+(?=[{_CJK}])")
_LINE = re.compile(r"[^\r\n]+")
_WEAK = re.compile(r"[，,、：:]")


def split_sentences(text: str, *, split_on_space: bool = True, max_chars: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``.

    Args:
        text: any text (news article, post, comment).
        split_on_space: also break at whitespace between two CJK characters.
        max_chars: cut sentences longer than this (``None``: no limit); must be >= 2.

    Returns:
        ``(start, end)`` spans in order, non-overlapping, each with ``text[start:end].strip()`` non-empty
        and equal to ``text[start:end]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_sentences expects a str, got {type(text).__name__}")
    if max_chars is not None and max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        for s, e in _split_line(text, line.start(), line.end(), split_on_space):
            s, e = _strip(text, s, e)
            if s >= e:
                continue
            if max_chars is not None and e - s > max_chars:
                spans.extend(_cap(text, s, e, max_chars))
            else:
                spans.append((s, e))
    return spans


def sentences(text: str, **kwargs: object) -> list[str]:
    """The sentences of ``text`` as strings (same rules and options as :func:`split_sentences`)."""
    return [text[s:e] for s, e in split_sentences(text, **kwargs)]  # type: ignore[arg-type]


def _split_line(text: str, start: int, end: int, split_on_space: bool) -> list[tuple[int, int]]:
    cuts = [start]
    for m in _BOUNDARY.finditer(text, start, end):
        nxt = m.end()
        if nxt < end and text[nxt] in _NO_BREAK_AFTER:
            continue
        cuts.append(nxt)
    if split_on_space:
        for m in _SPACE_BREAK.finditer(text, start, end):
            cuts.append(m.start())
            cuts.append(m.end())
    cuts.append(end)
    cuts = sorted(set(cuts))
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _cap(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    while e - s > max_chars:
        limit = s + max_chars
        cut = None
        for m in _WEAK.finditer(text, s, limit):
            cut = m.end()
        if cut is None or cut <= s:
            cut = limit
        a, b = _strip(text, s, cut)
        if a < b:
            out.append((a, b))
        s, _ = _strip(text, cut, e)
    if s < e:
        out.append((s, e))
    return out
