"""Where the model is weakest: figures per slice of the gold set (source, text length, script, year).

Each slice is scored like the whole set (:mod:`evaluation.quality`: gated facets on gold-relevant
documents). Its macro-F1 averages the labels with gold support *in that slice*, so small slices average
few labels — the counts are reported with every figure, and slices under ``min_docs`` documents are
marked ``small`` and kept out of the "weakest" list.

Example:
    >>> table = slice_table(ev, min_docs=10)                   # doctest: +SKIP
    >>> table["weakest"][0]["dimension"], table["weakest"][0]["value"], table["weakest"][0]["macro_f1"]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from corpora.annotated import AnnotatedDoc
from evaluation.arrays import EvalArrays
from evaluation.metrics import counts, f1, macro

__all__ = ["DIMENSIONS", "length_bin", "slice_table", "slice_values"]

DIMENSIONS = ("source", "length", "script", "year")


def length_bin(n_chars: int, edges: Sequence[int] = (50, 150, 400)) -> str:
    """Label of a text-length bin, e.g. ``"50-149"``; edges are the first character counts of each bin."""
    lo = 0
    for e in edges:
        if n_chars < e:
            return f"<{e}" if lo == 0 else f"{lo}-{e - 1}"
        lo = e
    return f">={lo}"


def slice_values(docs: Sequence[AnnotatedDoc], *, length_edges: Sequence[int] = (50, 150, 400)
                 ) -> dict[str, list[str]]:
    """Each document's value on every slice dimension.

    Script is detected on the gold text with the corpus normaliser's detector (``simplified``,
    ``traditional``, ``mixed``, ``none``); year is the date's first four characters (``unknown`` when
    missing).

    Returns:
        ``{dimension: [value per document]}``.
    """
    from corpora.normalise import ScriptDetector

    det = ScriptDetector()
    return {
        "source": [d.source or "unknown" for d in docs],
        "length": [length_bin(len(d.text), length_edges) for d in docs],
        "script": [det.detect(d.text).value for d in docs],
        "year": [str(d.date)[:4] if d.date else "unknown" for d in docs],
    }


def _figures(ev: EvalArrays, rows: np.ndarray) -> dict[str, Any]:
    sub = ev.subset(rows)
    c = counts(sub.y, sub.decisions, sub.applies)
    f = f1(c)
    include = c.support > 0
    gate = ev.layout.gate_column
    m = macro(f, include)
    out: dict[str, Any] = {"n": int(rows.sum()),
                           "n_relevant": int(sub.y[:, gate].sum()) if gate is not None else int(rows.sum()),
                           "macro_f1": None if np.isnan(m) else round(float(m), 4),
                           "labels_in_macro": int(include.sum())}
    if gate is not None:
        rf = f[gate]
        out["relevance_f1"] = None if np.isnan(rf) else round(float(rf), 4)
    return out


def slice_table(ev: EvalArrays, *, min_docs: int = 10, length_edges: Sequence[int] = (50, 150, 400),
                n_weakest: int = 5) -> dict[str, Any]:
    """Macro-F1 and relevance F1 per slice, and the weakest slices with enough documents.

    Args:
        ev: aligned gold and predictions.
        min_docs: slices with fewer documents are marked ``small`` and not ranked.
        length_edges: text-length bin edges in characters.
        n_weakest: how many slices to list as weakest.

    Returns:
        ``{"dimensions": {dim: [{"value", "n", "n_relevant", "macro_f1", "labels_in_macro",
        "relevance_f1", "small"}]}, "weakest": [{"dimension", "value", …}], "min_docs": int}``.
    """
    values = slice_values(ev.docs, length_edges=length_edges)
    dims: dict[str, list[dict[str, Any]]] = {}
    ranked: list[dict[str, Any]] = []
    for dim in DIMENSIONS:
        col = np.array(values[dim], dtype=object)
        entries = []
        for v in sorted(set(values[dim])):
            rows = col == v
            entry = {"value": v, **_figures(ev, rows)}
            entry["small"] = entry["n"] < min_docs
            entries.append(entry)
            if not entry["small"] and entry["macro_f1"] is not None:
                ranked.append({"dimension": dim, **entry})
        dims[dim] = entries
    ranked.sort(key=lambda e: (e["macro_f1"], -e["n"]))
    return {"dimensions": dims, "weakest": ranked[:n_weakest], "min_docs": min_docs}
