"""Line up gold labels and one system's predictions as matrices over the taxonomy's score keys.

Columns follow ``Taxonomy.score_keys()`` (``models.layout.LabelLayout``). Three decision matrices:

- ``decisions``: what the system output (the row's facet fields): gated facets are off wherever the
  system said "not relevant" — what a user of ``classify`` sees;
- ``raw_decisions``: each key's own decision, ``score ≥ threshold`` with no gate (the decisions the
  model's ``error_rates.json`` describes); equal to ``decisions`` when thresholds are unknown;
- ``applies``: the cells that are scored. The gate key and ungated facets: every document. Gated
  facets: documents that are relevant in the gold labels ("conditional" scoring — a gated label is
  judged where it could apply; predicted-relevant / gold-irrelevant documents are counted once, as a
  relevance false positive, not again in every facet).

Documents the prefilter skipped have no scores; their scores are 0 (the system's effective answer).

Example:
    >>> from models.taxonomy import load_taxonomy                                      # doctest: +SKIP
    >>> ev = align(gold.docs, system, load_taxonomy()); ev.y.shape                    # doctest: +SKIP
    (152, 20)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from corpora.annotated import AnnotatedDoc
from models.layout import LabelLayout
from models.taxonomy import FacetKind, LabelError, Taxonomy
from stigmascope.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from evaluation.gold import System

__all__ = ["EvalArrays", "align", "end_to_end_applies"]


@dataclass
class EvalArrays:
    """Gold and predictions for ``n_docs`` documents and ``n_keys`` score keys.

    Attributes:
        layout: the column layout (``layout.keys`` names the columns).
        docs: the gold documents, in row order.
        y: gold, boolean ``(n_docs, n_keys)`` (gated keys are False for gold-irrelevant documents).
        scores: probabilities ``(n_docs, n_keys)`` (0 for skipped documents).
        decisions: the system's output decisions, boolean ``(n_docs, n_keys)``.
        raw_decisions: ungated per-key decisions, boolean ``(n_docs, n_keys)``.
        applies: scored cells for conditional scoring, boolean ``(n_docs, n_keys)``.
        skipped: documents without scores (prefilter or empty), boolean ``(n_docs,)``.
        evidence: the rows' evidence dicts, one per document.
        skip_reasons: the rows' ``skip_reason`` (None for scored documents).
        has_thresholds: whether ``raw_decisions`` come from the model's thresholds.
    """

    layout: LabelLayout
    docs: list[AnnotatedDoc]
    y: np.ndarray
    scores: np.ndarray
    decisions: np.ndarray
    raw_decisions: np.ndarray
    applies: np.ndarray
    skipped: np.ndarray
    evidence: list[dict[str, Any]]
    skip_reasons: list[str | None]
    has_thresholds: bool

    @property
    def keys(self) -> list[str]:
        return self.layout.keys

    @property
    def n_docs(self) -> int:
        return len(self.docs)

    def subset(self, rows: np.ndarray) -> EvalArrays:
        """The same arrays for some documents (boolean mask or indices)."""
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        return EvalArrays(self.layout, [self.docs[i] for i in idx], self.y[idx], self.scores[idx],
                          self.decisions[idx], self.raw_decisions[idx], self.applies[idx], self.skipped[idx],
                          [self.evidence[i] for i in idx], [self.skip_reasons[i] for i in idx],
                          self.has_thresholds)


def _row_decisions(row: dict[str, Any], layout: LabelLayout, where: str) -> np.ndarray:
    tax = layout.taxonomy
    obj = {}
    for f in tax.facets:
        if f.output_key not in row:
            raise InputError(f"prediction row lacks the facet field {f.output_key!r}; predictions must come from "
                             "a model with this taxonomy (pass --taxonomy FILE) ", path=where, field=f.output_key)
        obj[f.output_key] = row[f.output_key]
    try:
        labels = tax.validate_labels(obj, where=where)
    except LabelError as exc:
        raise InputError(str(exc)) from None
    y, _ = layout.encode([labels])
    return y[0] > 0.5


def align(docs: Sequence[AnnotatedDoc], system: System, taxonomy: Taxonomy) -> EvalArrays:
    """Build the matrices of one system on the gold documents.

    Args:
        docs: gold documents (labels validated against ``taxonomy``).
        system: the system's rows (:class:`evaluation.gold.System`).
        taxonomy: the label scheme shared by gold and system.

    Raises:
        InputError: gold ids missing from the predictions, or a row that does not fit the taxonomy.
    """
    layout = LabelLayout(taxonomy)
    missing = [d.id for d in docs if d.id not in system.rows]
    if missing:
        raise InputError(f"{len(missing)} of {len(docs)} gold documents have no prediction (first: "
                         f"{missing[:3]}); classify the gold file with the same model and pass that file",
                         path=system.path)
    y, _ = layout.encode([d.labels for d in docs])
    y = y > 0.5
    n, k = y.shape
    scores = np.zeros((n, k))
    decisions = np.zeros((n, k), dtype=bool)
    skipped = np.zeros(n, dtype=bool)
    evidence: list[dict[str, Any]] = []
    reasons: list[str | None] = []
    for i, d in enumerate(docs):
        row = system.rows[d.id]
        where = f"{system.path or system.name} (id {d.id})"
        sc = row.get("scores") or {}
        if sc:
            unknown = [s for s in sc if s not in layout.index]
            if unknown:
                raise InputError(f"scores have keys {unknown[:3]} this taxonomy does not know; pass the model's "
                                 "taxonomy with --taxonomy", path=where, field="scores")
            for key, v in sc.items():
                scores[i, layout.index[key]] = float(v)
        else:
            skipped[i] = True
        decisions[i] = _row_decisions(row, layout, where)
        evidence.append(dict(row.get("evidence") or {}))
        reasons.append(row.get("skip_reason") or ("no scores" if skipped[i] else None))
    if system.thresholds is not None:
        raw = layout.decide(scores, system.thresholds, gate=False)
        raw[skipped] = False
    else:
        raw = decisions.copy()
    applies = np.ones((n, k), dtype=bool)
    if layout.gate_column is not None:
        applies[np.ix_(~y[:, layout.gate_column], layout.gated_mask)] = False
    return EvalArrays(layout=layout, docs=list(docs), y=y, scores=scores, decisions=decisions, raw_decisions=raw,
                      applies=applies, skipped=skipped, evidence=evidence, skip_reasons=reasons,
                      has_thresholds=system.thresholds is not None)


def end_to_end_applies(ev: EvalArrays) -> np.ndarray:
    """Every cell scored (gated gold labels are empty for irrelevant documents, so predicted labels there
    count as false positives): ``(n_docs, n_keys)`` of True."""
    return np.ones_like(ev.y, dtype=bool)


def facet_value(ev: EvalArrays, row: np.ndarray, facet_id: str) -> str:
    """A single-label facet's value in one boolean row (label id or ``"none"``)."""
    h = next(h for h in ev.layout.heads if h.facet.id == facet_id)
    if h.facet.kind is not FacetKind.single_label:
        raise ValueError(f"{facet_id!r} is not a single-label facet")
    on = [lab.id for lab, c in zip(h.facet.labels, h.columns) if row[c]]
    return on[0] if on else "none"
