"""A spaCy tokenizer that segments with :class:`nlp.segment.Segmenter` (domain dictionary, fast backend).

Importing this module registers ``stigmascope.SegmenterTokenizer.v1`` in spaCy's tokenizer registry,
so a pipeline built by :func:`nlp.pipeline.build_pipeline` can be recreated from its config. Saving a
pipeline (``nlp.to_disk``) stores the segmenter settings and its dictionary entries, so the saved
pipeline does not depend on the dictionary files it was built from.

Example:
    >>> from nlp.pipeline import build_pipeline
    >>> nlp = build_pipeline(matchers=False)
    >>> [t.text for t in nlp("外来务工人员的随迁子女")]
    ['外来务工人员', '的', '随迁子女']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from nlp.segment import Backend, Segmenter, SegmenterConfig
from nlp.userdict import DictEntry

__all__ = ["SegmenterTokenizer", "create_segmenter_tokenizer"]

_FILE = "segmenter.json"


class SegmenterTokenizer:
    """spaCy tokenizer: ``Doc`` tokens are the segmenter's tokens; ``doc.text`` equals the input exactly.

    Args:
        vocab: the pipeline's vocabulary.
        segmenter: a ready segmenter; or
        config: settings (a :class:`SegmenterConfig` or its keyword arguments) to build one from on
            first use, so that loading a saved pipeline does not first build a segmenter it is about
            to replace (and does not need the original dictionary files). Neither: default settings.
    """

    def __init__(self, vocab: Vocab, segmenter: Segmenter | None = None, *,
                 config: SegmenterConfig | Mapping[str, Any] | None = None) -> None:
        self.vocab = vocab
        self._segmenter = segmenter
        self._config = config

    @property
    def segmenter(self) -> Segmenter:
        """The segmenter (built on first use)."""
        if self._segmenter is None:
            cfg = self._config
            if isinstance(cfg, Mapping):
                cfg = SegmenterConfig(**cfg)
            self._segmenter = Segmenter(cfg)
        return self._segmenter

    def __call__(self, text: str) -> Doc:
        return self._make_doc(text, self.segmenter.cut(text))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Tokenize many texts, segmenting each batch in one call."""
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, texts: list[str]) -> Iterator[Doc]:
        for text, words in zip(texts, self.segmenter.cut_many(texts)):
            yield self._make_doc(text, words)

    def _make_doc(self, text: str, words: list[str]) -> Doc:
        words, spaces = get_words_and_spaces([w for w in words if w], text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # ---- serialisation ---------------------------------------------------------------------------
    def _payload(self) -> dict[str, Any]:
        seg = self.segmenter
        c = seg.config
        return {
            "backend": Backend(c.backend).value, "hmm": c.hmm, "batch_chars": c.batch_chars,
            "entries": [[e.word, e.freq, e.tag] for e in seg.entries],
        }

    def _restore(self, payload: dict[str, Any], where: str) -> None:
        cfg = SegmenterConfig(backend=payload["backend"], hmm=payload["hmm"], domain_dict=False,
                              batch_chars=payload.get("batch_chars", 200_000))
        entries = [DictEntry(w, f, t, f"{where}:entry {i}") for i, (w, f, t) in enumerate(payload["entries"], 1)]
        self._segmenter = Segmenter(cfg, entries=entries)
        self._config = cfg

    def to_bytes(self, **kwargs: Any) -> bytes:
        return json.dumps(self._payload(), ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs: Any) -> SegmenterTokenizer:
        self._restore(json.loads(data.decode("utf-8")), "<bytes>")
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / _FILE).write_text(json.dumps(self._payload(), ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: str | Path, **kwargs: Any) -> SegmenterTokenizer:
        p = Path(path) / _FILE
        self._restore(json.loads(p.read_text(encoding="utf-8")), str(p))
        return self


@spacy.registry.tokenizers("stigmascope.SegmenterTokenizer.v1")
def create_segmenter_tokenizer(backend: str = "auto", hmm: bool = True, domain_dict: bool = True,
                               user_dicts: list[str] = []) -> Callable[[Language], SegmenterTokenizer]:  # noqa: B006
    """spaCy registry entry: ``[nlp.tokenizer] @tokenizers = "stigmascope.SegmenterTokenizer.v1"``."""

    def make(nlp: Language) -> SegmenterTokenizer:
        cfg = {"backend": backend, "hmm": hmm, "domain_dict": domain_dict, "user_dicts": tuple(user_dicts)}
        return SegmenterTokenizer(nlp.vocab, config=cfg)

    return make
