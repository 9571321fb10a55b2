"""Evidence spans: token boundaries from the segmenter, and snapping a selection to them.

An annotator's selection rarely lands on word edges (a mouse drag in Chinese text ends mid-word).
Spans are widened to the segmenter's token boundaries and trimmed of punctuation and whitespace at
either end, so ``在工地上干了二十年`` selected as ``地上干`` becomes ``工地上干``, as the tokens fall.
The browser does the same snapping for instant feedback (``static/label.js``); the server's result
is the one stored.

Example:
    >>> ends = [2, 3, 4, 5, 7]                      # 农民 / 工 / 在 / 干 / 活儿  (token end offsets)
    >>> snap(1, 3, "农民工在干活儿", ends)
    (0, 3)
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from nlp.segment import Segmenter

__all__ = ["boundaries", "snap", "token_ends", "token_ends_many"]


def token_ends(text: str, segmenter: Segmenter) -> list[int]:
    """End offsets of the tokens of ``text`` (the last one is ``len(text)``; ``[]`` for empty text)."""
    return [end for _start, end in segmenter.offsets(text)]


def token_ends_many(texts: Sequence[str], segmenter: Segmenter) -> list[list[int]]:
    """:func:`token_ends` for many texts in one segmenter call: ``(n_texts,)`` lists."""
    out: list[list[int]] = []
    for toks in segmenter.cut_many(list(texts)):
        ends, pos = [], 0
        for t in toks:
            pos += len(t)
            ends.append(pos)
        out.append(ends)
    return out


def boundaries(text: str, ends: Sequence[int]) -> list[int]:
    """Sorted token boundaries: 0, the token ends, and ``len(text)`` (every character when ``ends`` is empty)."""
    if not ends:
        return list(range(len(text) + 1))
    b = sorted({0, len(text), *(e for e in ends if 0 < e < len(text))})
    return b


def _blank(piece: str) -> bool:
    return all(c.isspace() or unicodedata.category(c)[0] in "PZ" for c in piece)


def snap(start: int, end: int, text: str, ends: Sequence[int]) -> tuple[int, int] | None:
    """Widen ``[start, end)`` to token boundaries and trim blank or punctuation tokens at its edges.

    Args:
        start, end: character offsets of the selection (clamped to the text).
        text: the document text.
        ends: token end offsets (:func:`token_ends`); empty means every character is a token.

    Returns:
        The snapped ``(start, end)``, or None when nothing but punctuation or whitespace was selected.
    """
    n = len(text)
    start, end = max(0, min(int(start), n)), max(0, min(int(end), n))
    if start >= end:
        return None
    b = boundaries(text, ends)
    i = bisect.bisect_right(b, start) - 1  # last boundary <= start
    j = bisect.bisect_left(b, end)  # first boundary >= end
    while i < j and _blank(text[b[i]:b[i + 1]]):
        i += 1
    while j > i and _blank(text[b[j - 1]:b[j]]):
        j -= 1
    if i >= j:
        return None
    return b[i], b[j]
