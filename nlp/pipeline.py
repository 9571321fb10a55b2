"""Build the spaCy pipeline: ``spacy.blank("zh")`` with the stigmascope segmenter and lexicon span components.

Example:
    >>> from nlp.pipeline import build_pipeline
    >>> nlp = build_pipeline()
    >>> nlp.pipe_names
    ['stigmascope_migrant_referents', 'stigmascope_places', 'stigmascope_cues']
    >>> doc = nlp("街道联合社工机构在城中村开设四点半课堂")
    >>> [(s.text, s.label_) for s in doc.spans["place"]]
    [('城中村', 'place')]
    >>> docs = list(nlp.pipe(["外地人素质太低", "今天上海气温回升"], batch_size=64))
    >>> [len(d.spans["migrant_referent"]) for d in docs]
    [1, 0]

The pipeline's config names the tokenizer (``stigmascope.SegmenterTokenizer.v1``) and holds every
component's term list, so ``spacy.util.load_model_from_config(nlp.config)`` recreates it and
``nlp.to_disk`` / ``spacy.load`` round-trip it (import :mod:`nlp.pipeline` first, which registers the
factories).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import spacy

    from models.taxonomy import Taxonomy
    from nlp.lexicon import Lexicon
    from nlp.segment import SegmenterConfig

__all__ = ["build_pipeline", "register"]


def register() -> None:
    """Register the tokenizer and the component factories with spaCy (idempotent)."""
    import nlp.spacy_components
    import nlp.spacy_tokenizer  # noqa: F401  (registers the tokenizer)


def build_pipeline(taxonomy: Taxonomy | None = None, *, segmenter_config: SegmenterConfig | None = None,
                   matchers: bool = True, lexicon: Lexicon | None = None,
                   alignment: str = "token") -> spacy.Language:
    """A blank Chinese spaCy pipeline with the stigmascope segmenter and (optionally) span components.

    Args:
        taxonomy: whose cue words the ``stigmascope_cues`` component marks (default: bundled taxonomy).
        segmenter_config: segmenter settings (default: auto backend, domain dictionary, HMM on).
        matchers: add the three span components (``migrant_referent``, ``place``, ``cues`` span groups).
        lexicon: where migrant-referent and place terms come from (default: bundled lexicon).
        alignment: ``token`` (spans on token boundaries) or ``char``.

    Returns:
        The ``spacy.Language``; ``nlp(text)`` and ``nlp.pipe(texts, batch_size=…)`` work.
    """
    import spacy

    from models.taxonomy import load_taxonomy
    from nlp.lexicon import Lexicon, LexiconCategory
    from nlp.segment import Backend, SegmenterConfig

    register()
    cfg = segmenter_config if segmenter_config is not None else SegmenterConfig()
    tokenizer_cfg = {
        "@tokenizers": "stigmascope.SegmenterTokenizer.v1",
        "backend": Backend(cfg.backend).value,
        "hmm": cfg.hmm,
        "domain_dict": cfg.domain_dict,
        "user_dicts": list(cfg.user_dicts),
    }
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": tokenizer_cfg}})
    if matchers:
        tax = taxonomy if taxonomy is not None else load_taxonomy()
        lex = lexicon if lexicon is not None else Lexicon.default()
        nlp.add_pipe("stigmascope_migrant_referents",
                     config={"terms": lex.terms(LexiconCategory.migrant_group), "alignment": alignment})
        nlp.add_pipe("stigmascope_places", config={"terms": lex.terms(LexiconCategory.place), "alignment": alignment})
        nlp.add_pipe("stigmascope_cues", config={"cues": tax.cue_words(), "alignment": alignment})
    return nlp
