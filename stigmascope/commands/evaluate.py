"""CLI commands of the evaluation stage (registered by :func:`register`):

- ``stigmascope evaluate --gold FILE|bundled-test [--model DIR]... [--pred FILE]... [--out DIR]``
- ``stigmascope evaluate agreement A.jsonl B.jsonl`` (two annotators' gold files keyed by id)
- ``stigmascope evaluate shift --gold … [--model DIR | --pred FILE]`` (prevalence-shift study only)

Each parses its arguments and calls :func:`evaluation.evaluate.evaluate`,
:func:`evaluation.agreement.agreement_between_files` or :func:`evaluation.evaluate.evaluate_shift`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

GOLD_HELP = ("Gold JSON Lines (id, text, labels), or bundled-test / bundled-dev (splits of the bundled corpus) / "
             "real-dev (the real-text dev set, when ../shared is present).")


def _config(config: Optional[Path], **overrides: Any) -> Any:
    from evaluation.config import EvaluateConfig
    from stigmascope.config import load_config

    return load_config(EvaluateConfig, config, **overrides)


def _print_summary(metrics: dict[str, Any], out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from evaluation.report import fmt, fmt_ci

    con = Console()
    systems = metrics["systems"]
    first = next(iter(systems.values()))
    gate_facet = (first.get("relevance") or {}).get("facet")
    facets = [f for f in first["per_facet"] if f != gate_facet]
    g = metrics["gold"]
    t = Table(title=f"{g['name']}: {g['n_docs']} documents, {g['n_relevant']} relevant")
    for col in ["system", "relevance F1", "macro-F1", *facets]:
        t.add_column(col)
    for name, s in systems.items():
        rel = s.get("relevance") or {}
        t.add_row(name, fmt_ci(rel.get("f1"), (rel.get("ci") or {}).get("f1")),
                  fmt_ci(s["overall"]["macro_f1"], s["overall"].get("macro_f1_ci")),
                  *[fmt(s["per_facet"][f]["macro_f1"]) for f in facets])
    con.print(t)
    for cmp in metrics.get("comparison") or []:
        o = cmp["overall"]
        con.print(f"{cmp['b']} − {cmp['a']}: macro-F1 {fmt(o['diff'])} "
                  f"(95% CI {o['ci'] if o.get('ci') else '—'}, paired bootstrap p = {fmt(o.get('p_value'))})")
    if out is not None:
        con.print(f"metrics.json and report.md written to {out}")


def _print_agreement(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from evaluation.report import fmt

    con = Console()
    t = Table(title=f"{result['shared']} shared documents ({result['only_in_a']} only in A, {result['only_in_b']} "
                    f"only in B); gated facets: {result['gated']}")
    for col in ("facet / label", "alpha", "kappa", "% agreement", "units", "note"):
        t.add_column(col)
    pair = result["pairs"][0] if result["pairs"] else {"facets": {}, "labels": {}}
    for level in ("facets", "labels"):
        for name, v in result[level].items():
            k = pair[level].get(name, {}).get("kappa")
            t.add_row(name if level == "facets" else f"  {name}", fmt(v["alpha"]), fmt(k),
                      fmt(v["percent_agreement"]), fmt(v["n_units"]), v["note"] or "")
    con.print(t)


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` (with its ``agreement`` and ``shift`` subcommands) to the app."""
    ev = typer.Typer(help="Evaluate classifiers on gold data; annotator agreement; prevalence-shift study.",
                     no_args_is_help=False, add_completion=False)

    @ev.callback(invoke_without_command=True)
    def evaluate(
        ctx: typer.Context,
        gold: Optional[str] = typer.Option(None, "--gold", help=GOLD_HELP),
        model: Optional[list[Path]] = typer.Option(None, "--model", help="Model directory; repeat to compare "
                                                   "models (the first is the reference). Default: the default model."),
        pred: Optional[list[Path]] = typer.Option(None, "--pred", help="Predictions of the gold documents from "
                                                  "`stigmascope classify --out` (instead of / besides --model)."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: the model's)."),
        out: Optional[Path] = typer.Option(Path("evaluation-output"), "--out", help="Folder for metrics.json, "
                                           "report.md/.html, charts and predictions."),
        bootstrap: Optional[int] = typer.Option(None, "--bootstrap", help="Bootstrap resamples (default 1000; 0 = "
                                                "no intervals)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed of resamples and folds (default 13)."),
        shift: bool = typer.Option(False, "--shift", help="Also run the prevalence-shift study."),
        cascade: bool = typer.Option(True, "--cascade/--no-cascade", help="Run the prefilter as classify does."),
        evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="Evidence spans for the error analysis."),
        backend: Optional[str] = typer.Option(None, "--backend", help="auto | torch | torch-bf16 | torch-int8 | onnx | onnx-int8."),
        config: Optional[Path] = typer.Option(None, "--config", help="Evaluation settings (TOML/YAML/JSON; keys of "
                                              "EvaluateConfig: calibration_bins, worst_k, length_edges, …)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    ) -> None:
        """Per-label P/R/F1 with bootstrap intervals, facet macro/micro, relevance, stance confusion, PR curves,
        calibration, prevalence error, error analysis, slices; --model A --model B adds a paired test."""
        if ctx.invoked_subcommand is not None:
            return
        from evaluation.evaluate import evaluate as run_evaluate
        from stigmascope.errors import ConfigError

        if gold is None:
            raise ConfigError("--gold is required: a gold JSON Lines file, or bundled-test / bundled-dev / real-dev "
                              "(see `stigmascope evaluate --help`)")
        cfg = _config(config, bootstrap=bootstrap, seed=seed, shift=shift or None,
                      cascade=None if cascade else False, evidence=None if evidence else False, backend=backend)
        metrics = run_evaluate(gold, models=list(model or []), predictions=list(pred or []), taxonomy=taxonomy,
                               out=out, config=cfg, progress=not quiet)
        _print_summary(metrics, out)

    @ev.command("agreement")
    def agreement(
        file_a: Path = typer.Argument(..., help="First annotator's gold JSON Lines."),
        file_b: Path = typer.Argument(..., help="Second annotator's gold JSON Lines (same ids)."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: codebook v1)."),
        gated: str = typer.Option("conditional", "--gated", help="conditional (gated facets compared where both "
                                  "said relevant) | zero (not relevant = no label)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write the full result (with disagreeing ids) as JSON."),
    ) -> None:
        """Krippendorff's alpha per facet and label and Cohen's kappa between two gold files keyed by id."""
        from evaluation.agreement import GatedMode, agreement_between_files
        from models.taxonomy import load_taxonomy
        from stigmascope.errors import ConfigError

        if gated not in [m.value for m in GatedMode]:
            raise ConfigError(f"--gated {gated!r}: expected conditional or zero")
        result = agreement_between_files(file_a, file_b, load_taxonomy(taxonomy), gated=gated)
        _print_agreement(result)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")

    @ev.command("shift")
    def shift_cmd(
        gold: str = typer.Option(..., "--gold", help=GOLD_HELP),
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the default model)."),
        pred: Optional[Path] = typer.Option(None, "--pred", help="A classify --out file of the gold documents."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: the model's)."),
        out: Optional[Path] = typer.Option(Path("evaluation-output"), "--out", help="Folder for shift.json/.md/.png."),
        repeats: Optional[int] = typer.Option(None, "--repeats", help="Samples per label and prevalence (default 200)."),
        sample_size: Optional[int] = typer.Option(None, "--sample-size", help="Documents per sample (default 200)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 13)."),
        config: Optional[Path] = typer.Option(None, "--config", help="Evaluation settings file (shift_* keys)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    ) -> None:
        """Re-sample the gold set at several true prevalences; compare plain and corrected shares with the truth."""
        from rich.console import Console

        from evaluation.evaluate import evaluate_shift
        from evaluation.report import fmt
        from stigmascope.errors import ConfigError

        if model is not None and pred is not None:
            raise ConfigError("give --model or --pred, not both")
        cfg = _config(config, shift_repeats=repeats, shift_sample_size=sample_size, seed=seed)
        res = evaluate_shift(gold, model=model, predictions=pred, taxonomy=taxonomy, out=out, config=cfg,
                             progress=not quiet)
        summ = res["shift"]["summary"]
        Console().print(f"{len(res['shift']['keys'])} labels studied; mean absolute error over prevalences: "
                        + ", ".join(f"{m} {fmt(v)}" for m, v in summ["mae_all"].items())
                        + (f"; written to {out}" if out else ""))

    app.add_typer(ev, name="evaluate")
