"""Relevance prefilter: a lexical test with very high recall that skips documents that cannot be about migrants.

The classifier gates on it: a document the prefilter rejects is recorded as not relevant (with a
``skip_reason``) without being classified, so recall matters far more than precision. It is an
Aho-Corasick automaton (pyahocorasick) over migrant-referent terms and common context words
(``nlp/data/prefilter_terms.txt``), with traditional-character forms added by OpenCC.

Example:
    >>> from nlp.prefilter import Prefilter
    >>> pf = Prefilter.default()
    >>> pf.passes("工地老板拖欠了三十多名农民工半年工资")
    True
    >>> pf.passes("今天上海气温回升，适合出游。")
    False
    >>> pf.hits("外來務工人員")[0]
    (0, 4, '外来务工')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from stigmascope.errors import ConfigError, InputError

__all__ = ["Prefilter", "default_terms_path", "read_terms"]

# OpenCC configurations that give the traditional forms people actually write (mainland, Taiwan, HK).
_TRADITIONAL_CONFIGS = ("s2t", "s2tw", "s2hk", "s2twp")
_SET_LINE = re.compile(r"^@([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$")
_SET_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def default_terms_path() -> Path:
    """Path of the bundled term list (``nlp/data/prefilter_terms.txt``)."""
    return Path(str(resources.files("nlp") / "data" / "prefilter_terms.txt"))


def read_terms(path: str | Path) -> list[str]:
    """Read a term list: one term per line, ``#`` starts a comment, blank lines ignored.

    Word sets keep combinations short: a line ``@provinces = 河南 湖南 四川`` defines a set, and a term
    with ``{provinces}`` in it stands for one term per member (``{provinces}来的`` → ``河南来的``, …).

    Raises:
        InputError: the file is missing, a term contains whitespace, or names an undefined set (naming
            the line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("prefilter term list not found", path=str(p))
    sets: dict[str, list[str]] = {}
    terms: list[str] = []
    for lineno, raw in enumerate(p.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _SET_LINE.match(line)
        if m:
            sets[m.group(1)] = m.group(2).split()
            continue
        if any(ch.isspace() for ch in line):
            raise InputError(f"term {line!r} contains whitespace; put one term per line", path=str(p), line=lineno)
        names = _SET_REF.findall(line)
        expanded = [line]
        for name in names:
            if name not in sets:
                raise InputError(f"term {line!r} uses the set {{{name}}}, which is not defined above it; "
                                 f"define it with a line '@{name} = word word …'", path=str(p), line=lineno)
            expanded = [t.replace("{" + name + "}", w, 1) for t in expanded for w in sets[name]]
        terms.extend(expanded)
    return terms


class Prefilter:
    """Substring test over migrant-referent terms (and their traditional-character forms).

    Args:
        terms: the terms, in simplified characters.
        traditional: also match the traditional forms OpenCC gives for each term.

    Raises:
        ConfigError: no terms.
    """

    def __init__(self, terms: Iterable[str], *, traditional: bool = True) -> None:
        import ahocorasick

        self.terms: list[str] = list(dict.fromkeys(t for t in terms if t))
        if not self.terms:
            raise ConfigError("the prefilter needs at least one term")
        self.variants: dict[str, str] = {t: t for t in self.terms}  # surface form -> term
        if traditional:
            import opencc

            converters = [opencc.OpenCC(c) for c in _TRADITIONAL_CONFIGS]
            for t in self.terms:
                for conv in converters:
                    self.variants.setdefault(conv.convert(t), t)
        self._automaton: Any = ahocorasick.Automaton()
        for surface, term in self.variants.items():
            self._automaton.add_word(surface, (len(surface), term))
        self._automaton.make_automaton()

    @classmethod
    def default(cls) -> Prefilter:
        """The prefilter over the bundled term list."""
        return cls(read_terms(default_terms_path()))

    @classmethod
    def from_file(cls, path: str | Path, *, traditional: bool = True) -> Prefilter:
        """A prefilter over the terms of a file (format of :func:`read_terms`)."""
        return cls(read_terms(path), traditional=traditional)

    def __repr__(self) -> str:
        return f"Prefilter(terms={len(self.terms)}, surface_forms={len(self.variants)})"

    def passes(self, text: str) -> bool:
        """True when ``text`` contains any term (stops at the first hit)."""
        for _ in self._automaton.iter(text):
            return True
        return False

    def passes_many(self, texts: Iterable[str]) -> list[bool]:
        """:meth:`passes` for each text: ``(n_texts,)`` booleans."""
        it = self._automaton.iter
        out: list[bool] = []
        for text in texts:
            ok = False
            for _ in it(text):
                ok = True
                break
            out.append(ok)
        return out

    def hits(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence of every term: ``(start, end, term)`` with ``text[start:end]`` the surface form.

        ``term`` is the simplified term (the surface form may be traditional). Overlapping hits are all
        returned (``农民工`` also yields ``民工``), sorted by start, then longest first.
        """
        out = [(end + 1 - n, end + 1, term) for end, (n, term) in self._automaton.iter(text)]
        out.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        return out
