"""CLI command of the time-series stage: ``stigmascope trends`` (registered by :func:`register`).

It parses arguments and calls :func:`trends.build.run_trends`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FREQS = ("day", "week", "month", "quarter", "year")


def register(app: typer.Typer) -> None:
    """Add ``trends`` to the app."""

    @app.command()
    def trends(
        out: Annotated[Path, typer.Option("--out", help="Output folder: trends.csv/.parquet, stats, alerts, charts/, "
                                          "report.html.")],
        pred: Annotated[Path | None, typer.Argument(help="Predictions: a classify output (.jsonl/.parquet) or a "
                                                    "folder of Parquet shards. Omit with --db.")] = None,
        db: Annotated[Path | None, typer.Option("--db", help="Corpus store (DuckDB) whose predictions to use.")] = None,
        model: Annotated[Path | None, typer.Option("--model", help="Model directory the predictions came from: its "
                                                   "error rates correct the shares (found automatically for the "
                                                   "store's cached default model).")] = None,
        taxonomy: Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy file when no --model is given.")] = None,
        freq: Annotated[str | None, typer.Option("--freq", help="Period: day | week | month (default) | quarter | "
                                                 "year.")] = None,
        by: Annotated[str | None, typer.Option("--by", help="Place: city (default) | province.")] = None,
        weight: Annotated[str | None, typer.Option("--weight", help="none (default) | dup_count (count each document "
                                                   "as its folded copies).")] = None,
        min_count: Annotated[int | None, typer.Option("--min-count", help="Smallest denominator shown (default 10); "
                                                      "smaller cells are flagged and suppressed in the report.")] = None,
        suppress: Annotated[bool, typer.Option("--suppress", help="Also blank small cells in the written tables (for "
                                               "sharing).")] = False,
        config: Annotated[Path | None, typer.Option("--config", help="Settings file (TOML/YAML/JSON; keys of "
                                                    "TrendsConfig: alert_alpha, bootstrap, report_places, …).")] = None,
        charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Write PNG/SVG charts.")] = True,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Write the HTML report.")] = True,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
    ) -> None:
        """Per-place time series: shares with intervals, error-corrected shares, trends, alerts, charts, report."""
        from rich.console import Console

        from stigmascope.config import load_config
        from stigmascope.errors import ConfigError, InputError
        from trends.build import run_trends
        from trends.config import TrendsConfig

        if (pred is None) == (db is None):
            raise InputError("give either PRED (a classify output) or --db FILE (the corpus store), not both or neither")
        if freq is not None and freq not in FREQS:
            raise ConfigError(f"--freq {freq!r}: expected one of {', '.join(FREQS)}")
        overrides = {"freq": freq, "by": by, "weight": weight, "min_count": min_count,
                     "suppress": True if suppress else None, "charts": False if not charts else None}
        cfg = load_config(TrendsConfig, config, **overrides)
        result = run_trends(db if db is not None else pred, out, cfg, model=model, taxonomy=taxonomy, report=report,
                            progress=not quiet)
        cov = result.coverage
        Console().print(
            f"{cov['n_dated']:,} documents ({cov['n_relevant']:,} relevant), {len(result.table):,} cells, "
            f"{len(result.alerts):,} alerts -> {result.out_dir}"
            + (f" (report: {result.files['report']})" if "report" in result.files else ""))
        for note in result.notes:
            Console(stderr=True).print(f"[yellow]note:[/yellow] {note}")
