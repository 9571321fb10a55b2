"""The two segmentation engines behind :class:`nlp.segment.Segmenter`: jieba, and rjieba made token-identical.

``JiebaBackend`` is a private ``jieba.Tokenizer`` with the user words added — the reference semantics.

``RJiebaBackend`` wraps ``rjieba.Jieba`` (jieba-rs, ~15× faster) and removes every difference from
jieba 0.42.1 that was found on real news transcripts and in property tests:

1. **Dictionary total.** jieba's ``dict.txt`` lists ``B超`` twice; jieba adds both frequencies to its
   total, jieba-rs counts the word once. jieba also keeps adding when a user word replaces an
   existing one, jieba-rs subtracts the old frequency. The total enters every path score
   (``log(freq) - log(total)``), so exact ties round differently: ``哈哈哈哈哈`` is ``哈哈哈 / 哈哈`` in
   jieba and ``哈哈 / 哈哈哈`` in rjieba (7 of the first 300,000 hot-search titles differed this way).
   Fix: an extra dictionary entry that cannot occur in text (private-use characters) carries the
   difference, so both totals are equal to the last unit (then 0 of those titles differ this way).
2. **User-word frequencies.** jieba-rs's default frequency for a word without one is computed in
   floating point in a different way. Fix: every user word gets an explicit frequency — the one the
   dictionary file gives, or the one jieba itself assigns (computed by a real jieba tokenizer, only
   when a file leaves frequencies out; the bundled dictionary gives all of them).
3. **Non-Chinese runs inside HMM buffers.** For unknown character runs jieba's HMM splits Latin and
   digit parts with ``[a-zA-Z0-9]+(?:\\.\\d+)?%?``, giving ``F - 16`` and ``2023 - 09 - 04T14``;
   jieba-rs keeps ``F-16`` and ``repaste.body.begin`` whole. Fix: such tokens (and their run of
   neighbours made of the same characters) are split again with jieba's rule.
4. **Rare CJK characters.** jieba's text blocks are ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]+``;
   jieba-rs also admits CJK extension A/B…, compatibility ideographs and U+9FD6–9FFF. jieba treats
   those characters as block boundaries and emits each alone, so the text is cut at them first.

Residual (not mended): jieba-rs carries its own copy of the HMM probability tables. When the two best
Viterbi paths of an unknown character run are within about 1e-7 in log-probability, the libraries can
choose differently: for ``好景常在后`` jieba scores S·S·S at −19.73418835 and B·E·S at −19.73418850
and keeps ``常 / 在``, rjieba joins ``常在``. Measured by ``nlp/bench.py``: 0 of 24,102 news items
(0 of 140,153 lines), 1 of 718,186 hot-search titles; random strings of repeated characters about 3 in
100,000. Mending it would mean re-running the HMM in Python on every unknown run, which costs most of
the speed.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from nlp.userdict import DictEntry

__all__ = ["JiebaBackend", "MainDictStats", "RJiebaBackend", "read_main_dict_stats"]

# Characters jieba-rs puts inside text blocks but jieba does not (jieba splits the text at them).
_WIDE_CJK = re.compile(
    "[\u2E80-\u2FDF\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U000323AF]"
)
# jieba's text block (jieba/__init__.py, re_han_default), and its characters as a set.
_BLOCK_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
_BLOCK_END = re.compile(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")
_ASCII_FULL = re.compile(r"[a-zA-Z0-9+#&._%\-]+\Z")
# Where jieba and jieba-rs 0.x can split an unknown ASCII run differently. jieba splits it with
# ``[a-zA-Z0-9]+(?:\.\d+)?%?``; jieba-rs also joins letters/digits across '-', '_' and '.', so runs
# differ exactly when such a join goes beyond jieba's pattern: ``F-16``, ``9_11``, ``a.b``, ``10.499Z``,
# ``1.2.3``. Plain decimals and percentages (``3.5``, ``50%``) are cut alike and do not trigger.
# (Written symbol-first, which scans Chinese text about four times faster than letter-first.)
_ASCII_TRIGGER = re.compile(
    r"[._\-](?:(?<=[a-zA-Z0-9][_\-])(?=[a-zA-Z0-9])|(?<=[a-zA-Z0-9]\.)(?:\d*[a-zA-Z]|\d+[._\-][a-zA-Z0-9]))"
)
# jieba's HMM rule for non-Chinese parts of an unknown buffer (jieba/finalseg/__init__.py, re_skip).
_JIEBA_HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# A dictionary entry that can never match text: private-use characters are never in a jieba block.
_TOTAL_PAD_WORD = "\ue000\ue001"
# Joins texts for one batched call: not whitespace to jieba-rs, a single-character token to both.
BATCH_SEPARATOR = "\x1e"
_LONG_TEXT = 512


def _in_block(ch: str) -> bool:
    return ch in _BLOCK_CHARS or "\u4e00" <= ch <= "\u9fd5"


def _trigger_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the jieba blocks of ``text`` that contain an ASCII trigger, in order, merged."""
    spans: list[tuple[int, int]] = []
    for m in _ASCII_TRIGGER.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        start = m.start()
        while start > 0 and _in_block(text[start - 1]):
            start -= 1
        end_m = _BLOCK_END.search(text, m.end())
        spans.append((start, end_m.start() if end_m else len(text)))
    return spans


