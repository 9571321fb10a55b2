"""The domain lexicon (migrant group terms, policies, labour, community practice, stereotypes, places) and stopwords.

The lexicon is a data file, ``nlp/data/domain_dict.tsv``, which is also the segmenter's default user
dictionary, so every lexicon term comes out of :class:`nlp.segment.Segmenter` as one token.

Example:
    >>> from nlp.lexicon import Lexicon, LexiconCategory, load_stopwords
    >>> lex = Lexicon.default()
    >>> "积分落户" in lex.terms(LexiconCategory.institution_policy)
    True
    >>> lex.category_of("低端人口")
    <LexiconCategory.stereotype_slur: 'stereotype_slur'>
    >>> "的" in load_stopwords()
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path

from stigmascope.errors import InputError

__all__ = ["Lexicon", "LexiconCategory", "LexiconEntry", "default_domain_dict_path", "load_stopwords"]


class LexiconCategory(str, Enum):
    """What a lexicon term names."""

    migrant_group = "migrant_group"  #: words for migrants and their children (农民工, 新市民, 随迁子女)
    institution_policy = "institution_policy"  #: hukou, permits, schooling rules, welfare (积分落户, 五证)
    labour = "labour"  #: wages, contracts, injury, labour markets (讨薪, 工伤)
    community_practice = "community_practice"  #: schools, NGOs, services for migrants (工友之家)
    stereotype_slur = "stereotype_slur"  #: stereotype and slur vocabulary (低端人口, 乡巴佬, 盲流)
    place = "place"  #: places where migrants live and work (城中村, 群租房, 工地)


@dataclass(frozen=True)
class LexiconEntry:
    """One term of the lexicon."""

    term: str
    category: LexiconCategory
    freq: int | None = None
    pos: str | None = None
    note: str = ""


def default_domain_dict_path() -> Path:
    """Path of the bundled lexicon / user dictionary (``nlp/data/domain_dict.tsv``)."""
    return Path(str(resources.files("nlp") / "data" / "domain_dict.tsv"))


class Lexicon:
    """A set of domain terms, each with a category.

    Args:
        entries: the terms (a term may appear once).

    Raises:
        InputError: a term is listed twice.
    """

    def __init__(self, entries: list[LexiconEntry]) -> None:
        self.entries = list(entries)
        self._by_term: dict[str, LexiconEntry] = {}
        for e in self.entries:
            if e.term in self._by_term:
                raise InputError(f"term {e.term!r} is listed twice in the lexicon; keep one row", field="term")
            self._by_term[e.term] = e

    @classmethod
    def default(cls) -> Lexicon:
        """The bundled lexicon."""
        return cls.from_tsv(default_domain_dict_path())

    @classmethod
    def from_tsv(cls, path: str | Path) -> Lexicon:
        """Read a lexicon TSV (header ``term, category[, freq, pos, note]``; ``#`` lines are comments).

        Raises:
            InputError: naming the file, line and field of the first bad row.
        """
        from nlp.userdict import read_user_dict

        p = Path(path)
        dict_entries = read_user_dict(p)  # checks term, freq and pos
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        rows = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
        header = [h.strip().lower() for h in rows[0][1].split("\t")] if rows else []
        if "category" not in header:
            raise InputError(f"the header row has no 'category' column (found {header})",
                             path=str(p), line=rows[0][0] if rows else 1, field="category")
        col_cat = header.index("category")
        col_note = header.index("note") if "note" in header else None
        known = [c.value for c in LexiconCategory]
        out: list[LexiconEntry] = []
        for (lineno, raw), de in zip(rows[1:], dict_entries):
            cells = raw.split("\t") + [""] * len(header)
            cat = cells[col_cat].strip()
            if cat not in known:
                close = difflib.get_close_matches(cat, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InputError(f"unknown category {cat!r}{hint}; use one of {known}",
                                 path=str(p), line=lineno, field="category")
            note = cells[col_note].strip() if col_note is not None else ""
            out.append(LexiconEntry(de.word, LexiconCategory(cat), de.freq, de.tag, note))
        return cls(out)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[LexiconEntry]:
        return iter(self.entries)

    def __contains__(self, term: object) -> bool:
        return term in self._by_term

    def terms(self, category: LexiconCategory | str | None = None) -> list[str]:
        """Terms of one category (all terms when ``category`` is ``None``), in file order."""
        if category is None:
            return [e.term for e in self.entries]
        cat = LexiconCategory(category)
        return [e.term for e in self.entries if e.category is cat]

    def category_of(self, term: str) -> LexiconCategory | None:
        """The category of ``term``, or ``None`` when it is not in the lexicon."""
        e = self._by_term.get(term)
        return e.category if e else None

    def categories(self) -> dict[str, int]:
        """Number of terms per category."""
        counts = {c.value: 0 for c in LexiconCategory}
        for e in self.entries:
            counts[e.category.value] += 1
        return counts


def load_stopwords(lang: str = "zh", *, extra: set[str] | None = None) -> frozenset[str]:
    """Stopwords from the maintained ``stopwords-iso`` list (package ``stopwordsiso``).

    Args:
        lang: ISO 639-1 code (``zh`` for Chinese).
        extra: words to add (e.g. corpus-specific boilerplate).

    Returns:
        The stopword set (794 words for ``zh`` in stopwordsiso 0.7).
    """
    import stopwordsiso

    if not stopwordsiso.has_lang(lang):
        raise InputError(f"stopwords-iso has no list for language {lang!r}", field="lang")
    words = set(stopwordsiso.stopwords(lang))
    if extra:
        words |= set(extra)
    return frozenset(words)
