"""Alerts: periods where a label's share in a place rises well above that place's own recent baseline.

The rule (written into the report's methods section by :func:`alert_rule_text`), for each place
(and the national series), score key and period ``t``:

1. **Baseline**: the ``alert_window`` calendar periods before ``t``; those where the place has a
   usable cell (not small) count. At least ``alert_min_baseline`` must. The baseline share ``p₀`` is
   the pooled share over them: ``Σ count / Σ denominator``.
2. **Test**: with ``n`` documents in the denominator at ``t`` (the effective number when weighted) and
   ``x`` positive, the upper-tail binomial probability ``P(X ≥ x | n, p₀)``, with ``p₀`` floored at
   half a document of the baseline (``0.5 / Σ denominator``) so an empty baseline does not make a single
   document an alert.
3. **Alert** when ``p ≤ alert_alpha``, ``x ≥ alert_min_count`` and ``share_t ≥ alert_min_ratio × p₀``,
   and the period's own cell is not small.

The test uses the classifier's decisions (plain shares): with fixed error rates the decision rate is an
increasing function of the true prevalence (``tpr > fpr``), so a significant rise in one is a rise in
the other. The binomial assumes documents are independent; bursts of near-copies (use ``--weight
dup_count`` only with care) and many tests (one per place × label × period) both produce false alerts —
the report states how many tests were run and how many false alerts ``alpha`` alone would give.

Example:
    >>> import pandas as pd                                       # doctest: +SKIP
    >>> find_alerts(table, TrendsConfig())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from trends.aggregate import period_index
from trends.config import TrendsConfig

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ALERT_COLUMNS", "alert_rule_text", "find_alerts"]

ALERT_COLUMNS = ["place", "place_level", "period", "period_start", "facet", "label", "score_key", "label_zh",
                 "label_en", "count", "denom", "share", "baseline_share", "baseline_periods", "baseline_denom",
                 "ratio", "z", "p_value", "est", "est_lo", "est_hi"]


def alert_rule_text(config: TrendsConfig) -> str:
    """The alert rule in one paragraph, with this run's settings."""
    return (f"A period is flagged when the share of a label in a place is well above that place's own baseline: "
            f"the pooled share over the previous {config.alert_window} periods (at least "
            f"{config.alert_min_baseline} of them with {config.min_count} or more documents in the denominator). "
            f"Flagged when the upper-tail binomial probability of seeing at least as many positive documents, "
            f"given the baseline share, is at most {config.alert_alpha:g}; the period has at least "
            f"{config.alert_min_count} positive documents and at least {config.min_count} in the denominator; "
            f"and its share is at least {config.alert_min_ratio:g} times the baseline. The test uses the "
            "classifier's decisions (with fixed error rates a rise in the decision rate is a rise in the true "
            "share) and assumes documents are independent.")


def find_alerts(table: pd.DataFrame, config: TrendsConfig) -> tuple[pd.DataFrame, int]:
    """Apply the alert rule to every (place, score key, period) of the tidy table.

    Args:
        table: the tidy table (:func:`trends.aggregate.aggregate`).
        config: the alert settings.

    Returns:
        ``(alerts, n_tests)``: the alerts (:data:`ALERT_COLUMNS`, strongest first) and how many periods were
        tested (had a usable baseline), for the false-alert arithmetic in the methods.
    """
    import pandas as pd
    from scipy.stats import binom

    pos = {p: period_index(p, config.freq) for p in table["period_start"].unique()}
    data = table[table["place_level"] != "unknown"]
    rows: list[dict[str, Any]] = []
    n_tests = 0
    for _, g in data.groupby(["place", "score_key"], sort=False):
        g = g.sort_values("period_start")
        idx = np.array([pos[p] for p in g["period_start"]])
        usable = (g["small_cell"].to_numpy() == 0) & (g["denom"].to_numpy(float) > 0)
        # effective positives and denominator (equal to count / denom when unweighted)
        n_eff = g["n_eff"].to_numpy(float)
        share = g["share"].to_numpy(float)
        x_eff = np.nan_to_num(share * n_eff)
        slot = {int(i): j for j, i in enumerate(idx)}
        for j in range(len(g)):
            if not usable[j]:
                continue
            base = [slot[i] for i in range(idx[j] - config.alert_window, idx[j]) if i in slot and usable[slot[i]]]
            if len(base) < config.alert_min_baseline:
                continue
            n_tests += 1
            b_n = float(n_eff[base].sum())
            p0 = float(x_eff[base].sum()) / b_n if b_n > 0 else 0.0
            p0f = min(max(p0, 0.5 / max(b_n, 1.0)), 1.0 - 1e-12)
            n, x = n_eff[j], x_eff[j]
            if round(x) < config.alert_min_count or share[j] < config.alert_min_ratio * p0:
                continue
            p = float(binom.sf(np.ceil(x - 1e-9) - 1, max(round(n), 1), p0f))
            if p > config.alert_alpha:
                continue
            r = g.iloc[j]
            rows.append({
                **{c: r[c] for c in ("place", "place_level", "period", "period_start", "facet", "label", "score_key",
                                     "label_zh", "label_en", "count", "denom", "share", "est", "est_lo", "est_hi")},
                "baseline_share": p0, "baseline_periods": len(base), "baseline_denom": b_n,
                "ratio": share[j] / p0 if p0 > 0 else np.inf,
                "z": (x - n * p0f) / np.sqrt(n * p0f * (1 - p0f)), "p_value": p})
    alerts = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    if len(alerts):
        alerts = alerts.sort_values(["p_value", "z"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return alerts, n_tests