@contextmanager
def _quiet_jieba() -> Iterator[None]:
    """Silence jieba's "Building prefix dict…" log lines for the duration, then restore its level."""
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _jieba_dict_path() -> str:
    import jieba

    return os.path.join(os.path.dirname(jieba.__file__), "dict.txt")


@dataclass(frozen=True)
class MainDictStats:
    """What jieba and jieba-rs each compute from jieba's main ``dict.txt``.

    Attributes:
        freq: word → frequency (the last line wins for a repeated word, as in both libraries).
        total_lines: jieba's total: the sum over every line, repeated words counted each time.
        total_unique: jieba-rs's total: the sum over distinct words.
    """

    freq: dict[str, int]
    total_lines: int
    total_unique: int


def read_main_dict_stats(path: str | None = None) -> MainDictStats:
    """Read jieba's main dictionary (``word freq tag`` per line) into :class:`MainDictStats` (~0.2 s)."""
    with open(path or _jieba_dict_path(), "rb") as fh:
        data = fh.read().decode("utf-8")
    parts = data.split()
    n_lines = sum(1 for ln in data.splitlines() if ln.strip())
    if len(parts) == 3 * n_lines:  # the shipped file: always word, freq, tag
        words, freqs = parts[0::3], list(map(int, parts[1::3]))
    else:  # tolerate lines without a tag
        words, freqs = [], []
        for ln in data.splitlines():
            cells = ln.split()
            if cells:
                words.append(cells[0])
                freqs.append(int(cells[1]) if len(cells) > 1 else 0)
    freq = dict(zip(words, freqs))
    return MainDictStats(freq=freq, total_lines=sum(freqs), total_unique=sum(freq.values()))


class JiebaBackend:
    """A private ``jieba.Tokenizer`` (no shared state with ``jieba.cut``) with the user words added."""

    name = "jieba"

    def __init__(self, entries: Sequence[DictEntry], *, hmm: bool = True) -> None:
        import jieba

        self.hmm = hmm
        self._tok = jieba.Tokenizer()
        with _quiet_jieba():
            self._tok.initialize()
        #: the frequency jieba assigned to each entry, in order (read by RJiebaBackend)
        self.resolved: list[int] = []
        for e in entries:
            self._tok.add_word(e.word, e.freq, e.tag)
            self.resolved.append(self._tok.FREQ[e.word])

    @property
    def total(self) -> int:
        return int(self._tok.total)

    def cut(self, text: str) -> list[str]:
        return self._tok.lcut(text, HMM=self.hmm)

    def cut_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self._tok.lcut(t, HMM=self.hmm) for t in texts]


