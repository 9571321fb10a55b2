"""spaCy components that mark lexicon evidence as span groups: migrant referents, places, taxonomy cues.

Importing this module registers three factories:

* ``stigmascope_migrant_referents`` → ``doc.spans["migrant_referent"]`` (label ``migrant_referent``)
* ``stigmascope_places`` → ``doc.spans["place"]`` (label ``place``)
* ``stigmascope_cues`` → ``doc.spans["cues"]``, each span labelled with its taxonomy score key
  (``stereotype.dirt`` …)

Their term lists are part of the component config (``terms`` / ``cues``), so ``nlp.config`` recreates
the pipeline exactly; ``None`` means the bundled lexicon / taxonomy. Matching is the same as
:class:`nlp.spans.LexiconMatcher` on the doc's own tokens. spaCy spans cover whole tokens, so a match
inside a lexicon compound (``农民工`` inside the token ``农民工工资``) becomes a span over that token;
:meth:`nlp.spans.CueMatcher.find` gives the exact characters.

Example:
    >>> from nlp.pipeline import build_pipeline
    >>> doc = build_pipeline()("工地老板拖欠了三十多名农民工半年工资")
    >>> [(s.text, s.label_) for s in doc.spans["migrant_referent"]]
    [('农民工', 'migrant_referent')]
    >>> [(s.text, s.label_) for s in doc.spans["cues"]]
    [('农民工', 'relevant')]
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc

from nlp.spans import MIGRANT_REFERENT, PLACE, LexiconMatcher

__all__ = ["CUES_KEY", "LexiconSpans"]

CUES_KEY = "cues"


class LexiconSpans:
    """Set ``doc.spans[span_key]`` to the lexicon matches of a :class:`LexiconMatcher`.

    Args:
        matcher: the matcher (its group keys become span labels unless ``label`` is given).
        span_key: the ``doc.spans`` key to write.
        label: one label for every span (``None``: the matcher's group key).
    """

    def __init__(self, matcher: LexiconMatcher, span_key: str, label: str | None = None) -> None:
        self.matcher = matcher
        self.span_key = span_key
        self.label = label

    def __call__(self, doc: Doc) -> Doc:
        found = self.matcher.find(doc.text, token_spans=lambda: _token_bounds(doc))
        seen: set[tuple[int, int, str]] = set()
        spans = []
        for key, hits in found.items():
            label = self.label or key
            for s, e, _ in hits:
                span = doc.char_span(s, e, label=label, alignment_mode="expand")
                if span is not None and (span.start, span.end, label) not in seen:
                    seen.add((span.start, span.end, label))
                    spans.append(span)
        spans.sort(key=lambda sp: (sp.start_char, sp.end_char, sp.label_))
        doc.spans[self.span_key] = spans
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)


def _token_bounds(doc: Doc) -> tuple[list[int], list[int]]:
    """Start and end character offsets of the tokens (read as arrays, not token by token)."""
    from spacy.attrs import IDX, LENGTH

    if len(doc) == 0:
        return [], []
    arr = doc.to_array([IDX, LENGTH])
    return arr[:, 0].tolist(), (arr[:, 0] + arr[:, 1]).tolist()


def _lexicon_terms(category: str) -> list[str]:
    from nlp.lexicon import Lexicon

    return Lexicon.default().terms(category)


@Language.factory("stigmascope_migrant_referents", default_config={"terms": None, "alignment": "token"})
def make_migrant_referents(nlp: Language, name: str, terms: list[str] | None, alignment: str) -> LexiconSpans:
    """Migrant-referent spans (default terms: the lexicon's ``migrant_group`` category)."""
    terms = list(terms) if terms is not None else _lexicon_terms("migrant_group")
    return LexiconSpans(LexiconMatcher({MIGRANT_REFERENT: terms}, alignment=alignment), MIGRANT_REFERENT)


@Language.factory("stigmascope_places", default_config={"terms": None, "alignment": "token"})
def make_places(nlp: Language, name: str, terms: list[str] | None, alignment: str) -> LexiconSpans:
    """Place spans (default terms: the lexicon's ``place`` category)."""
    terms = list(terms) if terms is not None else _lexicon_terms("place")
    return LexiconSpans(LexiconMatcher({PLACE: terms}, alignment=alignment), PLACE)


@Language.factory("stigmascope_cues", default_config={"cues": None, "alignment": "token"})
def make_cues(nlp: Language, name: str, cues: dict[str, list[str]] | None, alignment: str) -> LexiconSpans:
    """Cue-word spans labelled by taxonomy score key (default cues: the bundled taxonomy's)."""
    if cues is None:
        from models.taxonomy import load_taxonomy

        cues = load_taxonomy().cue_words()
    return LexiconSpans(LexiconMatcher(dict(cues), alignment=alignment), CUES_KEY)
