"""Trend statistics per place × label: Theil–Sen slope, Mann–Kendall test, change points.

For every (place, score key) the series is the cell estimate ``est`` (the error-corrected share where
the correction is defined, else the plain share) over the periods where the place has documents and the
cell is not small (``small_cell = 0``); gaps are allowed.

- **Theil–Sen slope** (``scipy.stats.theilslopes``): median of pairwise slopes against the period's
  position on the calendar (so gaps count as time), with its confidence interval, in share per period.
- **Mann–Kendall** (``pymannkendall.original_test``): a rank test of a monotonic trend; it assumes no
  serial correlation. With many series, p-values are also given as Benjamini–Hochberg q-values
  (``mk_q``) over every series tested in the run; ``trend`` is called at ``q ≤ 1 − level``.
- **Change points** (``ruptures`` PELT on the least-squares cost — ``KernelCPD`` with a linear kernel —
  segments of at least two periods): the
  penalty is ``changepoint_penalty × σ² × log n``, with σ² the larger of the sampling variance implied by
  the cells' intervals and a robust estimate from successive differences (MAD), so a change must
  exceed what the intervals already allow.

Example:
    >>> import numpy as np
    >>> change_points(np.r_[np.full(6, .1), np.full(6, .4)], noise_var=0.0004)
    [6]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from trends.aggregate import period_index
from trends.config import TrendsConfig
from trends.intervals import z_value

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CHANGE_COLUMNS", "STATS_COLUMNS", "benjamini_hochberg", "change_points", "series_stats"]

STATS_COLUMNS = ["place", "place_level", "facet", "label", "score_key", "label_zh", "label_en", "n_periods",
                 "first_period", "last_period", "mean_est", "slope", "slope_lo", "slope_hi", "mk_tau", "mk_s",
                 "mk_z", "mk_p", "mk_q", "trend", "n_changepoints", "changepoints"]
CHANGE_COLUMNS = ["place", "place_level", "facet", "label", "score_key", "period", "period_start", "mean_before",
                  "mean_after", "change"]


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of p-values ``(n,)`` (NaN stays NaN)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if not m:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.clip(ranked, 0.0, 1.0)
    q[ok] = out
    return q


def change_points(y: np.ndarray, *, noise_var: float, penalty: float = 3.0, min_size: int = 2) -> list[int]:
    """Indices where a new segment starts, by PELT with a least-squares cost.

    Args:
        y: the series ``(n,)``.
        noise_var: variance of the noise around each segment's mean (a floor for the robust estimate).
        penalty: multiplier of ``σ² log n``.
        min_size: shortest segment.

    Returns:
        Start indices of segments after the first (empty when the series is one segment).
    """
    import ruptures as rpt

    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 2 * min_size:
        return []
    d = np.diff(y)
    mad = float(np.median(np.abs(d - np.median(d)))) / (0.6745 * np.sqrt(2.0)) if len(d) else 0.0
    sigma2 = max(mad * mad, float(noise_var), 1e-8)
    # a linear kernel is the least-squares cost; ruptures solves it with PELT in C (KernelCPD), ~100x faster
    # than its Python Pelt(model="l2") and with the same segmentation
    algo = rpt.KernelCPD(kernel="linear", min_size=min_size).fit(y.reshape(-1, 1))
    bkps = algo.predict(pen=penalty * sigma2 * np.log(n))
    return [int(b) for b in bkps if b < n]


def series_stats(table: pd.DataFrame, config: TrendsConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trend and change-point statistics of every (place, score key) series of the tidy table.

    Args:
        table: the tidy table (:func:`trends.aggregate.aggregate`).
        config: ``min_periods``, ``min_periods_changepoint``, ``changepoint_penalty``, ``level``.

    Returns:
        ``(stats, changes)``: one row per series (:data:`STATS_COLUMNS`) and one per change point
        (:data:`CHANGE_COLUMNS`). Places ``unknown`` are left out.
    """
    import pandas as pd
    import pymannkendall as mk
    from scipy.stats import theilslopes

    periods = sorted(table["period_start"].unique())
    pos = {p: period_index(p, config.freq) for p in periods}
    labels = table.drop_duplicates("period_start").set_index("period_start")["period"].to_dict()
    z = z_value(config.level)
    use = table[(table["place_level"] != "unknown") & (table["small_cell"] == 0) & np.isfinite(table["est"])]
    rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for (place, key), g in use.groupby(["place", "score_key"], sort=False):
        g = g.sort_values("period_start")
        y = g["est"].to_numpy(float)
        x = np.array([pos[p] for p in g["period_start"]], dtype=np.float64)
        first = g.iloc[0]
        row: dict[str, Any] = {c: first[c] for c in ("place", "place_level", "facet", "label", "score_key",
                                                      "label_zh", "label_en")}
        row.update(n_periods=len(y), first_period=g["period"].iloc[0], last_period=g["period"].iloc[-1],
                   mean_est=float(np.mean(y)) if len(y) else np.nan, slope=np.nan, slope_lo=np.nan, slope_hi=np.nan,
                   mk_tau=np.nan, mk_s=np.nan, mk_z=np.nan, mk_p=np.nan, n_changepoints=0, changepoints="")
        if len(y) >= config.min_periods and np.ptp(y) > 0:
            ts = theilslopes(y, x, alpha=config.level)
            test = mk.original_test(y, alpha=1 - config.level)
            row.update(slope=float(ts.slope), slope_lo=float(ts.low_slope), slope_hi=float(ts.high_slope),
                       mk_tau=float(test.Tau), mk_s=float(test.s), mk_z=float(test.z), mk_p=float(test.p))
        elif len(y) >= config.min_periods:  # a flat series: no trend, p = 1
            row.update(slope=0.0, slope_lo=0.0, slope_hi=0.0, mk_tau=0.0, mk_s=0.0, mk_z=0.0, mk_p=1.0)
        if len(y) >= config.min_periods_changepoint:
            half = (g["est_hi"].to_numpy(float) - g["est_lo"].to_numpy(float)) / (2 * z)
            noise = float(np.nanmean(half * half)) if np.isfinite(half).any() else 0.0
            cps = change_points(y, noise_var=noise, penalty=config.changepoint_penalty)
            bounds = [0, *cps, len(y)]
            for j, cp in enumerate(cps):
                before = float(np.mean(y[bounds[j]:cp]))
                after = float(np.mean(y[cp:bounds[j + 2]]))
                start = g["period_start"].iloc[cp]
                changes.append({**{c: row[c] for c in ("place", "place_level", "facet", "label", "score_key")},
                                "period": labels[start], "period_start": start, "mean_before": before,
                                "mean_after": after, "change": after - before})
            row.update(n_changepoints=len(cps), changepoints=";".join(labels[g["period_start"].iloc[c]] for c in cps))
        rows.append(row)
    stats = pd.DataFrame(rows, columns=[c for c in STATS_COLUMNS if c not in ("mk_q", "trend")])
    stats["mk_q"] = benjamini_hochberg(stats["mk_p"].to_numpy(float)) if len(stats) else []
    sig = stats["mk_q"] <= 1 - config.level
    stats["trend"] = np.where(sig & (stats["mk_s"] > 0), "increasing",
                              np.where(sig & (stats["mk_s"] < 0), "decreasing",
                                       np.where(stats["mk_p"].notna(), "no trend", "too short")))
    return stats[STATS_COLUMNS], pd.DataFrame(changes, columns=CHANGE_COLUMNS)
