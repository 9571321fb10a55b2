"""CLI commands of the corpus stage: ``ingest``, ``export``, ``stats`` (registered by :func:`register`).

Each command parses its arguments, calls the plain function in :mod:`corpora` and prints a one-screen
summary with rich.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from corpora.ingest import IngestReport
    from corpora.stats import CorpusStats

DEFAULT_DB = "stigmascope.duckdb"
FORMATS = ("auto", "jsonl", "json", "csv", "tsv", "parquet")


def _parse_crawl_time(value: str | None) -> datetime | None:
    from stigmascope.errors import ConfigError

    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--crawl-time {value!r}: expected an ISO date or time such as 2024-05-01T12:00") from None


def register(app: typer.Typer) -> None:
    """Add ``ingest``, ``export`` and ``stats`` to the app."""

    @app.command()
    def ingest(
        paths: Annotated[list[Path], typer.Argument(help="Input files or directories (.jsonl .json .csv .tsv "
                                                    ".parquet, .gz too).")],
        db: Annotated[Path, typer.Option("--db", help="Corpus store (DuckDB file; created if missing).")] = Path(DEFAULT_DB),
        format: Annotated[str, typer.Option("--format", help="auto|jsonl|json|csv|tsv|parquet")] = "auto",
        map: Annotated[str | None, typer.Option("--map", help="Field mapping, e.g. text=content,date=created_at,"
                       "city=user.location,source='weibo' (dotted paths reach nested JSON; a+b joins fields; quotes "
                       "make a literal). Guessed when absent.")] = None,
        crawl_time: Annotated[str | None, typer.Option("--crawl-time", help="ISO time the data was crawled; "
                              "resolves relative dates (3小时前, 昨天 12:30, 5月1日).")] = None,
        encoding: Annotated[str, typer.Option("--encoding", help="auto, or a codec name (utf-8, gb18030, big5).")] = "auto",
        config: Annotated[Path | None, typer.Option("--config", help="Ingest settings (TOML/YAML): batch_size, "
                          "max_text_chars, dedup.threshold, …")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    ) -> None:
        """Read files into the corpus store: normalise, date, attribute cities, fold duplicates."""
        from corpora.ingest import IngestConfig, ingest_paths
        from stigmascope.config import load_config
        from stigmascope.errors import ConfigError

        if format not in FORMATS:
            raise ConfigError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
        cfg = load_config(IngestConfig, config) if config else IngestConfig()
        report = ingest_paths(paths, db=db, fmt=format, field_map=map, crawl_time=_parse_crawl_time(crawl_time),
                              encoding=encoding, config=cfg, progress=not quiet)
        _print_ingest(report)

    @app.command()
    def export(
        out: Annotated[Path, typer.Option("--out", help="Output file: .jsonl, .csv or .parquet.")],
        db: Annotated[Path, typer.Option("--db", help="Corpus store.")] = Path(DEFAULT_DB),
        no_scrub: Annotated[bool, typer.Option("--no-scrub", help="Keep phone numbers, ID numbers, emails and "
                            "@handles (scrubbed by default).")] = False,
    ) -> None:
        """Write every document to a file (one row per document), PII-scrubbed by default."""
        from rich.console import Console

        from corpora.export import export_documents

        rep = export_documents(db, out, scrub=not no_scrub)
        Console().print(f"wrote {rep.rows:,} documents to {rep.path} ({rep.format}, "
                        f"{'PII scrubbed' if rep.scrubbed else 'NOT scrubbed'})")

    @app.command()
    def stats(
        db: Annotated[Path, typer.Option("--db", help="Corpus store.")] = Path(DEFAULT_DB),
        json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ) -> None:
        """Documents, rejected by reason, by source and year, city coverage."""
        from corpora.stats import corpus_stats

        s = corpus_stats(db)
        if json_out:
            import json

            typer.echo(json.dumps(s.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_stats(s)


def _table(title: str, rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> Any:
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, h in enumerate(headers):
        t.add_column(h, justify="right" if i else "left")
    for row in rows:
        t.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    return t


def _print_ingest(r: IngestReport) -> None:
    from rich.columns import Columns
    from rich.console import Console

    con = Console()
    for f in r.files:
        how = "guessed" if f.auto_mapped else "--map"
        enc = f" {f.encoding}" if f.encoding else ""
        con.print(f"[bold]{Path(f.path).name}[/] ({f.format}{enc}) mapping ({how}): {f.mapping or '-'}"
                  + (f"\n  [red]{f.error}[/]" if f.error else ""))
    totals = [("records in", r.records), ("stored", r.stored), ("exact duplicates folded", r.exact_dups),
              ("near duplicates folded", r.near_dups), ("already ingested (skipped)", r.already_ingested),
              ("rejected", r.rejected), ("stored without date", r.no_date)]
    rejected = sorted(r.rejected_by_reason.items(), key=lambda kv: -kv[1]) or [("(none)", 0)]
    cities = sorted(r.cities.items(), key=lambda kv: -kv[1]) or [("(none)", 0)]
    con.print(Columns([_table("ingest", totals, ("", "count")), _table("rejected", rejected, ("reason", "records")),
                       _table("cities", cities, ("method", "documents"))], padding=(0, 4)))
    for reason, example in list(r.examples.items())[:6]:
        con.print(f"  [yellow]{reason}[/]: {example[:160]}")
    con.print(f"{r.elapsed_s:.1f} s, {r.docs_per_s:,.0f} records/s, {r.mb_per_s:.2f} MB/s → {r.db} (run {r.run_id})")


def _print_stats(s: CorpusStats) -> None:
    from rich.columns import Columns
    from rich.console import Console

    con = Console()
    con.print(f"[bold]{s.db}[/]: {s.documents:,} documents standing for {s.copies:,} records; "
              f"{s.rejected_total:,} rejected; city for {s.city_share:.1%}, province for {s.province_share:.1%}")
    con.print(Columns([
        _table("by source", list(s.by_source.items()), ("source", "docs")),
        _table("by year", list(s.by_year.items()), ("year", "docs")),
        _table("city attribution", list(s.by_city_source.items()), ("method", "docs")),
        _table("top cities", [(c, p or "", n) for c, p, n in s.top_cities], ("city", "province", "docs")),
        _table("rejected", list(s.rejected.items()) or [("(none)", 0)], ("reason", "records")),
    ], padding=(0, 4)))
