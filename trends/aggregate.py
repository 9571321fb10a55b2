"""The tidy table: one row per (place, period, facet, label) with counts, shares, intervals and
error-corrected shares — aggregated in DuckDB, corrected and bootstrapped in NumPy.

Two SQL passes over ``tr_docs`` (see :mod:`trends.source`) with ``GROUPING SETS`` give every place's
and the national row per period: one over all documents (sizes, the gate), one over relevant documents
only (the gated labels, as conditional sums over the ``labels`` / ``sc`` lists). Nothing per document
leaves DuckDB, so tens of millions of predictions aggregate in seconds.

Denominators: the gate's share is of all documents; every other label's share is of the relevant
documents (what the issue asks: "share of relevant documents"). The gate's corrected share is computed
on the scored documents (those that passed the prefilter) and rescaled to all documents: documents the
prefilter skipped count as not relevant.

Columns (R/Stata-friendly names): see :data:`COLUMNS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.quantify import adjusted_count
from trends.config import NATIONAL, UNKNOWN_PLACE, Freq, TrendsConfig, Weight
from trends.intervals import bootstrap_adjusted, effective_n, wilson_interval
from trends.modelinfo import ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["COLUMNS", "aggregate", "period_index", "period_label"]

COLUMNS = [
    "place", "place_level", "period", "period_start", "period_end", "freq", "facet", "label", "score_key",
    "label_zh", "label_en", "denom_kind", "n_docs", "n_scored", "n_relevant", "denom", "n_eff", "count", "share",
    "share_lo", "share_hi", "mean_score", "share_acc", "share_acc_lo", "share_acc_hi", "share_pacc",
    "share_pacc_lo", "share_pacc_hi", "acc_ok", "pacc_ok", "est", "est_lo", "est_hi", "est_method",
    "small_cell", "weight", "model_id",
]


def period_label(start: Any, freq: Freq) -> str:
    """Human label of a period starting at ``start``: ``2023-05-01``, ``2023-W18``, ``2023-05``, ``2023Q2``, ``2023``."""
    import pandas as pd

    t = pd.Timestamp(start)
    if freq is Freq.day:
        return t.strftime("%Y-%m-%d")
    if freq is Freq.week:
        iso = t.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if freq is Freq.month:
        return t.strftime("%Y-%m")
    if freq is Freq.quarter:
        return f"{t.year}Q{(t.month - 1) // 3 + 1}"
    return str(t.year)


def period_index(start: Any, freq: Freq) -> int:
    """Position of the period starting at ``start`` on a calendar of ``freq`` periods (gaps count).

    Example: months of 2023-01 and 2023-04 are 3 apart whether or not data exist in between.
    """
    import datetime as dt

    d = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start)[:10])
    if freq is Freq.day:
        return d.toordinal()
    if freq is Freq.week:
        return d.toordinal() // 7
    if freq is Freq.month:
        return d.year * 12 + d.month - 1
    if freq is Freq.quarter:
        return d.year * 4 + (d.month - 1) // 3
    return d.year


def _period_end(starts: pd.Series, freq: Freq) -> pd.Series:
    import pandas as pd

    offset = {Freq.day: pd.DateOffset(days=1), Freq.week: pd.DateOffset(weeks=1),
              Freq.month: pd.DateOffset(months=1), Freq.quarter: pd.DateOffset(months=3),
              Freq.year: pd.DateOffset(years=1)}[freq]
    return (pd.to_datetime(starts) + offset - pd.DateOffset(days=1)).dt.date


def _base_query(freq: Freq) -> str:
    return f"""
        SELECT CASE WHEN grouping(place) = 1 THEN NULL ELSE place END AS place, grouping(place) AS national,
               CAST(date_trunc('{freq.value}', date) AS DATE) AS period_start,
               sum(w) AS n_docs, sum(w * w) AS w2_docs,
               coalesce(sum(CASE WHEN scored THEN w END), 0) AS n_scored,
               coalesce(sum(CASE WHEN scored THEN w * w END), 0) AS w2_scored,
               coalesce(sum(CASE WHEN relevant THEN w END), 0) AS n_relevant,
               coalesce(sum(CASE WHEN relevant THEN w * w END), 0) AS w2_relevant,
               coalesce(sum(CASE WHEN scored THEN w * p_gate END), 0) AS s_gate,
               coalesce(sum(CASE WHEN scored THEN w * p_gate * p_gate END), 0) AS q_gate,
               coalesce(sum(CASE WHEN p_gate IS NOT NULL THEN w END), 0) AS n_gate_scored
        FROM tr_docs
        GROUP BY GROUPING SETS ((place, date_trunc('{freq.value}', date)), (date_trunc('{freq.value}', date)))"""


def _keys_query(freq: Freq, keys: list[str]) -> str:
    parts = ["coalesce(sum(CASE WHEN sc IS NOT NULL THEN w END), 0) AS n_rel_scored"]
    for i, k in enumerate(keys, 1):
        lit = "'" + k.replace("'", "''") + "'"
        parts.append(f"coalesce(sum(CASE WHEN list_contains(labels, {lit}) THEN w END), 0) AS c_{i}")
        parts.append(f"coalesce(sum(w * sc[{i}]), 0) AS s_{i}")
        parts.append(f"coalesce(sum(w * sc[{i}] * sc[{i}]), 0) AS q_{i}")
    return f"""
        SELECT CASE WHEN grouping(place) = 1 THEN NULL ELSE place END AS place, grouping(place) AS national,
               CAST(date_trunc('{freq.value}', date) AS DATE) AS period_start, {', '.join(parts)}
        FROM tr_docs WHERE relevant
        GROUP BY GROUPING SETS ((place, date_trunc('{freq.value}', date)), (date_trunc('{freq.value}', date)))"""


def aggregate(con: Any, *, model: ModelInfo, config: TrendsConfig, gated_keys: list[str]) -> pd.DataFrame:
    """Build the tidy table from ``tr_docs``.

    Args:
        con: the DuckDB connection holding ``tr_docs``.
        model: taxonomy and error rates (rates missing → corrected shares NaN, ``acc_ok = 0``).
        config: frequency, place level, weighting, minimum count, bootstrap settings.
        gated_keys: order of ``tr_docs.sc`` (from :class:`trends.source.SourceInfo`).

    Returns:
        A DataFrame with :data:`COLUMNS`, sorted by place level, place, period, score key order.
    """
    import pandas as pd

    tax = model.taxonomy
    base = con.execute(_base_query(config.freq)).fetchdf()
    keyed = con.execute(_keys_query(config.freq, gated_keys)).fetchdf()
    idx = ["place", "national", "period_start"]
    base["place"] = base["place"].fillna("")
    keyed["place"] = keyed["place"].fillna("")
    cells = base.merge(keyed, on=idx, how="left")
    cells = cells.fillna({c: 0.0 for c in cells.columns if c not in idx})
    cells["place_level"] = np.where(cells["national"] == 1, "national",
                                    np.where(cells["place"] == UNKNOWN_PLACE, "unknown", config.by.value))
    cells.loc[cells["national"] == 1, "place"] = NATIONAL
    cells["period_start"] = pd.to_datetime(cells["period_start"]).dt.date
    gate = tax.gate
    frames = []
    key_pos = {k: i for i, k in enumerate(gated_keys, 1)}
    for f in tax.facets:
        for lab in f.labels:
            key = f.score_key(lab.id)
            is_gate = gate is not None and f is gate
            frames.append(_key_frame(cells, key, f.id, lab, is_gate, key_pos.get(key), model, config))
    out = pd.concat(frames, ignore_index=True)
    starts = pd.Series(sorted(set(cells["period_start"])), dtype=object)
    ends = dict(zip(starts, _period_end(starts, config.freq)))
    out["period_end"] = out["period_start"].map(ends)
    out["period"] = out["period_start"].map({st: period_label(st, config.freq) for st in starts})
    out["freq"] = config.freq.value
    out["weight"] = config.weight.value
    out["model_id"] = model.model_id or ""
    out["small_cell"] = (out["denom"] < config.min_count).astype("int8")
    _add_best(out)
    if config.weight is Weight.none:
        for c in ("n_docs", "n_scored", "n_relevant", "denom", "count"):
            out[c] = out[c].round().astype("int64")
    if config.suppress:
        hide = out["small_cell"] == 1
        for c in COLUMNS:
            if c.startswith(("share", "est")) and c != "est_method" or c in ("count", "mean_score"):
                out.loc[hide, c] = np.nan
    level_order = {"national": 0, config.by.value: 1, "unknown": 2}
    key_order = {k: i for i, k in enumerate(tax.score_keys())}
    out = out.assign(_l=out["place_level"].map(level_order), _k=out["score_key"].map(key_order))
    out = out.sort_values(["_l", "place", "period_start", "_k"], kind="stable").drop(columns=["_l", "_k"])
    return out[COLUMNS].reset_index(drop=True)


def _key_frame(cells: pd.DataFrame, key: str, facet_id: str, lab: Any, is_gate: bool, pos: int | None,
               model: ModelInfo, config: TrendsConfig) -> pd.DataFrame:
    import pandas as pd

    r = model.rates(key)
    nan = float("nan")
    tpr = nan if r.tpr is None else r.tpr
    fpr = nan if r.fpr is None else r.fpr
    stpr = nan if r.soft_tpr is None else r.soft_tpr
    sfpr = nan if r.soft_fpr is None else r.soft_fpr
    if is_gate:
        denom = cells["n_docs"].to_numpy(float)
        count = cells["n_relevant"].to_numpy(float)
        # correction runs on the scored documents (the rates were measured on documents the model scored)
        pop = cells["n_scored"].to_numpy(float)
        pop_eff = effective_n(cells["n_scored"], cells["w2_scored"])
        s_sum, q_sum, s_n = (cells[c].to_numpy(float) for c in ("s_gate", "q_gate", "n_gate_scored"))
        n_eff = effective_n(cells["n_docs"], cells["w2_docs"])
    else:
        denom = cells["n_relevant"].to_numpy(float)
        count = cells[f"c_{pos}"].to_numpy(float)
        pop = denom
        pop_eff = effective_n(cells["n_relevant"], cells["w2_relevant"])
        s_sum, q_sum, s_n = (cells[c].to_numpy(float) for c in (f"s_{pos}", f"q_{pos}", "n_rel_scored"))
        n_eff = pop_eff
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(denom > 0, count / denom, np.nan)
        obs = np.where(pop > 0, count / pop, np.nan)           # share among the scored population
        scale = np.where(denom > 0, pop / denom, np.nan)        # scored population / denominator
        mean = np.where(s_n > 0, s_sum / s_n, np.nan)
        sd = np.sqrt(np.clip(np.where(s_n > 0, q_sum / s_n, np.nan) - mean * mean, 0.0, None))
    lo, hi = wilson_interval(share * n_eff, n_eff, config.level)
    acc_ok = np.isfinite(obs) & np.isfinite(tpr) & np.isfinite(fpr) & (tpr - fpr > 1e-6)
    acc = np.where(acc_ok, adjusted_count(np.nan_to_num(obs), tpr, fpr) * scale, np.nan)
    a_lo, a_hi = bootstrap_adjusted(obs, pop_eff, tpr, fpr, r.n_pos, r.n_neg,
                                    estimate=acc / np.where(acc_ok, scale, 1.0),
                                    reps=config.bootstrap, level=config.level, seed=config.seed)
    pacc_ok = np.isfinite(mean) & np.isfinite(stpr) & np.isfinite(sfpr) & (stpr - sfpr > 1e-6)
    pacc = np.where(pacc_ok, adjusted_count(np.nan_to_num(mean), stpr, sfpr) * scale, np.nan)
    # the probabilistic variant's resamples cannot be shared between cells: only cells that are not small
    big = denom >= config.min_count
    p_lo, p_hi = np.full(len(cells), np.nan), np.full(len(cells), np.nan)
    p_lo[big], p_hi[big] = bootstrap_adjusted(mean[big], pop_eff[big], stpr, sfpr, r.n_pos, r.n_neg,
                                              estimate=(pacc / np.where(pacc_ok, scale, 1.0))[big],
                                              reps=config.bootstrap, level=config.level, seed=config.seed + 1,
                                              score_sd=sd[big])
    return pd.DataFrame({
        "place": cells["place"].to_numpy(), "place_level": cells["place_level"].to_numpy(),
        "period_start": cells["period_start"].to_numpy(), "facet": facet_id, "label": lab.id, "score_key": key,
        "label_zh": lab.name_zh, "label_en": lab.name_en, "denom_kind": "documents" if is_gate else "relevant",
        "n_docs": cells["n_docs"].to_numpy(float), "n_scored": cells["n_scored"].to_numpy(float),
        "n_relevant": cells["n_relevant"].to_numpy(float), "denom": denom, "n_eff": np.round(n_eff, 2),
        "count": count, "share": share, "share_lo": lo, "share_hi": hi, "mean_score": mean,
        "share_acc": acc, "share_acc_lo": a_lo * scale, "share_acc_hi": a_hi * scale,
        "share_pacc": pacc, "share_pacc_lo": p_lo * scale, "share_pacc_hi": p_hi * scale,
        "acc_ok": acc_ok.astype("int8"), "pacc_ok": pacc_ok.astype("int8"),
    })


def _add_best(out: pd.DataFrame) -> None:
    """``est``: the corrected share where the correction is defined, else the plain share (``est_method``)."""
    ok = out["acc_ok"].to_numpy() == 1
    out["est"] = np.where(ok, out["share_acc"], out["share"])
    out["est_lo"] = np.where(ok, out["share_acc_lo"], out["share_lo"])
    out["est_hi"] = np.where(ok, out["share_acc_hi"], out["share_hi"])
    out["est_method"] = np.where(ok, "acc", "cc")
