"""The relevance cascade: the NLP layer's prefilter decides which documents reach the transformer.

A document in which no migrant referent occurs cannot be relevant under the codebook, so it is recorded
as ``relevant: false`` with :data:`SKIP_REASON` and never encoded. The same prefilter, applied per
sentence, focuses long documents on the sentences that mention migrants (``models.windows.focus_text``).

Example:
    >>> from models.cascade import Cascade       # doctest: +SKIP
    >>> Cascade.default().passes_many(["农民工讨薪", "今天天气不错"])   # doctest: +SKIP
    [True, False]
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Sequence

from models.windows import WindowSpec, focus_text

__all__ = ["SKIP_REASON", "EMPTY_REASON", "Cascade"]

SKIP_REASON = "prefilter: no migrant referent"
EMPTY_REASON = "empty text"


class Cascade:
    """Prefilter + sentence splitter from the NLP layer.

    Args:
        prefilter: an object with ``passes(text) -> bool`` and ``passes_many(texts) -> list[bool]``.
        split_sentences: ``text -> [(start, end), …]``.
    """

    def __init__(self, prefilter: Any, split_sentences: Callable[[str], list[tuple[int, int]]]) -> None:
        self.prefilter, self.split_sentences = prefilter, split_sentences

    @classmethod
    def default(cls) -> "Cascade":
        """The NLP layer's default prefilter (built-in migrant lexicon) and sentence splitter."""
        from nlp.prefilter import Prefilter
        from nlp.sentences import split_sentences

        return cls(Prefilter.default(), split_sentences)

    def passes_many(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text may be relevant (mentions a migrant referent)."""
        return [bool(x) for x in self.prefilter.passes_many(list(texts))]

    def focuser(self, spec: WindowSpec) -> Callable[[str], str]:
        """``text -> focus text`` for these window settings (identity when ``spec.focus`` is off)."""
        if not spec.focus:
            return _identity
        return partial(focus_text, spec=spec, passes=self.prefilter.passes, split=self.split_sentences)


def _identity(text: str) -> str:
    return text
