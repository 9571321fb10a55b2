"""The HTML report: one self-contained file (works offline) with interactive charts and drill-downs.

Plotly's JavaScript (``plotly.offline.get_plotlyjs()``, about 4.8 MB) and the report's own script and
style sheet are embedded; the data travel as one JSON block. The page is rendered from Jinja2 templates
in ``trends/templates/`` with autoescaping on; document text reaches the page only inside the JSON block
(escaped for a ``<script>`` element) and is inserted by the script as text nodes, so no document can
inject markup. Small cells are suppressed here whatever ``--suppress`` says: their shares, counts and
examples are not in the file.

Example:
    >>> from trends.build import build_trends                          # doctest: +SKIP
    >>> write_report(build_trends("corpus.duckdb", "out"), "out/report.html")
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trends.alerts import alert_rule_text
from trends.config import NATIONAL

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from trends.build import TrendsResult

__all__ = ["report_data", "script_json", "write_report"]

TABLE_PERIODS = 12


def script_json(obj: Any) -> str:
    """JSON safe to place inside a ``<script>`` element (``<``, ``>``, ``&``, U+2028/9 escaped)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _clean(values: Any, digits: int = 4) -> list[Any]:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
            out.append(None)
        elif isinstance(v, (float, np.floating)):
            out.append(round(float(v), digits))
        elif isinstance(v, (np.integer,)):
            out.append(int(v))
        else:
            out.append(v)
    return out


def report_data(result: TrendsResult) -> dict[str, Any]:
    """The JSON payload of the report: labels, periods, per-place series (small cells blanked), examples."""
    tax = result.model.taxonomy
    table = result.table
    periods = sorted(table["period_start"].unique())
    labels = table.drop_duplicates("period_start").set_index("period_start")["period"].to_dict()
    pidx = {p: i for i, p in enumerate(periods)}
    places = [NATIONAL] + [p for p in result.places if p != NATIONAL]
    gate = tax.gate
    facets = [{"id": f.id, "zh": f.name_zh or f.id, "en": f.name_en or f.id, "kind": f.kind.value,
               "keys": [f.score_key(lab.id) for lab in f.labels]} for f in tax.facets]
    keys = {f.score_key(lab.id): {"facet": f.id, "label": lab.id, "zh": lab.name_zh, "en": lab.name_en,
                                  "gate": gate is not None and f is gate} for f in tax.facets for lab in f.labels}
    series: dict[str, dict[str, Any]] = {}
    sub = table[table["place"].isin(places)].sort_values("period_start")
    for (place, key), g in sub.groupby(["place", "score_key"], sort=False):
        small = g["small_cell"].to_numpy() == 1

        def col(name: str, g: pd.DataFrame = g, small: np.ndarray = small) -> list[Any]:
            v = g[name].to_numpy(float).copy()
            v[small] = np.nan  # small cells are suppressed in the report
            return _clean(v.tolist())

        series.setdefault(str(place), {})[str(key)] = {
            "i": [pidx[p] for p in g["period_start"]], "est": col("est"), "lo": col("est_lo"), "hi": col("est_hi"),
            "share": col("share"), "slo": col("share_lo"), "shi": col("share_hi"), "count": col("count"),
            "denom": col("denom"), "small": small.astype(int).tolist(), "m": g["est_method"].tolist()}
    cfg = result.config
    return {
        "meta": {"national": NATIONAL, "min_count": cfg.min_count, "freq": cfg.freq.value, "by": cfg.by.value,
                 "table_periods": TABLE_PERIODS, "model_id": result.model.model_id},
        "facets": facets, "keys": keys,
        "periods": [{"s": p.isoformat(), "l": labels[p]} for p in periods],
        "places": places, "series": series, "examples": result.examples,
    }


def _pct(v: Any, digits: int = 1) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{100 * float(v):.{digits}f}%"


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{float(v):,.0f}" if float(v) == round(float(v)) else f"{float(v):,.1f}"


