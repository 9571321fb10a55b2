"""Classification metrics per score key, per facet and overall, computed end to end.

End to end means: predictions of gated facets are switched off for documents predicted not relevant,
and gold labels of gated facets are empty for documents labelled not relevant, so relevance errors
count against every facet (what a user of the time series sees).

Example:
    >>> import numpy as np
    >>> f1_score_counts(tp=8, fp=2, fn=2)
    0.8
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from models.layout import LabelLayout

__all__ = ["f1_score_counts", "evaluate_scores", "evaluate_decisions"]


def f1_score_counts(tp: int, fp: int, fn: int) -> float:
    """F1 from counts; 0.0 when there is nothing predicted and nothing to find."""
    denom = 2 * tp + fp + fn
    return 0.0 if denom == 0 else 2 * tp / denom


def evaluate_decisions(decisions: np.ndarray, y: np.ndarray, layout: LabelLayout) -> dict[str, Any]:
    """Per-key precision/recall/F1, macro-F1 per facet, relevance F1 and overall macro-F1.

    Args:
        decisions: predicted on/off ``(n_docs, n_keys)`` (gated already, see ``LabelLayout.decide``).
        y: gold 0/1 ``(n_docs, n_keys)``.
        layout: the column layout.

    Returns:
        ``{"per_label": {key: {precision, recall, f1, support, predicted}}, "per_facet": {facet:
        macro_f1}, "relevance_f1": float | None, "macro_f1": float, "n_docs": int}``. Macro averages
        skip keys without gold positives (their F1 is undefined); ``per_label`` still lists them.
    """
    d = np.asarray(decisions, dtype=bool)
    g = np.asarray(y) > 0.5
    per_label: dict[str, dict[str, float]] = {}
    for i, k in enumerate(layout.keys):
        tp = int((d[:, i] & g[:, i]).sum())
        fp = int((d[:, i] & ~g[:, i]).sum())
        fn = int((~d[:, i] & g[:, i]).sum())
        per_label[k] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "f1": round(f1_score_counts(tp, fp, fn), 4),
            "support": tp + fn,
            "predicted": tp + fp,
        }
    per_facet: dict[str, float | None] = {}
    for h in layout.heads:
        vals = [per_label[layout.keys[c]]["f1"] for c in h.columns if per_label[layout.keys[c]]["support"] > 0]
        per_facet[h.facet.id] = round(float(np.mean(vals)), 4) if vals else None
    scored = [v["f1"] for v in per_label.values() if v["support"] > 0]
    gate = layout.gate_column
    return {
        "per_label": per_label,
        "per_facet": per_facet,
        "relevance_f1": per_label[layout.keys[gate]]["f1"] if gate is not None else None,
        "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0,
        "macro_f1_facets": round(float(np.mean([v for v in per_facet.values() if v is not None])), 4)
        if any(v is not None for v in per_facet.values()) else 0.0,
        "n_docs": int(len(d)),
    }


def evaluate_scores(scores: np.ndarray, y: np.ndarray, layout: LabelLayout,
                    thresholds: Mapping[str, float]) -> dict[str, Any]:
    """:func:`evaluate_decisions` of ``layout.decide(scores, thresholds)``; scores ``(n_docs, n_keys)``."""
    return evaluate_decisions(layout.decide(scores, thresholds), y, layout)