class RJiebaBackend:
    """``rjieba.Jieba`` plus the four fixes in the module docstring: same tokens as jieba, ~15× faster.

    Raises:
        ImportError: rjieba is not installed (the caller falls back to jieba).
    """

    name = "rjieba"

    def __init__(self, entries: Sequence[DictEntry], *, hmm: bool = True,
                 main_stats: MainDictStats | None = None) -> None:
        import rjieba

        self.hmm = hmm
        self._r = rjieba.Jieba()
        stats = main_stats or read_main_dict_stats()
        freqs: list[int]
        if any(e.freq is None for e in entries):
            freqs = JiebaBackend(entries, hmm=hmm).resolved  # jieba's own suggest_freq, exactly
        else:
            freqs = [int(e.freq) for e in entries]  # type: ignore[arg-type]
        jieba_total, rjieba_total = stats.total_lines, stats.total_unique
        current: dict[str, int] = {}
        for e, freq in zip(entries, freqs):
            old = current.get(e.word, stats.freq.get(e.word, 0))
            self._r.add_word(e.word, freq, e.tag or "")
            current[e.word] = freq
            jieba_total += freq  # jieba adds, even when the word was already there
            rjieba_total += freq - old  # jieba-rs replaces
        self.total_pad = jieba_total - rjieba_total
        if self.total_pad > 0:
            self._r.add_word(_TOTAL_PAD_WORD, self.total_pad, "x")
        self.total = jieba_total
        # words made only of block symbols/ASCII: jieba never re-splits these when the DAG chose them
        self._ascii_words = {w for w in itertools.chain(stats.freq, current)
                             if w.isascii() and _ASCII_FULL.match(w)}

    # ---- cutting ---------------------------------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        if _WIDE_CJK.search(text) is None:
            return self._cut_plain(text)
        tokens: list[str] = []
        pos = 0
        for m in _WIDE_CJK.finditer(text):  # jieba: block boundary, emitted alone (fix 4)
            if m.start() > pos:
                tokens += self._cut_plain(text[pos:m.start()])
            tokens.append(m.group())
            pos = m.end()
        if pos < len(text):
            tokens += self._cut_plain(text[pos:])
        return tokens

    def _cut_plain(self, text: str) -> list[str]:
        """Cut text without wide CJK characters; blocks holding ASCII symbols are cut apart and fixed."""
        if not self.hmm or _ASCII_TRIGGER.search(text) is None:
            return self._r.cut(text, self.hmm)
        # jieba cuts each block [\u4E00-\u9FD5a-zA-Z0-9+#&._%-]+ on its own, so the text can be cut
        # at block edges without changing any token: only blocks with a trigger need the fix.
        tokens: list[str] = []
        pos = 0
        for bs, be in _trigger_blocks(text):
            if bs > pos:
                tokens += self._r.cut(text[pos:bs], True)
            tokens += self._fix_block(self._r.cut(text[bs:be], True))
            pos = be
        if pos < len(text):
            tokens += self._r.cut(text[pos:], True)
        return tokens

    def cut_many(self, texts: Sequence[str], *, batch_chars: int = 200_000) -> list[list[str]]:
        """Cut many texts with few calls: short texts are joined by a separator both libraries emit alone.

        Joining saves per-call work for titles and posts (about 1.5× faster on one-line texts); long
        texts (over 512 characters) gain nothing from it and are cut one by one.
        """
        out: list[list[str]] = []
        lens = list(map(len, texts))
        n, i = len(texts), 0
        while i < n:
            j, size = i, 0
            while j < n and lens[j] <= _LONG_TEXT and size < batch_chars:
                size += lens[j] + 1
                j += 1
            if j == i:
                out.append(self.cut(texts[i]))
                i += 1
            else:
                self._flush(texts[i:j], out)
                i = j
        return out

    def _flush(self, batch: Sequence[str], out: list[list[str]]) -> None:
        joined = BATCH_SEPARATOR.join(batch)
        if len(batch) == 1 or joined.count(BATCH_SEPARATOR) != len(batch) - 1:
            out.extend(self.cut(t) for t in batch)  # a text holds the separator: cut each alone
            return
        tokens = self.cut(joined)
        index = tokens.index
        start = 0
        for _ in range(len(batch) - 1):
            end = index(BATCH_SEPARATOR, start)
            out.append(tokens[start:end])
            start = end + 1
        out.append(tokens[start:])

    def _fix_block(self, tokens: list[str]) -> list[str]:
        """Re-split non-Chinese HMM output of one block the way jieba's ``finalseg`` does (fix 3).

        A group is a run of consecutive tokens made only of block symbols/ASCII that are not dictionary
        words (so jieba's DAG did not choose them): in jieba they are the non-Chinese part of one
        unknown buffer, split by ``[a-zA-Z0-9]+(?:\\.\\d+)?%?``. Groups of single characters are left as
        they are (a buffer that is itself a dictionary word is split into characters by both).
        """
        out: list[str] = []
        group: list[str] = []
        for tok in tokens + [""]:
            if tok and self._is_hmm_ascii(tok):
                group.append(tok)
                continue
            if group:
                if any(len(g) > 1 for g in group):
                    out += [x for x in _JIEBA_HMM_SKIP.split("".join(group)) if x]
                else:
                    out += group
                group = []
            if tok:
                out.append(tok)
        return out

    def _is_hmm_ascii(self, token: str) -> bool:
        return token.isascii() and _ASCII_FULL.match(token) is not None and token not in self._ascii_words
