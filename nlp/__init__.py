"""The Chinese NLP layer: segmentation, domain lexicon, sentences, relevance prefilter, evidence spans, spaCy.

Modules (each builds its objects explicitly; nothing is loaded on import):

* :mod:`nlp.segment` — :class:`~nlp.segment.Segmenter`: jieba semantics + the domain dictionary, with
  rjieba as a token-identical fast backend (:mod:`nlp.backends` explains how); ``stigmascope segment``.
* :mod:`nlp.userdict` — user dictionary files (TSV with a header, or jieba's ``word freq tag``).
* :mod:`nlp.lexicon` — the domain lexicon (``data/domain_dict.tsv``) with categories, and stopwords.
* :mod:`nlp.sentences` — sentence spans as exact character offsets.
* :mod:`nlp.prefilter` — the high-recall lexical relevance gate (``data/prefilter_terms.txt``).
* :mod:`nlp.spans` — evidence spans per taxonomy score key, migrant referents and places.
* :mod:`nlp.pipeline` — a spaCy pipeline with the segmenter as tokenizer and span components
  (:mod:`nlp.spacy_tokenizer`, :mod:`nlp.spacy_components`).
* :mod:`nlp.bench` — speed, parity, throughput and recall figures (``python -m nlp.bench``).
"""
