"""Uncertainty of cell shares: Wilson intervals for the plain share and a parametric bootstrap for the
error-corrected shares.

The corrected share (adjusted classify-and-count, :func:`evaluation.quantify.adjusted_count`) has two
sources of error: the cell's own documents (a binomial draw of the decisions) and the classifier's error
rates, themselves measured on a few hundred held-out documents. The bootstrap redraws both, per
resample ``b``::

    share*_b ~ Beta(share·n + ½, (1 − share)·n + ½)        (n = the cell's effective size; a normal
                                                            with the same moments where n·p·(1 − p) ≥ 10)
    tpr*_b   ~ Beta(tpr·n_pos + ½, (1 − tpr)·n_pos + ½)     (Jeffreys, n_pos gold positives; one draw
    fpr*_b   ~ Beta(fpr·n_neg + ½, (1 − fpr)·n_neg + ½)      per resample, shared by all cells)
    acc*_b   = clip((share*_b − fpr*_b) / (tpr*_b − fpr*_b), 0, 1)

(Jeffreys posterior draws rather than a plain binomial resample, so that a cell whose share is exactly
0 or 1 — or a rate of exactly 0 or 1 — still carries its uncertainty), and reports the percentile
interval, widened where needed so that it contains the point estimate (a
skewed resampling distribution near 0 or 1 can otherwise exclude it). The probabilistic variant redraws
the mean score from a normal with the cell's score variance and the soft rates from the same Beta form.

Example:
    >>> lo, hi = wilson_interval(5, 50)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.043, 0.214)
"""

from __future__ import annotations

import numpy as np

from evaluation.quantify import adjusted_count

__all__ = ["bootstrap_adjusted", "effective_n", "rate_draws", "wilson_interval", "z_value"]


def z_value(level: float) -> float:
    """Two-sided normal quantile for a confidence ``level`` (0.95 → 1.96)."""
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(0.5 + level / 2.0))


def effective_n(sum_w: np.ndarray, sum_w2: np.ndarray) -> np.ndarray:
    """Kish's effective sample size ``(Σw)² / Σw²`` (equals n for unit weights). Shapes ``(n_cells,)``."""
    sw = np.asarray(sum_w, dtype=np.float64)
    sw2 = np.asarray(sum_w2, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sw2 > 0, sw * sw / np.where(sw2 > 0, sw2, 1.0), 0.0)