def _context(result: TrendsResult, title: str | None) -> dict[str, Any]:
    from trends.methods import methods_sections

    cfg = result.config
    periods = sorted(result.table["period_start"].unique())
    pidx = {p: i for i, p in enumerate(periods)}
    alerts = []
    for a in result.alerts.head(200).itertuples(index=False):
        alerts.append({"place": a.place, "period": a.period, "label_zh": a.label_zh, "score_key": a.score_key,
                       "count_txt": _num(a.count), "denom_txt": _num(a.denom), "share_txt": _pct(a.share),
                       "baseline_txt": _pct(a.baseline_share), "ratio_txt": "∞" if not math.isfinite(a.ratio) else f"{a.ratio:.1f}×",
                       "p_txt": f"{a.p_value:.1e}", "est_txt": f"{_pct(a.est)} [{_pct(a.est_lo)}–{_pct(a.est_hi)}]",
                       "drill": f"{a.place}|{pidx[a.period_start]}|{a.score_key}"})
    stats = result.stats
    sig = stats[stats["trend"].isin(["increasing", "decreasing"])].copy()
    sig = sig.reindex(sig["slope"].abs().sort_values(ascending=False).index).head(100)
    trends = [{"place": t.place, "label_zh": t.label_zh, "score_key": t.score_key, "trend": t.trend,
               "slope_txt": f"{100 * t.slope:+.2f} pp", "interval_txt": f"{100 * t.slope_lo:+.2f} to {100 * t.slope_hi:+.2f} pp",
               "n_periods": t.n_periods, "first_period": t.first_period, "last_period": t.last_period,
               "q_txt": f"{t.mk_q:.3f}", "changepoints": t.changepoints} for t in sig.itertuples(index=False)]
    ch = result.changes
    keys = {f.score_key(lab.id): lab.name_zh for f in result.model.taxonomy.facets for lab in f.labels}
    ch = ch.reindex(ch["change"].abs().sort_values(ascending=False).index).head(100) if len(ch) else ch
    changes = [{"place": c.place, "label_txt": f"{keys.get(c.score_key, c.score_key)} ({c.score_key})", "period": c.period,
                "before_txt": _pct(c.mean_before), "after_txt": _pct(c.mean_after),
                "drill": f"{c.place}|{pidx[c.period_start]}|{c.score_key}"} for c in ch.itertuples(index=False)]
    gate = result.table[result.table["denom_kind"] == "documents"]
    tot = gate.groupby("place")[["n_docs", "n_relevant"]].sum()
    n_alerts = result.alerts.groupby("place").size().to_dict() if len(result.alerts) else {}
    places = [{"name": p, "n_docs_txt": _num(tot.loc[p, "n_docs"]), "n_relevant_txt": _num(tot.loc[p, "n_relevant"]),
               "n_alerts": int(n_alerts.get(p, 0))} for p in result.places if p in tot.index]
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("stigmascope")
    except PackageNotFoundError:  # running from a source tree without metadata
        ver = "dev"
    return {"title": title or cfg.title, "cov": result.coverage, "freq_name": cfg.freq.value, "by": cfg.by.value,
            "model_id": result.model.model_id, "generated": time.strftime("%Y-%m-%d %H:%M"), "alerts": alerts,
            "alert_rule": alert_rule_text(cfg), "trends": trends, "changes": changes, "places": places,
            "methods": methods_sections(result), "notes": result.notes, "min_count": cfg.min_count,
            "level_pct": f"{cfg.level:.0%}", "q_level": f"{1 - cfg.level:.2f}", "version": ver}


def write_report(result: TrendsResult, path: str | Path | None = None, *, title: str | None = None) -> Path:
    """Write the self-contained HTML report of a trends run.

    Args:
        result: what :func:`trends.build.build_trends` returned.
        path: the file (default ``result.out_dir / "report.html"``).
        title: page title (default ``config.title``).

    Returns:
        The path written; also recorded as ``result.files["report"]``.
    """
    import jinja2
    import plotly.offline

    tpl_dir = Path(__file__).parent / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tpl_dir)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    ctx = _context(result, title)
    html = env.get_template("report.html.j2").render(
        **ctx, css=(tpl_dir / "report.css").read_text(encoding="utf-8"),
        report_js=(tpl_dir / "report.js").read_text(encoding="utf-8"),
        plotly_js=plotly.offline.get_plotlyjs(), data_json=script_json(report_data(result)))
    out = Path(path) if path is not None else result.out_dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    result.files["report"] = str(out)
    return out
