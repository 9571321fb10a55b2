"""Prevalence estimation: plain and corrected shares of a label in a set of documents.

A classifier's share of positive decisions (classify and count, CC) is biased whenever the true
prevalence differs from where its errors balance out: with true-positive rate ``tpr`` and
false-positive rate ``fpr``, the expected share is ``tpr·π + fpr·(1 − π)``. Solving for ``π`` gives
the adjusted count (ACC, Forman 2008)::

    π̂ = (share − fpr) / (tpr − fpr)          clipped to [0, 1]

The probabilistic versions (PCC, PACC; Bella et al. 2010) use mean scores instead of decisions and
"soft" rates (mean score of gold positives / of gold negatives).

These closed forms are used instead of calling QuaPy's ``ACC`` object because the rates are already
known (measured on held-out data and stored with the model), so nothing needs fitting, and the formula
vectorises over thousands of resamples and (city, period) cells. For two classes it is exactly what
QuaPy's ``ACC.solve_adjustment(..., method="inversion", solver="minimize")`` returns (the test suite
checks this); when ``tpr ≤ fpr + min_gap`` the system cannot be inverted and, like QuaPy's
``exact-cc`` solver, the unadjusted share is returned (see :func:`adjustable`).

Trends reuse this module: ``adjusted_count(share, tpr, fpr)`` per cell with the rates of the model's
``error_rates.json`` (:func:`rates_from_error_file`).

Example:
    >>> round(float(adjusted_count(0.30, tpr=0.8, fpr=0.1)), 4)      # (0.30 - 0.1) / 0.7
    0.2857
    >>> float(adjusted_count(0.05, tpr=0.8, fpr=0.1))                # below fpr: clipped to 0
    0.0
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = [
    "adjustable",
    "adjusted_count",
    "classify_and_count",
    "crossfit_estimates",
    "hard_rates",
    "probabilistic_adjusted_count",
    "probabilistic_classify_and_count",
    "rates_from_error_file",
    "soft_rates",
]


def classify_and_count(decisions: np.ndarray, axis: int = -1) -> np.ndarray:
    """Share of positive decisions (CC). ``decisions``: 0/1 ``(..., n_docs)``; returns ``(...)``."""
    d = np.asarray(decisions, dtype=np.float64)
    return d.mean(axis=axis) if d.size else np.asarray(np.nan)


def probabilistic_classify_and_count(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean score (PCC). ``scores``: probabilities ``(..., n_docs)``; returns ``(...)``."""
    s = np.asarray(scores, dtype=np.float64)
    return s.mean(axis=axis) if s.size else np.asarray(np.nan)


def adjustable(tpr: Any, fpr: Any, *, min_gap: float = 1e-6) -> np.ndarray:
    """Whether the correction is defined: ``tpr − fpr > min_gap`` (and neither is missing)."""
    t = np.asarray(np.nan if tpr is None else tpr, dtype=np.float64)
    f = np.asarray(np.nan if fpr is None else fpr, dtype=np.float64)
    return np.nan_to_num(t - f, nan=-np.inf) > min_gap


def adjusted_count(observed: Any, tpr: Any, fpr: Any, *, clip: bool = True, min_gap: float = 1e-6) -> np.ndarray:
    """Adjusted classify-and-count: ``(observed − fpr) / (tpr − fpr)``.

    Args:
        observed: the plain share(s) of positive decisions, scalar or array.
        tpr, fpr: the classifier's true- and false-positive rates (scalars or arrays broadcastable with
            ``observed``).
        clip: clip the estimate to [0, 1] (the constrained least-squares solution for two classes).
        min_gap: below this ``tpr − fpr`` the inversion is undefined; the observed share is returned.

    Returns:
        Estimated prevalence(s), same shape as the broadcast inputs.
    """
    obs = np.asarray(observed, dtype=np.float64)
    t = np.asarray(np.nan if tpr is None else tpr, dtype=np.float64)
    f = np.asarray(np.nan if fpr is None else fpr, dtype=np.float64)
    ok = adjustable(t, f, min_gap=min_gap)
    gap = np.where(ok, t - f, 1.0)
    est = np.where(ok, (obs - np.where(ok, f, 0.0)) / gap, obs)
    return np.clip(est, 0.0, 1.0) if clip else est


def probabilistic_adjusted_count(mean_score: Any, soft_tpr: Any, soft_fpr: Any, *, clip: bool = True,
                                 min_gap: float = 1e-6) -> np.ndarray:
    """Probabilistic adjusted count (PACC): :func:`adjusted_count` of the mean score with soft rates.

    Args:
        mean_score: mean probability over the documents (PCC).
        soft_tpr: mean score of gold positives; soft_fpr: mean score of gold negatives (:func:`soft_rates`).
    """
    return adjusted_count(mean_score, soft_tpr, soft_fpr, clip=clip, min_gap=min_gap)


def hard_rates(decisions: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(tpr, fpr)`` of 0/1 decisions against gold ``(n,)``; NaN when a class is absent."""
    d = np.asarray(decisions, dtype=bool)
    g = np.asarray(y, dtype=bool)
    tpr = float(d[g].mean()) if g.any() else float("nan")
    fpr = float(d[~g].mean()) if (~g).any() else float("nan")
    return tpr, fpr


def soft_rates(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(soft_tpr, soft_fpr)``: mean score of gold positives and of gold negatives ``(n,)``."""
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(y, dtype=bool)
    return (float(s[g].mean()) if g.any() else float("nan"),
            float(s[~g].mean()) if (~g).any() else float("nan"))


def rates_from_error_file(error_rates: Mapping[str, Any], key: str) -> tuple[float | None, float | None]:
    """``(tpr, fpr)`` of one score key from a model's ``error_rates.json`` (None when not measured)."""
    entry = error_rates.get(key) or {}
    tpr, fpr = entry.get("tpr"), entry.get("fpr")
    return (None if tpr is None else float(tpr)), (None if fpr is None else float(fpr))


def crossfit_estimates(decisions: np.ndarray, scores: np.ndarray, y: np.ndarray, *, folds: int = 5,
                       seed: int = 13) -> dict[str, float]:
    """ACC and PACC on one labelled set with rates measured on the other folds (no in-sample rates).

    Each fold's prevalence is estimated with the hard and soft rates of the remaining folds; the
    estimates are combined weighted by fold size. Folds are stratified by the gold label.

    Args:
        decisions: 0/1 ``(n,)``; scores: probabilities ``(n,)``; y: gold 0/1 ``(n,)``.
        folds: number of folds (reduced to the number of gold positives or negatives when smaller, at
            least 2).

    Returns:
        ``{"acc", "pacc"}``; NaN when the set has no positive or no negative.
    """
    d = np.asarray(decisions, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(g.sum()), int((~g).sum())
    k = min(folds, n_pos, n_neg)
    if k < 2:
        return {"acc": float("nan"), "pacc": float("nan")}
    rng = np.random.default_rng(seed)
    fold = np.empty(len(g), dtype=np.int64)
    for cls in (True, False):
        idx = np.flatnonzero(g == cls)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % k
    acc = pacc = 0.0
    for f in range(k):
        te, tr = fold == f, fold != f
        tpr, fpr = hard_rates(d[tr], g[tr])
        stpr, sfpr = soft_rates(s[tr], g[tr])
        w = te.sum() / len(g)
        acc += w * float(adjusted_count(d[te].mean(), tpr, fpr))
        pacc += w * float(probabilistic_adjusted_count(s[te].mean(), stpr, sfpr))
    return {"acc": acc, "pacc": pacc}