def wilson_interval(count: np.ndarray | float, n: np.ndarray | float, level: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``count / n``.

    Args:
        count: successes (may be fractional for weighted cells rescaled to ``n``), shape ``(n_cells,)``.
        n: trials (effective size), same shape; cells with ``n = 0`` get NaN.
        level: confidence level.

    Returns:
        ``(lo, hi)``, each ``(n_cells,)``; the interval always contains ``count / n``.
    """
    c = np.asarray(count, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    z = z_value(level)
    ok = m > 0
    mm = np.where(ok, m, 1.0)
    p = np.clip(np.where(ok, c / mm, 0.0), 0.0, 1.0)
    denom = 1.0 + z * z / mm
    centre = (p + z * z / (2 * mm)) / denom
    half = z * np.sqrt(p * (1 - p) / mm + z * z / (4 * mm * mm)) / denom
    lo = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    # guard against rounding at the ends: the interval contains p
    lo = np.where(ok, np.minimum(lo, p), np.nan)
    hi = np.where(ok, np.maximum(hi, p), np.nan)
    return lo, hi


def _share_draws(rng: np.random.Generator, p: np.ndarray, n: np.ndarray, reps: int) -> np.ndarray:
    """Draws of each cell's share from its Jeffreys posterior ``Beta(pn + ½, (1 − p)n + ½)``, ``(cells, reps)``.

    Where the posterior is close to normal (``n·p·(1 − p) ≥ 10``) a normal with the same mean and variance
    is drawn instead: ten times faster, and indistinguishable at the percentiles used.
    """
    a = p * n + 0.5
    b = (1.0 - p) * n + 0.5
    out = np.empty((len(p), reps))
    normal = n * p * (1.0 - p) >= 10.0
    if normal.any():
        an, bn = a[normal], b[normal]
        mean = an / (an + bn)
        sd = np.sqrt(an * bn / ((an + bn) ** 2 * (an + bn + 1.0)))
        out[normal] = np.clip(mean[:, None] + sd[:, None] * rng.standard_normal((int(normal.sum()), reps)), 0.0, 1.0)
    if (~normal).any():
        k = int((~normal).sum())
        out[~normal] = rng.beta(np.repeat(a[~normal, None], reps, axis=1), np.repeat(b[~normal, None], reps, axis=1),
                                size=(k, reps))
    return out


def rate_draws(rng: np.random.Generator, rate: float, n: float, reps: int) -> np.ndarray:
    """Draws of a classifier rate measured as ``rate`` on ``n`` held-out documents (Jeffreys posterior), ``(reps,)``."""
    return rng.beta(rate * n + 0.5, (1.0 - rate) * n + 0.5, size=reps)


def bootstrap_adjusted(share: np.ndarray, n: np.ndarray, tpr: float | None, fpr: float | None, n_pos: float,
                       n_neg: float, *, estimate: np.ndarray, reps: int = 500, level: float = 0.95,
                       seed: int = 13, score_sd: np.ndarray | None = None, chunk: int = 10_000
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the adjusted share, redrawing the cells and the error rates.

    One draw of the rates serves every cell of a resample (the classifier's error is one unknown shared
    by all cells); the cells' own shares are drawn independently.

    Args:
        share: observed share per cell (decisions, or the mean score for the probabilistic variant),
            ``(n_cells,)``.
        n: effective number of documents behind ``share``, ``(n_cells,)``.
        tpr, fpr: the key's (soft) rates; None or NaN when not measured.
        n_pos, n_neg: gold positives / negatives the rates were measured on.
        estimate: the point estimate per cell (the interval is widened to contain it).
        reps: resamples.
        level: confidence level.
        seed: random seed.
        score_sd: for the probabilistic variant, the per-document standard deviation of the score in the
            cell ``(n_cells,)``: the mean is redrawn from a normal instead of a Beta.
        chunk: cells per batch (memory: ``chunk × reps`` doubles, a few times over).

    Returns:
        ``(lo, hi)`` per cell; NaN where the cell is empty or the rates are missing / not invertible.
    """
    share = np.asarray(share, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    m = len(share)
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    t_hat = np.nan if tpr is None else float(tpr)
    f_hat = np.nan if fpr is None else float(fpr)
    if not (np.isfinite(t_hat) and np.isfinite(f_hat) and t_hat - f_hat > 1e-6):
        return lo, hi
    idx = np.flatnonzero((n > 0) & np.isfinite(share))
    if not len(idx):
        return lo, hi
    rng = np.random.default_rng(seed)
    t = rate_draws(rng, t_hat, float(n_pos), reps)[None, :]
    f = rate_draws(rng, f_hat, float(n_neg), reps)[None, :]
    q = (0.5 - level / 2.0) * 100.0, (0.5 + level / 2.0) * 100.0
    p_all = np.clip(share[idx], 0.0, 1.0)
    if score_sd is None:
        # cells with the same positives and size share one resampling distribution: draw it once
        pairs = np.round(np.column_stack([p_all * n[idx], n[idx]]), 6)
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        u_lo, u_hi = np.empty(len(uniq)), np.empty(len(uniq))
        for start in range(0, len(uniq), chunk):
            part = uniq[start:start + chunk]
            obs = _share_draws(rng, part[:, 0] / np.maximum(part[:, 1], 1e-12), part[:, 1], reps)
            u_lo[start:start + chunk], u_hi[start:start + chunk] = np.percentile(adjusted_count(obs, t, f), q, axis=1)
        a_lo, a_hi = u_lo[inverse.ravel()], u_hi[inverse.ravel()]
    else:
        sd = np.asarray(score_sd, dtype=np.float64)[idx]
        a_lo, a_hi = np.empty(len(idx)), np.empty(len(idx))
        for start in range(0, len(idx), chunk):
            sl = slice(start, start + chunk)
            se = sd[sl] / np.sqrt(np.maximum(n[idx][sl], 1.0))
            obs = np.clip(p_all[sl, None] + rng.standard_normal((len(se), reps)) * se[:, None], 0.0, 1.0)
            a_lo[sl], a_hi[sl] = np.percentile(adjusted_count(obs, t, f), q, axis=1)
    lo[idx] = np.minimum(a_lo, est[idx])
    hi[idx] = np.maximum(a_hi, est[idx])
    return lo, hi
