"""The inference engine: cascade, scoring, thresholds, evidence, and output rows per CONTRACTS.md.

Per chunk of documents:
1. empty texts are recorded as not relevant (``skip_reason: "empty text"``);
2. the cascade (``nlp`` prefilter) records documents without any migrant referent as not relevant
   (``skip_reason: "prefilter: no migrant referent"``, no scores) — they never reach the encoder;
3. the rest are focused, windowed, batched by length under a token budget and scored on the chosen
   backend (int8 by default, see ``models.backends``); thresholds and the gate give the labels;
4. optional evidence for predicted labels of relevant documents (``models.evidence``).

Example:
    >>> from models.infer import Engine, InferConfig                        # doctest: +SKIP
    >>> eng = Engine.load("my-model", InferConfig(evidence=False))
    >>> next(eng.classify([{"id": "1", "text": "工地欠薪，农民工讨薪难"}]))["exclusion"]
    ['employment']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from models.cascade import EMPTY_REASON, SKIP_REASON, Cascade
from models.evidence import EvidenceConfig, EvidenceFinder
from models.modeldir import LoadedModel, load_model
from models.taxonomy import FacetKind

__all__ = ["InferConfig", "Engine", "output_row"]


@dataclass
class InferConfig:
    """Inference settings.

    Attributes:
        backend: ``auto`` (the measured default), ``torch``, ``torch-bf16``, ``torch-int8``, ``onnx``, ``onnx-int8``.
        cascade: skip documents the prefilter rules out.
        evidence: compute evidence spans for predicted labels.
        evidence_units: occlusion pieces per document (extra scorings per relevant document).
        threads: CPU threads (default: all available cores).
        max_tokens: token budget per encoder batch.
        max_batch: most windows per batch.
        chunk_size: documents processed together (memory bound; progress granularity).
    """

    backend: str = "auto"
    cascade: bool = True
    evidence: bool = True
    evidence_units: int = 8
    threads: int | None = None
    max_tokens: int = 8192
    max_batch: int = 64
    chunk_size: int = 1024

    def __post_init__(self) -> None:
        from models.backends import Backend

        if self.backend != "auto":
            try:
                Backend(self.backend)
            except ValueError:
                raise ValueError(f"backend must be auto or one of {[b.value for b in Backend]}, "
                                 f"got {self.backend!r}") from None
        if self.chunk_size < 1 or self.max_tokens < 16 or self.max_batch < 1:
            raise ValueError("chunk_size, max_batch must be >= 1 and max_tokens >= 16")
        if self.evidence_units < 2:
            raise ValueError("evidence_units must be >= 2")


def _date(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    s = str(value).strip()
    return s[:10] if s else None


def _opt_str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value).strip()
    return s or None


def output_row(doc: Mapping[str, Any], model: LoadedModel, *, scores: np.ndarray | None,
               decisions: np.ndarray | None, evidence: Mapping[str, Any] | None,
               skip_reason: str | None) -> dict[str, Any]:
    """One prediction row (CONTRACTS.md "Classifier output").

    Args:
        doc: the input record (``id``, optional ``date``, ``city``, ``city_source``).
        scores: the document's probabilities ``(n_keys,)`` or None when skipped.
        decisions: its on/off decisions ``(n_keys,)`` or None when skipped.
    """
    city = _opt_str(doc.get("city"))
    row: dict[str, Any] = {"id": str(doc["id"]), "date": _date(doc.get("date")), "city": city,
                           "city_source": _opt_str(doc.get("city_source")) or ("metadata" if city else "none")}
    layout = model.layout
    labels = layout.to_labels(decisions[None, :])[0] if decisions is not None else None
    for h in layout.heads:
        f = h.facet
        if labels is not None:
            row[f.output_key] = labels[f.output_key]
        else:
            row[f.output_key] = False if f.kind is FacetKind.binary else [] if f.kind is FacetKind.multi_label else None
    row["scores"] = ({k: round(float(v), 5) for k, v in zip(layout.keys, scores)} if scores is not None else {})
    row["evidence"] = dict(evidence or {})
    row["skip_reason"] = skip_reason
    return row


class Engine:
    """Classify documents with a loaded model.

    Args:
        model: a :class:`~models.modeldir.LoadedModel`.
        config: inference settings.
        cascade: the prefilter and sentence splitter (default: the NLP layer's).
    """

    def __init__(self, model: LoadedModel, config: InferConfig | None = None, *, cascade: Cascade | None = None) -> None:
        self.model, self.config = model, config or InferConfig()
        self.cascade = cascade
        if self.config.cascade and self.cascade is None:
            self.cascade = Cascade.default()
        self._evidence: EvidenceFinder | None = None

    @classmethod
    def load(cls, model_dir: str | Path, config: InferConfig | None = None, *, taxonomy: str | Path | None = None,
             cascade: Cascade | None = None) -> "Engine":
        """Load a model directory and build an engine (threads set, backend chosen)."""
        from models.backends import set_threads

        cfg = config or InferConfig()
        set_threads(cfg.threads)
        casc = cascade or Cascade.default()
        model = load_model(Path(model_dir), backend=cfg.backend, threads=cfg.threads, max_tokens=cfg.max_tokens,
                           max_batch=cfg.max_batch, taxonomy=taxonomy, cascade=casc)
        return cls(model, cfg, cascade=casc)

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def evidence_finder(self) -> EvidenceFinder:
        """The evidence finder (built on first use: cue matcher, sentence splitter, segmenter)."""
        if self._evidence is None:
            from nlp.segment import Segmenter
            from nlp.sentences import split_sentences

            try:
                from nlp.spans import CueMatcher

                matcher = CueMatcher(self.model.taxonomy)
            except ImportError:  # the lexicon matcher is optional; occlusion still works
                matcher = None
            seg = Segmenter()
            self._evidence = EvidenceFinder(self.model.scorer.score, self.model.layout.keys,
                                            EvidenceConfig(units=self.config.evidence_units), cue_matcher=matcher,
                                            split_sentences=split_sentences, word_offsets=seg.offsets)
        return self._evidence

    def classify_chunk(self, docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Classify one chunk of documents (each with ``id`` and ``text``); rows in input order."""
        texts = ["" if d.get("text") is None else str(d.get("text")) for d in docs]
        skip: list[str | None] = [EMPTY_REASON if not t.strip() else None for t in texts]
        todo = [i for i, r in enumerate(skip) if r is None]
        if self.config.cascade and self.cascade is not None and todo:
            ok = self.cascade.passes_many([texts[i] for i in todo])
            for i, passed in zip(todo, ok):
                if not passed:
                    skip[i] = SKIP_REASON
            todo = [i for i in todo if skip[i] is None]
        layout = self.model.layout
        scores = np.zeros((len(docs), layout.n_keys))
        decisions = np.zeros((len(docs), layout.n_keys), dtype=bool)
        evidence: list[dict[str, Any]] = [{} for _ in docs]
        if todo:
            scores[todo] = self.model.scorer.score([texts[i] for i in todo])
            decisions[todo] = layout.decide(scores[todo], self.model.thresholds)
            if self.config.evidence:
                gate = layout.gate_column
                relevant = [i for i in todo if gate is None or decisions[i, gate]]
                if relevant:
                    found = self.evidence_finder().find(
                        [texts[i] for i in relevant], scores[relevant],
                        [layout.positive_keys(decisions[i], include_gate=True) for i in relevant])
                    for i, ev in zip(relevant, found):
                        evidence[i] = ev
        return [output_row(d, self.model, scores=None if skip[i] else scores[i],
                           decisions=None if skip[i] else decisions[i], evidence=evidence[i], skip_reason=skip[i])
                for i, d in enumerate(docs)]

    def classify(self, docs: Iterable[Mapping[str, Any]], *, progress: Callable[[int], None] | None = None
                 ) -> Iterator[dict[str, Any]]:
        """Classify documents lazily, ``config.chunk_size`` at a time; yields rows in input order."""
        chunk: list[Mapping[str, Any]] = []
        for d in docs:
            chunk.append(d)
            if len(chunk) >= self.config.chunk_size:
                yield from self.classify_chunk(chunk)
                if progress is not None:
                    progress(len(chunk))
                chunk = []
        if chunk:
            yield from self.classify_chunk(chunk)
            if progress is not None:
                progress(len(chunk))

