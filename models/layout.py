"""Map a taxonomy onto classifier outputs: head sizes, gold label vectors and decoded predictions.

Everything that turns label objects into arrays (and back) lives here, so the heads, the baseline,
threshold tuning and the metrics all agree on one column order: ``Taxonomy.score_keys()``.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> lay = LabelLayout(load_taxonomy())
    >>> lay.keys[:2], lay.n_keys
    (['relevant', 'stereotype.poverty'], 20)
    >>> y, m = lay.encode([{"relevant": True, "stereotype": ["dirt"], "stance": "stigmatizing"}])
    >>> int(y[0, lay.index["stereotype.dirt"]]), bool(m[0, lay.index["stance.neutral"]])
    (1, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from models.taxonomy import Facet, FacetKind, Taxonomy

__all__ = ["HeadSpec", "LabelLayout"]


@dataclass(frozen=True)
class HeadSpec:
    """One facet's head.

    Attributes:
        facet: the taxonomy facet.
        columns: indices of the facet's score keys in ``LabelLayout.keys``.
        n_out: output units: one per label for sigmoid heads; labels + 1 ("none", last) for softmax.
        softmax: True for single-label facets.
        gated: True when the facet only applies to documents the gate says yes to.
    """

    facet: Facet
    columns: tuple[int, ...]
    n_out: int
    softmax: bool
    gated: bool


class LabelLayout:
    """Column layout of one taxonomy's score keys, shared by every model kind.

    Args:
        taxonomy: the label scheme.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.keys: list[str] = taxonomy.score_keys()
        self.index: dict[str, int] = {k: i for i, k in enumerate(self.keys)}
        gate = taxonomy.gate
        self.gate_column: int | None = self.index[gate.output_key] if gate is not None else None
        heads: list[HeadSpec] = []
        for f in taxonomy.facets:
            cols = tuple(self.index[f.score_key(lab.id)] for lab in f.labels)
            soft = f.kind is FacetKind.single_label
            heads.append(HeadSpec(facet=f, columns=cols, n_out=len(cols) + (1 if soft else 0), softmax=soft,
                                  gated=bool(f.applies_to_gate and gate is not None)))
        self.heads: tuple[HeadSpec, ...] = tuple(heads)
        gated_cols = [c for h in heads if h.gated for c in h.columns]
        self.gated_mask = np.zeros(len(self.keys), dtype=bool)
        self.gated_mask[gated_cols] = True
        self.softmax_mask = np.zeros(len(self.keys), dtype=bool)
        self.softmax_mask[[c for h in heads if h.softmax for c in h.columns]] = True

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    # ---- gold labels -> arrays -------------------------------------------------------------------
    def encode(self, labels: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Turn normalised label objects into targets and a loss mask.

        Args:
            labels: label objects as returned by ``Taxonomy.validate_labels``.

        Returns:
            ``(y, mask)``, both ``(n_docs, n_keys)``: ``y`` is 0/1 (one-hot over a single-label facet's
            labels; all zero there means "none"), ``mask`` is False for gated keys of documents whose
            gold gate is false.
        """
        n = len(labels)
        y = np.zeros((n, self.n_keys), dtype=np.float32)
        mask = np.ones((n, self.n_keys), dtype=bool)
        for i, obj in enumerate(labels):
            for h in self.heads:
                f = h.facet
                value = obj.get(f.output_key)
                if f.kind is FacetKind.binary:
                    y[i, h.columns[0]] = float(bool(value))
                elif f.kind is FacetKind.multi_label:
                    for lab in value or []:
                        y[i, self.index[f.score_key(lab)]] = 1.0
                elif value:
                    y[i, self.index[f.score_key(value)]] = 1.0
            if self.gate_column is not None and y[i, self.gate_column] == 0:
                mask[i, self.gated_mask] = False
        return y, mask

    def softmax_targets(self, y: np.ndarray, head: HeadSpec) -> np.ndarray:
        """Class index per document for a softmax head (``n_out - 1`` = none). Shape ``(n_docs,)``."""
        block = y[:, list(head.columns)]
        idx = block.argmax(axis=1)
        idx[block.max(axis=1) == 0] = head.n_out - 1
        return idx.astype(np.int64)

    # ---- scores -> predictions -------------------------------------------------------------------
    def decide(self, scores: np.ndarray, thresholds: Mapping[str, float], *, gate: bool = True) -> np.ndarray:
        """Apply per-key thresholds and the gate to a score matrix.

        Sigmoid keys are on when ``p >= threshold``. A single-label facet takes its highest-scoring
        label when that label's score reaches its threshold, else none. Gated keys are switched off
        for documents predicted not relevant.

        Args:
            scores: probabilities, ``(n_docs, n_keys)``.
            thresholds: threshold per score key (missing keys default to 0.5; 0.0 for softmax keys).
            gate: switch gated keys off for documents predicted not relevant (False: each key's own
                decision, as used for error rates).

        Returns:
            Boolean decisions, ``(n_docs, n_keys)``.
        """
        scores = np.asarray(scores, dtype=np.float64)
        t = np.array([thresholds.get(k, 0.0 if self.softmax_mask[i] else 0.5) for i, k in enumerate(self.keys)])
        on = scores >= t
        for h in self.heads:
            if not h.softmax:
                continue
            cols = list(h.columns)
            block = scores[:, cols]
            best = block.argmax(axis=1)
            keep = np.zeros_like(block, dtype=bool)
            rows = np.arange(len(block))
            keep[rows, best] = block[rows, best] >= t[cols][best]
            on[:, cols] = keep
        if gate and self.gate_column is not None:
            off = ~on[:, self.gate_column]
            on[np.ix_(off, self.gated_mask)] = False
        return on

    def to_labels(self, decisions: np.ndarray) -> list[dict[str, Any]]:
        """Turn boolean decisions ``(n_docs, n_keys)`` into label objects keyed by facet output key."""
        out = []
        for row in decisions:
            obj: dict[str, Any] = {}
            for h in self.heads:
                f = h.facet
                on = [lab.id for lab, c in zip(f.labels, h.columns) if row[c]]
                if f.kind is FacetKind.binary:
                    obj[f.output_key] = bool(on)
                elif f.kind is FacetKind.multi_label:
                    obj[f.output_key] = on
                else:
                    obj[f.output_key] = on[0] if on else None
            out.append(obj)
        return out

    def positive_keys(self, decisions_row: np.ndarray, *, include_gate: bool = False) -> list[str]:
        """Score keys switched on in one decision row (the store's ``labels`` column omits the gate)."""
        return [k for i, k in enumerate(self.keys)
                if decisions_row[i] and (include_gate or i != self.gate_column)]
