"""Prevalence error on a gold set: how far plain and corrected shares land from the true share.

Per score key, on the key's population (all documents for the gate, gold-relevant documents for gated
facets — where the model's ``error_rates.json`` is measured), with the key's own ungated decisions:

- ``cc``: classify and count (share of positive decisions);
- ``acc_stored``: adjusted with the model's stored tpr/fpr (``error_rates.json``);
- ``acc_crossfit``: adjusted with tpr/fpr measured on the other folds of this gold set;
- ``pcc``: mean score;
- ``pacc_crossfit``: mean score adjusted with soft rates from the other folds (the model stores no
  soft rates, so they are cross-fitted here).

When the stored rates were measured on this very set (the bundled test split: ``measured_on ==
"test"``), ``acc_stored`` is in-sample and near exact by construction; the result says so.

Example:
    >>> res = prevalence_errors(ev, system.error_rates, gold_name="bundled-test")   # doctest: +SKIP
    >>> res["summary"]["mae"]["cc"], res["summary"]["mae"]["acc_crossfit"]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from evaluation.arrays import EvalArrays
from evaluation.quantify import (
    adjusted_count,
    classify_and_count,
    crossfit_estimates,
    probabilistic_classify_and_count,
    rates_from_error_file,
)

__all__ = ["METHODS", "prevalence_errors"]

METHODS = ("cc", "acc_stored", "acc_crossfit", "pcc", "pacc_crossfit")


def _r(v: Any) -> float | None:
    return None if v is None or np.isnan(float(v)) else round(float(v), 4)


def _stored_rates_note(ev: EvalArrays, error_rates: Mapping[str, Any], gold_name: str) -> str:
    """Say where the stored rates come from relative to this gold set (in-sample, other data, or unclear)."""
    measured = {str((error_rates.get(k) or {}).get("measured_on")) for k in ev.keys}
    same_counts = all(
        (error_rates.get(k) or {}).get("n_pos") == int(ev.y[ev.applies[:, c], c].sum())
        and (error_rates.get(k) or {}).get("n_neg") == int((~ev.y[ev.applies[:, c], c]).sum())
        for c, k in enumerate(ev.keys))
    if gold_name == "bundled-test" and "test" in measured:
        if same_counts:
            return ("acc_stored is in-sample: the model's error rates were measured on this very test split, so "
                    "scored the same way it recovers the true share exactly by construction (what remains is the "
                    "difference between how the rates were scored and this run, e.g. the prefilter); "
                    "acc_crossfit is the honest figure")
        return ("the model's error rates were measured on the test split of a different version of the bundled corpus "
                "(positive/negative counts differ from this one): acc_stored mixes in-sample and other documents; "
                "retrain the model on the current corpus for a clean figure, and read acc_crossfit")
    return (f"acc_stored uses error rates measured on {', '.join(sorted(measured))}; "
            + ("the counts match this gold set, so they are probably in-sample" if same_counts else
               "a different set from this one, so acc_stored is an out-of-sample test of the stored rates"))


def prevalence_errors(ev: EvalArrays, error_rates: Mapping[str, Any] | None, *, gold_name: str = "",
                      folds: int = 5, seed: int = 13) -> dict[str, Any]:
    """True and estimated prevalence per score key, and the mean absolute error of each method.

    Args:
        ev: aligned gold and predictions.
        error_rates: the model's ``error_rates.json`` (None: ``acc_stored`` is omitted).
        gold_name: the gold set's name (``bundled-test`` triggers the in-sample warning).
        folds: folds for the cross-fitted rates.
        seed: fold assignment seed.

    Returns:
        ``{"per_key": {key: {"population", "n", "n_pos", "true", <method>: estimate, "error": {method:
        estimate − true}}}, "summary": {"mae": {method: float}, "n_keys": int}, "notes": [...]}``.
    """
    notes: list[str] = []
    if not ev.has_thresholds:
        notes.append("thresholds unknown (predictions file): the ungated decisions are the output decisions, "
                     "so gated keys of documents predicted not relevant count as 'no'")
    if error_rates:
        notes.append(_stored_rates_note(ev, error_rates, gold_name))
    per_key: dict[str, Any] = {}
    for c, key in enumerate(ev.keys):
        rows = ev.applies[:, c]
        n = int(rows.sum())
        if n == 0:
            continue
        y, d, s = ev.y[rows, c], ev.raw_decisions[rows, c], ev.scores[rows, c]
        true = float(y.mean())
        cc = float(classify_and_count(d))
        est: dict[str, float | None] = {"cc": cc, "pcc": float(probabilistic_classify_and_count(s))}
        if error_rates is not None:
            tpr, fpr = rates_from_error_file(error_rates, key)
            est["acc_stored"] = float(adjusted_count(cc, tpr, fpr)) if tpr is not None and fpr is not None else None
        cf = crossfit_estimates(d, s, y, folds=folds, seed=seed)
        est["acc_crossfit"], est["pacc_crossfit"] = cf["acc"], cf["pacc"]
        entry: dict[str, Any] = {"population": "gold-relevant documents" if ev.layout.gated_mask[c] else "all documents",
                                 "n": n, "n_pos": int(y.sum()), "true": _r(true)}
        entry.update({m: _r(est[m]) if est.get(m) is not None else None for m in METHODS if m in est})
        entry["error"] = {m: _r(est[m] - true) for m in METHODS if est.get(m) is not None and not np.isnan(est[m])}
        per_key[key] = entry
    methods = [m for m in METHODS if any(m in v["error"] for v in per_key.values())]
    common = [v for v in per_key.values() if all(v["error"].get(m) is not None for m in methods)]
    mae = {m: round(float(np.mean([abs(v["error"][m]) for v in common])), 4) for m in methods} if common else {}
    notes.append("the mean absolute errors average the keys where every method is defined (cross-fitted rates "
                 "need gold positives and negatives in the key's population)")
    return {"per_key": per_key, "summary": {"mae": mae, "n_keys": len(common)}, "notes": notes}
