"""How good one system is on one gold set: P/R/F1 with bootstrap intervals, facet averages, relevance,
confusion matrices of single-label facets, average precision and calibration.

Scoring follows :mod:`evaluation.arrays`: gated facets on gold-relevant documents ("conditional",
the headline figures), plus an ``end_to_end`` block where every document counts (a label predicted on
a gold-irrelevant document is a false positive of that label too).

Example:
    >>> q = system_quality(ev, weights)                 # doctest: +SKIP
    >>> q["per_facet"]["stereotype"]["macro_f1"], q["relevance"]["f1"]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluation.arrays import EvalArrays, end_to_end_applies, facet_value
from evaluation.bootstrap import percentile_interval
from evaluation.calibration import expected_calibration_error, reliability_bins
from evaluation.metrics import (
    Counts,
    average_precision,
    confusion_matrix,
    counts,
    f1,
    macro,
    micro_f1,
    precision,
    recall,
    safe_div,
)
from models.layout import LabelLayout
from models.taxonomy import FacetKind

__all__ = ["macro_samples", "system_quality"]


def _r(v: Any) -> float | None:
    v = float(v)
    return None if np.isnan(v) else round(v, 4)


def _ci(samples: np.ndarray, level: float) -> list[float] | None:
    ci = percentile_interval(samples, level)
    return list(ci) if ci else None


def _facet_block(c: Counts, cb: Counts | None, cols: list[int], include: np.ndarray, level: float) -> dict[str, Any]:
    sub = c.select(cols)
    tp, fp, fn = sub.tp.sum(), sub.fp.sum(), sub.fn.sum()
    out = {
        "macro_f1": _r(macro(f1(c)[cols], include[cols])),
        "micro_precision": _r(safe_div(tp, tp + fp)),
        "micro_recall": _r(safe_div(tp, tp + fn)),
        "micro_f1": _r(micro_f1(sub)),
        "labels_in_macro": int(include[cols].sum()),
        "labels": len(cols),
    }
    if cb is not None:
        out["macro_f1_ci"] = _ci(macro(f1(cb)[:, cols], include[cols]), level)
        out["micro_f1_ci"] = _ci(micro_f1(cb.select(cols)), level)
    return out


def matrix_metrics(y: np.ndarray, decisions: np.ndarray, layout: LabelLayout, *, applies: np.ndarray | None = None,
                   weights: np.ndarray | None = None, level: float = 0.95, per_label: bool = True) -> dict[str, Any]:
    """P/R/F1 per label, macro/micro per facet and overall macro-F1 from gold and decision matrices.

    The array-level core of :func:`system_quality`, usable without documents (e.g. by the training loop).

    Args:
        y: gold, boolean ``(n_docs, n_keys)`` in ``layout.keys`` order.
        decisions: decisions, boolean ``(n_docs, n_keys)`` (gated already, as the system outputs them).
        layout: the taxonomy's column layout.
        applies: scored cells ``(n_docs, n_keys)``; None = conditional scoring (gated keys on gold-relevant
            documents, see :mod:`evaluation.arrays`). Pass all True for end-to-end scoring.
        weights: bootstrap multiplicities ``(n_boot, n_docs)`` for intervals, or None.
        level: interval coverage.
        per_label: include the ``per_label`` block.

    Returns:
        ``{"per_label": {key: {...}}, "per_facet": {facet: {...}}, "overall": {...}}`` (metrics.json keys).
    """
    y = np.asarray(y) > 0.5
    d = np.asarray(decisions, dtype=bool)
    if applies is None:
        applies = np.ones_like(y, dtype=bool)
        if layout.gate_column is not None:
            applies[np.ix_(~y[:, layout.gate_column], layout.gated_mask)] = False
    c = counts(y, d, applies)
    cb = counts(y, d, applies, weights) if weights is not None else None
    include = c.support > 0
    out: dict[str, Any] = {}
    if per_label:
        p, r, f = precision(c), recall(c), f1(c)
        if cb is not None:
            pb, rb, fb = precision(cb), recall(cb), f1(cb)
        labels = {}
        for j, key in enumerate(layout.keys):
            entry = {"precision": _r(p[j]), "recall": _r(r[j]), "f1": _r(f[j]), "support": int(c.support[j]),
                     "predicted": int(c.predicted[j]), "tp": int(c.tp[j]), "fp": int(c.fp[j]),
                     "fn": int(c.fn[j]), "n_scored": int(applies[:, j].sum()),
                     "population": "gold-relevant documents" if layout.gated_mask[j] else "all documents"}
            if cb is not None:
                entry["ci"] = {"precision": _ci(pb[:, j], level), "recall": _ci(rb[:, j], level),
                               "f1": _ci(fb[:, j], level)}
            labels[key] = entry
        out["per_label"] = labels
    out["per_facet"] = {h.facet.id: _facet_block(c, cb, list(h.columns), include, level) for h in layout.heads}
    overall = {"macro_f1": _r(macro(f1(c), include)), "labels_in_macro": int(include.sum())}
    facet_macros = [v["macro_f1"] for v in out["per_facet"].values() if v["macro_f1"] is not None]
    overall["macro_f1_facets"] = round(float(np.mean(facet_macros)), 4) if facet_macros else None
    if cb is not None:
        overall["macro_f1_ci"] = _ci(macro(f1(cb), include), level)
    out["overall"] = overall
    return out


def macro_samples(ev: EvalArrays, weights: np.ndarray) -> dict[str, tuple[float, np.ndarray]]:
    """Macro-F1 per facet and overall, observed and on each resample (for paired comparisons).

    Labels enter a macro average when they have gold support on the full set, so two systems on the same
    gold set average the same labels.

    Returns:
        ``{facet_id | "overall": (observed, samples (n_boot,))}``.
    """
    c = counts(ev.y, ev.decisions, ev.applies)
    cb = counts(ev.y, ev.decisions, ev.applies, weights)
    include = c.support > 0
    f_obs, f_b = f1(c), f1(cb)
    out = {h.facet.id: (float(macro(f_obs[list(h.columns)], include[list(h.columns)])),
                        macro(f_b[:, list(h.columns)], include[list(h.columns)])) for h in ev.layout.heads}
    out["overall"] = (float(macro(f_obs, include)), macro(f_b, include))
    return out


def _confusions(ev: EvalArrays) -> dict[str, Any]:
    from evaluation.agreement import cohen_kappa

    out: dict[str, Any] = {}
    for h in ev.layout.heads:
        if h.facet.kind is not FacetKind.single_label:
            continue
        rows = np.flatnonzero(ev.applies[:, h.columns[0]])
        labels = [*h.facet.label_ids, "none"]
        gold = [facet_value(ev, ev.y[i], h.facet.id) for i in rows]
        pred = [facet_value(ev, ev.decisions[i], h.facet.id) for i in rows]
        m = confusion_matrix(gold, pred, labels)
        kappa = cohen_kappa(gold, pred)
        out[h.facet.id] = {"labels": labels, "matrix": m.tolist(), "rows": "gold", "columns": "predicted",
                           "n": len(rows), "accuracy": _r(np.trace(m) / m.sum()) if m.sum() else None,
                           "kappa": _r(kappa.value), "kappa_note": kappa.note}
    return out


def _calibration(ev: EvalArrays, n_bins: int) -> tuple[dict[str, Any], dict[str, Any]]:
    per_facet: dict[str, Any] = {}
    per_key: dict[str, Any] = {}
    for h in ev.layout.heads:
        ps, ys = [], []
        for c in h.columns:
            rows = ev.applies[:, c]
            p, y = ev.scores[rows, c], ev.y[rows, c]
            ps.append(p)
            ys.append(y)
            per_key[ev.keys[c]] = {"ece": _r(expected_calibration_error(p, y, n_bins=n_bins)),
                                   "average_precision": _r(average_precision(p, y))}
        p, y = np.concatenate(ps), np.concatenate(ys)
        per_facet[h.facet.id] = {"ece": _r(expected_calibration_error(p, y, n_bins=n_bins)), "n_pairs": len(p),
                                 "bins": reliability_bins(p, y, n_bins=n_bins)}
    return per_facet, per_key


def system_quality(ev: EvalArrays, weights: np.ndarray | None, *, level: float = 0.95,
                   n_bins: int = 10) -> dict[str, Any]:
    """All quality figures of one system on one gold set.

    Args:
        ev: aligned gold and predictions.
        weights: bootstrap multiplicities ``(n_boot, n_docs)`` (:func:`evaluation.bootstrap.resample_weights`),
            or None for point estimates only.
        level: interval coverage.
        n_bins: calibration bins.

    Returns:
        ``{"n_docs", "n_gold_relevant", "n_skipped", "n_skipped_gold_relevant", "relevance", "per_label", "per_facet", "overall",
        "end_to_end", "confusion", "calibration"}`` (see ``evaluation/README.md`` for every key).
    """
    main = matrix_metrics(ev.y, ev.decisions, ev.layout, applies=ev.applies, weights=weights, level=level)
    e2e = matrix_metrics(ev.y, ev.decisions, ev.layout, applies=end_to_end_applies(ev), weights=weights, level=level,
                         per_label=False)
    cal_facet, cal_key = _calibration(ev, n_bins)
    for key, extra in cal_key.items():
        main["per_label"][key].update(extra)
    gate = ev.layout.gate_column
    relevance = None
    if gate is not None:
        key = ev.keys[gate]
        facet = next(h.facet.id for h in ev.layout.heads if gate in h.columns)
        relevance = {"key": key, "facet": facet, **{k: main["per_label"][key][k] for k in
                                    ("precision", "recall", "f1", "support", "predicted", "tp", "fp", "fn",
                                     "average_precision", "ece")}}
        relevance["ci"] = main["per_label"][key].get("ci")
    return {
        "n_docs": ev.n_docs,
        "n_gold_relevant": int(ev.y[:, gate].sum()) if gate is not None else ev.n_docs,
        "n_skipped": int(ev.skipped.sum()),
        "n_skipped_gold_relevant": int((ev.skipped & ev.y[:, gate]).sum()) if gate is not None else 0,
        "relevance": relevance,
        "per_label": main["per_label"],
        "per_facet": main["per_facet"],
        "overall": main["overall"],
        "end_to_end": {"per_facet": e2e["per_facet"], "overall": e2e["overall"]},
        "confusion": _confusions(ev),
        "calibration": cal_facet,
    }
