"""Readable reports from ``metrics.json``: ``report.md`` and a self-contained-enough ``report.html``.

The report is built once as a list of blocks (headings, paragraphs, tables, images) and rendered to both
formats, so the two never disagree. Every number comes from the metrics dict; nothing is recomputed.

Example:
    >>> blocks = build_blocks(metrics)                       # doctest: +SKIP
    >>> print(render_markdown(blocks)[:200])                 # doctest: +SKIP
"""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["build_blocks", "fmt", "fmt_ci", "render_html", "render_markdown", "shift_blocks", "write_reports"]

Block = tuple  # ("h", level, text) | ("p", text) | ("table", headers, rows) | ("img", src, alt) | ("list", items)


def fmt(v: Any, digits: int = 3) -> str:
    """A number for a table cell (``—`` for missing)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def fmt_ci(v: Any, ci: Sequence[float] | None, digits: int = 3) -> str:
    """``0.812 [0.75, 0.86]``."""
    if v is None:
        return "—"
    return fmt(v, digits) + (f" [{ci[0]:.{digits - 1}f}, {ci[1]:.{digits - 1}f}]" if ci else "")


def _summary(metrics: Mapping[str, Any]) -> list[Block]:
    systems = metrics["systems"]
    first = next(iter(systems.values())) if systems else None
    gate_facet = (first.get("relevance") or {}).get("facet") if first else None
    facets = [f for f in first["per_facet"] if f != gate_facet] if first else []
    headers = ["system", "relevance F1", "macro-F1 (all labels)", *[f"{f} macro-F1" for f in facets]]
    conf_facets = sorted({f for s in systems.values() for f in s["confusion"]})
    headers += [f"{f} accuracy" for f in conf_facets]
    rows = []
    for name, s in systems.items():
        rel = s.get("relevance") or {}
        row = [name, fmt_ci(rel.get("f1"), (rel.get("ci") or {}).get("f1")),
               fmt_ci(s["overall"]["macro_f1"], s["overall"].get("macro_f1_ci"))]
        row += [fmt_ci(s["per_facet"][f]["macro_f1"], s["per_facet"][f].get("macro_f1_ci")) for f in facets]
        row += [fmt(s["confusion"].get(f, {}).get("accuracy")) for f in conf_facets]
        rows.append(row)
    return [("h", 2, "Summary"), ("table", headers, rows)]


def _comparison(metrics: Mapping[str, Any]) -> list[Block]:
    out: list[Block] = []
    for cmp in metrics.get("comparison") or []:
        out.append(("h", 2, f"Comparison: {cmp['b']} vs {cmp['a']}"))
        out.append(("p", f"Macro-F1 of each system, the difference B − A ({cmp['b']} − {cmp['a']}) with its "
                         "bootstrap interval, and a paired bootstrap p-value (two-sided; same resampled documents "
                         "for both systems)."))
        rows = []
        for facet, r in [*cmp["per_facet"].items(), ("overall (all labels)", cmp["overall"])]:
            rows.append([facet, fmt(r["a"]), fmt(r["b"]), fmt(r["diff"]),
                         f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]" if r.get("ci") else "—", fmt(r.get("p_value"))])
        out.append(("table", ["facet", cmp["a"], cmp["b"], "B − A", "95% CI", "p"], rows))
    return out


def _system(name: str, s: Mapping[str, Any]) -> list[Block]:
    out: list[Block] = [("h", 2, f"System: {name}")]
    desc = s["system"]
    bits = [f"{k}: {v}" for k, v in desc.items() if v not in (None, "", []) and k != "name"]
    out.append(("p", "; ".join(bits)))
    out.append(("p", f"{s['n_docs']} documents, {s['n_gold_relevant']} gold-relevant, {s['n_skipped']} without scores "
                     f"(skipped by the prefilter or empty: treated as not relevant, score 0), "
                     f"{s.get('n_skipped_gold_relevant', 0)} of them gold-relevant."))
    rel = s.get("relevance")
    if rel:
        ci = rel.get("ci") or {}
        out += [("h", 3, "Relevance"),
                ("table", ["precision", "recall", "F1", "AP", "ECE", "support", "predicted"],
                 [[fmt_ci(rel["precision"], ci.get("precision")), fmt_ci(rel["recall"], ci.get("recall")),
                   fmt_ci(rel["f1"], ci.get("f1")), fmt(rel.get("average_precision")), fmt(rel.get("ece")),
                   fmt(rel["support"]), fmt(rel["predicted"])]])]
    rows = []
    for facet, f in s["per_facet"].items():
        e2e = s["end_to_end"]["per_facet"][facet]
        rows.append([facet, fmt_ci(f["macro_f1"], f.get("macro_f1_ci")), fmt(f["micro_precision"]),
                     fmt(f["micro_recall"]), fmt_ci(f["micro_f1"], f.get("micro_f1_ci")), fmt(e2e["macro_f1"]),
                     fmt(s["calibration"][facet]["ece"]), f"{f['labels_in_macro']}/{f['labels']}"])
    out += [("h", 3, "Per facet"),
            ("p", "Gated facets are scored on gold-relevant documents; 'end-to-end' scores every document "
                  "(relevance errors also count against the facet). Macro-F1 averages the labels with gold "
                  "positives (last column)."),
            ("table", ["facet", "macro-F1 [95% CI]", "micro P", "micro R", "micro-F1 [95% CI]", "end-to-end macro-F1",
                       "ECE", "labels averaged"], rows)]
    rows = []
    for key, v in s["per_label"].items():
        ci = v.get("ci") or {}
        rows.append([key, fmt(v["support"]), fmt(v["predicted"]), fmt_ci(v["precision"], ci.get("precision")),
                     fmt_ci(v["recall"], ci.get("recall")), fmt_ci(v["f1"], ci.get("f1")),
                     fmt(v.get("average_precision")), fmt(v.get("ece"))])
    out += [("h", 3, "Per label"),
            ("table", ["label", "support", "predicted", "precision", "recall", "F1", "AP", "ECE"], rows)]
    for facet, c in s["confusion"].items():
        hdr = ["gold \\ predicted", *c["labels"]]
        body = [[lab, *[str(x) for x in row]] for lab, row in zip(c["labels"], c["matrix"])]
        out += [("h", 3, f"Confusion matrix: {facet}"),
                ("p", f"{c['n']} gold-relevant documents; accuracy {fmt(c['accuracy'])}, Cohen's kappa with gold "
                      f"{fmt(c['kappa'])}."), ("table", hdr, body)]
    out += _prevalence(s["prevalence"])
    agr = s["agreement_with_gold"]
    out += [("h", 3, "Agreement with gold (model as a second annotator)"),
            ("p", "Gated facets compare the documents both gold and model call relevant (relevance disagreements "
                  "count once, in relevance), so kappa here can differ from the confusion matrix above."),
            ("table", ["facet", "Krippendorff's alpha", "Cohen's kappa", "units", "note"],
             [[f, fmt(v["alpha"]), fmt(v["kappa"]), fmt(v["n_units"]), v["note"] or ""]
              for f, v in agr["facets"].items()])]
    out += _slices(s["slices"])
    files = s.get("files") or {}
    if files.get("reliability"):
        out.append(("h", 3, "Reliability diagrams"))
        out += [("img", src, f"reliability {facet}") for facet, src in files["reliability"].items()]
    if files.get("pr_curves"):
        out.append(("h", 3, "Precision-recall curves"))
        out += [("img", src, f"PR {facet}") for facet, src in files["pr_curves"].items()]
    if "shift" in s:
        out += shift_blocks(s["shift"], files.get("shift"))
    out += _errors(s["errors"])
    return out


def _prevalence(p: Mapping[str, Any]) -> list[Block]:
    methods = ["cc", "acc_stored", "acc_crossfit", "pcc", "pacc_crossfit"]
    rows = []
    for key, v in p["per_key"].items():
        rows.append([key, fmt(v["n"]), fmt(v["n_pos"]), fmt(v["true"]), *[fmt(v.get(m)) for m in methods]])
    mae = p["summary"]["mae"]
    rows.append([f"mean abs. error ({p['summary']['n_keys']} keys)", "", "", "", *[fmt(mae.get(m)) for m in methods]])
    return [("h", 3, "Prevalence on the gold set: plain vs corrected shares"),
            ("p", "Share of each label in its population (gold-relevant documents for gated facets) from the "
                  "model's own per-label decisions: CC = classify and count; ACC = adjusted with tpr/fpr (stored in "
                  "the model, or cross-fitted on other folds of this set); PCC = mean score; PACC = mean score "
                  "adjusted with cross-fitted soft rates."),
            ("list", p["notes"]),
            ("table", ["label", "n", "positives", "true", "CC", "ACC (stored)", "ACC (cross-fit)", "PCC",
                       "PACC (cross-fit)"], rows)]


def _slices(sl: Mapping[str, Any]) -> list[Block]:
    out: list[Block] = [("h", 3, "Slices: where the model is weakest"),
                        ("p", f"Macro-F1 per slice averages the labels with gold positives in that slice; slices "
                              f"under {sl['min_docs']} documents are marked small and not ranked.")]
    if sl["weakest"]:
        out.append(("table", ["dimension", "value", "docs", "relevant", "macro-F1", "labels", "relevance F1"],
                    [[w["dimension"], w["value"], fmt(w["n"]), fmt(w["n_relevant"]), fmt(w["macro_f1"]),
                      fmt(w["labels_in_macro"]), fmt(w.get("relevance_f1"))] for w in sl["weakest"]]))
    for dim, entries in sl["dimensions"].items():
        out.append(("h", 4, f"By {dim}"))
        out.append(("table", [dim, "docs", "relevant", "macro-F1", "labels", "relevance F1", "small"],
                    [[e["value"], fmt(e["n"]), fmt(e["n_relevant"]), fmt(e["macro_f1"]), fmt(e["labels_in_macro"]),
                      fmt(e.get("relevance_f1")), "yes" if e["small"] else ""] for e in entries]))
    return out


def shift_blocks(sh: Mapping[str, Any], chart: str | None) -> list[Block]:
    """Report blocks of a prevalence-shift study (:func:`evaluation.shift.shift_study`) and its chart."""
    summary = sh["summary"]
    methods = list(summary.get("mae_all", {}))
    rows = [[p, *[f"{fmt(summary['bias'][p].get(m))} / {fmt(summary['mae'][p].get(m))}" for m in methods]]
            for p in summary["mae"]]
    rows.append(["all", *[f"— / {fmt(summary['mae_all'][m])}" for m in methods]])
    cfg = sh["config"]
    out: list[Block] = [("h", 3, "Prevalence shift"),
                        ("p", f"{len(sh['keys'])} labels studied ({', '.join(sh['keys']) or 'none'}); samples of "
                              f"{cfg['sample_size']} documents drawn at each true prevalence, {cfg['repeats']} "
                              f"repeats; rates from a disjoint calibration half. Cells: bias / mean absolute error, "
                              f"averaged over labels. {sh['note']}."),
                        ("table", ["true prevalence", *methods], rows)]
    if sh["skipped"]:
        out.append(("list", [f"{k}: not studied, {v}" for k, v in sh["skipped"].items()]))
    if chart:
        out.append(("img", chart, "prevalence shift"))
    return out


def _errors(errors: Mapping[str, Any]) -> list[Block]:
    out: list[Block] = [("h", 3, "Worst errors per label")]
    if not errors:
        out.append(("p", "No errors."))
    for key, e in errors.items():
        out.append(("h", 4, key))
        items = []
        for x in e["false_positives"]:
            ev = "; ".join(f"{s['source']}: 「{s['text']}」" for s in x["evidence"] if s.get("text")) or "no evidence span"
            items.append(f"FP {x['id']} (score {x['score']:.3f}, {x['source']}): {x['text']} — evidence: {ev}")
        for x in e["false_negatives"]:
            cues = "、".join(x["cues_found"]) or "none"
            skip = f", {x['skip_reason']}" if x.get("skip_reason") else ""
            items.append(f"FN {x['id']} (score {x['score']:.3f}, {x['source']}{skip}): {x['text']} — cue words "
                         f"present: {cues}")
        out.append(("list", items))
    return out


def build_blocks(metrics: Mapping[str, Any]) -> list[Block]:
    """The report as blocks (see the module docstring)."""
    g = metrics["gold"]
    sc = metrics["scoring"]
    blocks: list[Block] = [
        ("h", 1, f"Evaluation on {g['name']}"),
        ("p", f"Gold set {g['name']} ({g['path'] or 'built in'}): {g['n_docs']} documents, {g['n_relevant']} relevant. "
              f"Taxonomy {metrics['taxonomy']['name']} {metrics['taxonomy']['version']}. Created "
              f"{metrics['created_at']} in {metrics['seconds']} s."),
        ("h", 2, "How the figures are computed"),
        ("list", [f"Gated facets: {sc['gated_facets']}", f"Macro averages: {sc['macro']}.",
                  f"Intervals: {sc['intervals']}.", f"Skipped documents: {sc['skipped_documents']}."]),
    ]
    blocks += _summary(metrics)
    blocks += _comparison(metrics)
    for name, s in metrics["systems"].items():
        blocks += _system(name, s)
    return blocks


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block]) -> str:
    """Blocks as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for b in blocks:
        if b[0] == "h":
            lines += ["#" * b[1] + " " + b[2], ""]
        elif b[0] == "p":
            lines += [b[1], ""]
        elif b[0] == "list":
            lines += [f"- {_md_cell(x)}" for x in b[1]] + [""]
        elif b[0] == "table":
            lines.append("| " + " | ".join(_md_cell(h) for h in b[1]) + " |")
            lines.append("|" + "|".join("---" for _ in b[1]) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b[2]]
            lines.append("")
        elif b[0] == "img":
            lines += [f"![{b[2]}]({b[1]})", ""]
    return "\n".join(lines)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}"
        "table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.9em}"
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
        "th{background:#f3f3f3}img{max-width:48%;margin:4px;border:1px solid #eee}li{margin:.2em 0}")


def render_html(blocks: Sequence[Block], title: str = "stigmascope evaluation") -> str:
    """Blocks as one HTML page (inline CSS; images are the PNG files next to it). Text is escaped."""
    e = html_lib.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b[0] == "h":
            parts.append(f"<h{b[1]}>{e(b[2])}</h{b[1]}>")
        elif b[0] == "p":
            parts.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "list":
            parts.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in b[1]) + "</ul>")
        elif b[0] == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in b[1])
            body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif b[0] == "img":
            parts.append(f"<img src='{e(b[1], quote=True)}' alt='{e(b[2], quote=True)}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(metrics: Mapping[str, Any], out_dir: str | Path, *, html: bool = True) -> dict[str, str]:
    """Write ``report.md`` (and ``report.html``) into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    blocks = build_blocks(metrics)
    paths = {"markdown": str(out / "report.md")}
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    if html:
        (out / "report.html").write_text(render_html(blocks, f"stigmascope evaluation: {metrics['gold']['name']}"),
                                         encoding="utf-8")
        paths["html"] = str(out / "report.html")
    return paths
