"""Lexicon evidence spans: where a text names migrants, places, and the taxonomy's cue words.

These are the spans annotators and report readers see ("why was this labelled ``stereotype.dirt``?").
Cue words come from the taxonomy file (:meth:`models.taxonomy.Taxonomy.cue_words`), so no label name
appears in code; migrant referents and places come from the domain lexicon.

Example:
    >>> from nlp.spans import CueMatcher
    >>> m = CueMatcher()                                   # bundled taxonomy and lexicon
    >>> found = m.find("地铁上那几个民工身上一股味，真是素质低。")
    >>> found["migrant_referent"]
    [(6, 8, '民工')]
    >>> found["stereotype.dirt"], found["stereotype.ignorance"]
    ([(10, 13, '一股味')], [(16, 19, '素质低')])

Alignment (``alignment="token"``, the default): a match counts only when it starts and ends on token
boundaries of the segmented text, so ``臭`` is not found inside ``臭豆腐``. Inside a single token that
is itself a lexicon term, matches still count (``民工`` inside ``农民工兄弟``), because lexicon
compounds are built from lexicon parts. ``alignment="char"`` matches raw substrings.
Within one key, overlapping matches keep the leftmost, then longest (``农民工`` rather than ``民工``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

from stigmascope.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from models.taxonomy import Taxonomy
    from nlp.lexicon import Lexicon
    from nlp.segment import Segmenter

__all__ = ["MIGRANT_REFERENT", "PLACE", "Alignment", "CueMatcher", "LexiconMatcher"]

MIGRANT_REFERENT = "migrant_referent"
PLACE = "place"

Span = tuple[int, int, str]


class Alignment(str, Enum):
    """How a term match must sit relative to the tokens."""

    token = "token"  #: start and end on token boundaries (or inside one lexicon-term token)
    char = "char"  #: any substring


class LexiconMatcher:
    """Find the terms of several named groups in a text (one Aho-Corasick pass).

    Args:
        groups: key → terms (e.g. ``{"place": ["城中村", "工地"]}``).
        alignment: ``token`` or ``char`` (see the module docstring).
        compound_terms: tokens inside which matches are allowed in token mode (default: the lexicon).
        segmenter: segments texts when token spans are not passed to :meth:`find` (default: a new
            :class:`nlp.segment.Segmenter`, built on first use).
    """

    def __init__(self, groups: Mapping[str, Iterable[str]], *, alignment: Alignment | str = Alignment.token,
                 compound_terms: Iterable[str] | None = None, segmenter: Segmenter | None = None) -> None:
        import ahocorasick

        try:
            self.alignment = Alignment(alignment)
        except ValueError:
            raise ConfigError(f"unknown alignment {alignment!r}; use one of {[a.value for a in Alignment]}") from None
        self.groups: dict[str, list[str]] = {k: list(dict.fromkeys(v)) for k, v in groups.items()}
        term_keys: dict[str, list[str]] = {}
        for key, terms in self.groups.items():
            for t in terms:
                if t:
                    term_keys.setdefault(t, []).append(key)
        self._automaton: Any = ahocorasick.Automaton()
        for term, keys in term_keys.items():
            self._automaton.add_word(term, (len(term), tuple(keys)))
        self._empty = not term_keys
        if not self._empty:
            self._automaton.make_automaton()
        if compound_terms is None:
            from nlp.lexicon import Lexicon

            compound_terms = Lexicon.default().terms()
        self._compounds = frozenset(compound_terms)
        self._segmenter = segmenter

    @property
    def keys(self) -> list[str]:
        """The group keys, in order."""
        return list(self.groups)

    def _token_spans(self, text: str) -> list[tuple[int, int]]:
        if self._segmenter is None:
            from nlp.segment import Segmenter

            self._segmenter = Segmenter()
        return self._segmenter.offsets(text)

    def find(self, text: str, *,
             token_spans: Sequence[tuple[int, int]] | Callable[[], tuple[list[int], list[int]]] | None = None,
             ) -> dict[str, list[Span]]:
        """Spans of each group's terms in ``text``.

        Args:
            text: the text.
            token_spans: its tokens' ``(start, end)`` spans when already segmented, or a function
                returning ``(starts, ends)`` lists (called only when some term occurs; how the spaCy
                components pass a ``Doc``'s tokens); ``None``: the text is segmented here (token
                alignment only).

        Returns:
            Every key (empty lists included) → ``(start, end, surface)`` spans sorted by start, with
            ``text[start:end] == surface``.
        """
        out: dict[str, list[Span]] = {k: [] for k in self.groups}
        if self._empty or not text:
            return out
        raw = [(end + 1 - n, end + 1, keys) for end, (n, keys) in self._automaton.iter(text)]
        if not raw:
            return out
        if self.alignment is Alignment.token:
            if callable(token_spans):
                starts, ends = token_spans()
            else:
                spans = list(token_spans) if token_spans is not None else self._token_spans(text)
                starts, ends = [a for a, _ in spans], [b for _, b in spans]
            start_set, end_set = set(starts), set(ends)
            raw = [r for r in raw
                   if (r[0] in start_set and r[1] in end_set) or self._in_compound(text, starts, ends, r[0], r[1])]
        per_key: dict[str, list[tuple[int, int]]] = {}
        for s, e, keys in raw:
            for k in keys:
                per_key.setdefault(k, []).append((s, e))
        for k, hits in per_key.items():
            out[k] = [(s, e, text[s:e]) for s, e in _leftmost_longest(hits)]
        return out

    def find_many(self, texts: Iterable[str]) -> list[dict[str, list[Span]]]:
        """:meth:`find` for many texts, segmenting them in one batch: ``(n_texts,)`` dicts."""
        items = list(texts)
        if self.alignment is Alignment.char:
            return [self.find(t) for t in items]
        if self._segmenter is None:
            from nlp.segment import Segmenter

            self._segmenter = Segmenter()
        from nlp.segment import spans_of

        return [self.find(t, token_spans=spans_of(toks)) for t, toks in zip(items, self._segmenter.cut_many(items))]

    def _in_compound(self, text: str, starts: list[int], ends: list[int], s: int, e: int) -> bool:
        """True when ``[s, e)`` lies inside one token that is a lexicon term."""
        i = bisect.bisect_right(starts, s) - 1
        if i < 0:
            return False
        ts, te = starts[i], ends[i]
        return e <= te and text[ts:te] in self._compounds


def _leftmost_longest(hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    hits = sorted(set(hits), key=lambda h: (h[0], -(h[1] - h[0])))
    kept: list[tuple[int, int]] = []
    last_end = -1
    for s, e in hits:
        if s >= last_end:
            kept.append((s, e))
            last_end = e
    return kept


class CueMatcher(LexiconMatcher):
    """Evidence spans per taxonomy score key, plus ``migrant_referent`` and ``place`` spans.

    Args:
        taxonomy: the label scheme whose cue words are matched (default: the bundled taxonomy).
        lexicon: where migrant-referent and place terms come from (default: the bundled lexicon).
        alignment: ``token`` (default) or ``char``.
        segmenter: used to segment texts in token mode (default: built on first use).

    Raises:
        ConfigError: a score key of the taxonomy is ``migrant_referent`` or ``place``.
    """

    def __init__(self, taxonomy: Taxonomy | None = None, *, lexicon: Lexicon | None = None,
                 alignment: Alignment | str = Alignment.token, segmenter: Segmenter | None = None) -> None:
        from models.taxonomy import load_taxonomy
        from nlp.lexicon import Lexicon, LexiconCategory

        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        lex = lexicon if lexicon is not None else Lexicon.default()
        cues = self.taxonomy.cue_words()
        for reserved in (MIGRANT_REFERENT, PLACE):
            if reserved in cues:
                raise ConfigError(f"taxonomy score key {reserved!r} collides with the lexicon span group of that "
                                  "name; rename the label in the taxonomy file")
        groups: dict[str, list[str]] = dict(cues)
        groups[MIGRANT_REFERENT] = lex.terms(LexiconCategory.migrant_group)
        groups[PLACE] = lex.terms(LexiconCategory.place)
        super().__init__(groups, alignment=alignment, compound_terms=lex.terms(), segmenter=segmenter)

    @property
    def cue_keys(self) -> list[str]:
        """The taxonomy score keys that have cue words."""
        return [k for k in self.groups if k not in (MIGRANT_REFERENT, PLACE)]
