"""The report's methods section, generated from what this run actually did.

:func:`methods_sections` returns plain data (headings, paragraphs, tables) that the HTML template
renders and :func:`methods_markdown` writes as ``methods.md`` beside the tables, so a paper's
supplement can quote it. Every number comes from the run: data coverage, the model's test metrics and
error rates, thresholds, the correction, the intervals, suppression, the trend tests and the alert rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trends.alerts import alert_rule_text

if TYPE_CHECKING:  # pragma: no cover
    from trends.build import TrendsResult

__all__ = ["methods_markdown", "methods_sections"]


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.{digits}f}"
    return str(v)


def _coverage(r: TrendsResult) -> dict[str, Any]:
    c, s = r.coverage, r.source
    paras = [
        f"Source: {s.kind.value} `{s.path}`" + (f", predictions of model `{s.model_id}`" if s.model_id else "") + ".",
        f"{c['n_rows']:,} predictions read; {c['n_dated']:,} documents have a date and enter the series "
        f"({c['date_min']} to {c['date_max']}); {c['n_excluded']:,} were left out "
        + (f"({'; '.join(f'{k}: {v:,}' for k, v in c['excluded_reasons'].items())}; listed in `excluded.csv`)"
           if c["n_excluded"] else "") + ".",
        (f"Of the dated documents, {c['n_scored']:,} were scored by the model and {c['n_skipped']:,} were skipped "
        f"before scoring (prefilter: no migrant referent, or empty text); {c['n_relevant']:,} were classified as "
        f"relevant. Places: {c['n_places']:,} {r.config.by.value} values; {c['n_no_place']:,} documents have none "
        f"and are counted only in the national rows (and as place `未知`)."),
        f"Periods: {r.config.freq.value} ({c['n_periods']} periods). Weighting: "
        + ("each document counted once." if r.config.weight.value == "none" else
           "each document counted `dup_count` times (the copies folded into it at ingestion); intervals use "
           "Kish's effective sample size."),
    ]
    if s.n_unpredicted:
        paras.append(f"{s.n_unpredicted:,} documents in the store have no prediction by this model and are not "
                     "counted.")
    paras.extend(s.notes)
    return {"title": "Data coverage", "paragraphs": paras, "tables": []}


def _model(r: TrendsResult) -> dict[str, Any]:
    m = r.model
    if m.path is None:
        return {"title": "Model", "paragraphs": [
            ("No model directory was given, so the classifier's error rates are unknown: shares are the plain "
            "classify-and-count shares, not corrected (column `est_method = cc`). Pass `--model DIR` to correct them.")],
            "tables": []}
    cfg = m.config
    test = m.metrics.get("test") or {}
    paras = [(f"Model `{m.model_id}` ({cfg.get('kind', '?')}, preset `{cfg.get('preset', '?')}`, created "
             f"{cfg.get('created_at', '?')}), taxonomy {m.taxonomy.name} {m.taxonomy.version}, from `{m.path}`.")]
    if test:
        paras.append(f"Held-out test split ({test.get('n_docs', '?')} documents): relevance F1 "
                     f"{_fmt(test.get('relevance_f1'))}, macro-F1 over labels {_fmt(test.get('macro_f1'))}.")
    else:
        paras.append("The model has no test-split metrics.")
    rows = []
    per = test.get("per_label") or {}
    for key in m.taxonomy.score_keys():
        pl, er = per.get(key) or {}, m.rates(key)
        rows.append([key, _fmt(m.thresholds.get(key), 3), _fmt(pl.get("precision")), _fmt(pl.get("recall")),
                     _fmt(pl.get("f1")), _fmt(pl.get("support")), _fmt(er.tpr), _fmt(er.fpr), er.n_pos, er.n_neg,
                     _fmt(er.soft_tpr), _fmt(er.soft_fpr)])
    table = {"caption": "Per label: decision threshold; test precision, recall, F1, support; held-out error rates "
                        "used for the correction (tpr, fpr measured on n_pos gold positives and n_neg gold negatives; "
                        "soft rates = mean score of gold positives / negatives)",
             "header": ["score key", "threshold", "precision", "recall", "F1", "support", "tpr", "fpr", "n_pos", "n_neg",
                        "soft tpr", "soft fpr"], "rows": rows}
    return {"title": "Model and its test metrics", "paragraphs": paras, "tables": [table]}


def _correction(r: TrendsResult) -> dict[str, Any]:
    soft = r.model.has_soft_rates
    return {"title": "Correction of shares", "tables": [], "paragraphs": [
        ("A classifier's share of positive decisions (classify-and-count, `share`) is biased when the true share "
        "differs from where its errors balance out: with true- and false-positive rates tpr and fpr, the expected "
        "share is tpr·π + fpr·(1 − π). The adjusted classify-and-count (ACC, Forman 2008) inverts this: "
        "`share_acc` = (share − fpr) / (tpr − fpr), clipped to [0, 1], with the rates the model measured on held-out "
        "annotated documents (`error_rates.json`)."),
        "The probabilistic variant (PACC, Bella et al. 2010) does the same with the mean score and soft rates "
        "(`share_pacc`)." + ("" if soft else " This model's error_rates.json records no soft rates, so `share_pacc` "
                                             "is empty."),
        ("Labels other than the gate are shares of the relevant documents (gated rates were measured on gold-relevant "
        "documents; the run applies them to documents classified relevant — a close but not identical population). "
        "The gate's corrected share is computed over the documents the model scored and rescaled to all documents, "
        "counting documents the prefilter skipped as not relevant."),
        ("Where a key's rates are missing or tpr ≤ fpr the correction is undefined: the cell keeps the plain share and "
        "says so (`acc_ok = 0`, `est_method = cc`). `est` is the corrected share where defined, else the plain share; "
        "charts and statistics use `est`."),
        ("The correction assumes the error rates hold in this corpus: they were measured on the annotated corpus, "
        "and a feed with different text (other outlets, other years) may shift them."),
    ]}


def _intervals(r: TrendsResult) -> dict[str, Any]:
    c = r.config
    return {"title": "What the intervals mean", "tables": [], "paragraphs": [
        (f"All intervals are {c.level:.0%} intervals. `share_lo`–`share_hi` is the Wilson score interval of the plain "
        "share: the sampling uncertainty of the documents in the cell, taking the classifier's decisions as given."),
        (f"`share_acc_lo`–`share_acc_hi` is a parametric bootstrap ({c.bootstrap} draws, seed {c.seed}) of the corrected "
        "share that redraws both the cell (Jeffreys Beta posterior of its share) and the classifier's error rates "
        "(Jeffreys Beta posteriors given the held-out n_pos and n_neg), then takes percentiles; it is widened where "
        "needed to contain the estimate. It is usually much wider than the Wilson interval: it carries the "
        "uncertainty of the classifier, which a plain interval ignores. `share_pacc_lo`–`share_pacc_hi` is the same "
        "for the probabilistic variant (the cell's mean score redrawn from a normal with its standard error); it is "
        "left empty for small cells."),
        ("Neither interval covers what the data cannot show: whether the sources cover a city's discussion, errors in "
        "city attribution and dates, or disagreement about the codebook itself."),
    ]}


def _suppression(r: TrendsResult) -> dict[str, Any]:
    c = r.config
    n_small = int((r.table["small_cell"] == 1).sum())
    return {"title": "Small cells", "tables": [], "paragraphs": [
        f"A cell whose denominator (relevant documents; all documents for the gate) is below {c.min_count} is a small "
        f"cell (`small_cell = 1`; {n_small:,} of {len(r.table):,} rows). In this report its share is not shown, it "
        "gets no example documents, and it is left out of trend tests, change points and alerts."
        + (" The written tables blank its shares and counts too (`--suppress`)." if c.suppress else
           " The written tables keep its values (flagged) for researchers; use `--suppress` before sharing them."),
    ]}


def _statistics(r: TrendsResult) -> dict[str, Any]:
    c = r.config
    tested = int(r.stats["mk_p"].notna().sum()) if len(r.stats) else 0
    return {"title": "Trends, change points and alerts", "tables": [], "paragraphs": [
        (f"Per place and label, over periods that are not small cells: Theil–Sen slope (share per period, with its "
        f"{c.level:.0%} interval) and the Mann–Kendall test of a monotonic trend (at least {c.min_periods} periods; "
        f"assumes no serial correlation). {tested:,} series were tested; `trend` is called where the "
        f"Benjamini–Hochberg q-value across them is at most {1 - c.level:.2f}."),
        (f"Change points: PELT (ruptures, least-squares cost, segments of two or more periods, at least "
        f"{c.min_periods_changepoint} periods) with penalty {c.changepoint_penalty:g} × σ² × log n, σ² being the larger of "
        "the sampling variance implied by the cells' intervals and a robust estimate from successive differences."),
        alert_rule_text(c) + f" This run tested {r.n_alert_tests:,} place × label × period cells; with no real change "
        f"about {r.n_alert_tests * c.alert_alpha:.1f} would be flagged by chance. It flagged {len(r.alerts):,}.",
    ]}


def methods_sections(result: TrendsResult) -> list[dict[str, Any]]:
    """The methods section as ``[{"title", "paragraphs": [str], "tables": [{"caption", "header", "rows"}]}]``."""
    return [_coverage(result), _model(result), _correction(result), _intervals(result), _suppression(result),
            _statistics(result)]


def methods_markdown(result: TrendsResult) -> str:
    """The methods section as Markdown."""
    lines = ["# Methods", ""]
    for sec in methods_sections(result):
        lines += [f"## {sec['title']}", ""]
        for p in sec["paragraphs"]:
            lines += [p, ""]
        for t in sec["tables"]:
            lines += [f"*{t['caption']}*", "", "| " + " | ".join(t["header"]) + " |",
                      "|" + "---|" * len(t["header"])]
            lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in t["rows"]]
            lines.append("")
    return "\n".join(lines)
