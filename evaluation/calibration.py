"""Calibration: expected calibration error (ECE) and the bins of a reliability diagram.

A score is calibrated when, of the documents scored about p, about a share p carry the label. The ECE
here is the classic equal-width-bin estimate (Naeini et al. 2015; Guo et al. 2017) over (score, gold)
pairs: ``ECE = Σ_b (n_b / n) · |mean score_b − share positive_b|``. For a facet the pairs of all its
labels are pooled (each label one-vs-rest), which is what a user thresholding any of them relies on.

Example:
    >>> import numpy as np
    >>> round(expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 0, 0, 0]), n_bins=10), 3)
    0.25
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expected_calibration_error", "reliability_bins"]


def reliability_bins(scores: np.ndarray, y: np.ndarray, *, n_bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width bins of a reliability diagram.

    Args:
        scores: probabilities ``(n,)`` in [0, 1]; y: gold 0/1 ``(n,)``.
        n_bins: bins over [0, 1]; a score of exactly 1.0 falls in the last bin.

    Returns:
        One dict per bin: ``{"lo", "hi", "n", "mean_score", "share_positive"}`` (means are None for
        empty bins).
    """
    p = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    g = np.asarray(y, dtype=np.float64)
    if p.shape != g.shape:
        raise ValueError(f"scores {p.shape} and gold {g.shape} differ in shape")
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    out = []
    for b in range(n_bins):
        sel = idx == b
        n = int(sel.sum())
        out.append({"lo": round(float(edges[b]), 4), "hi": round(float(edges[b + 1]), 4), "n": n,
                    "mean_score": round(float(p[sel].mean()), 4) if n else None,
                    "share_positive": round(float(g[sel].mean()), 4) if n else None})
    return out


def expected_calibration_error(scores: np.ndarray, y: np.ndarray, *, n_bins: int = 10) -> float:
    """ECE over equal-width bins (see the module docstring); NaN for no pairs.

    Args:
        scores: probabilities ``(n,)``; y: gold 0/1 ``(n,)``; n_bins: bins over [0, 1].
    """
    p = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    g = np.asarray(y, dtype=np.float64)
    if p.size == 0:
        return float("nan")
    if p.shape != g.shape:
        raise ValueError(f"scores {p.shape} and gold {g.shape} differ in shape")
    idx = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    sum_p = np.bincount(idx, weights=p, minlength=n_bins)
    sum_y = np.bincount(idx, weights=g, minlength=n_bins)
    return float(np.abs(sum_p - sum_y).sum() / p.size)
