"""What ``stigmascope trends`` runs: read predictions, aggregate, correct, test, chart, report.

Entry points (the main job ``stigmascope run`` calls the same functions):

- :func:`build_trends` — tables and statistics, written to ``out_dir`` (``trends.parquet``/``.csv``,
  ``stats``, ``changepoints``, ``alerts``, ``excluded``, ``methods.md``, ``summary.json``);
- :func:`trends.charts.write_charts` and :func:`trends.report.write_report` — the charts and the HTML
  report from a :class:`TrendsResult`;
- :func:`run_trends` — all three.

Example:
    >>> from trends.build import run_trends                               # doctest: +SKIP
    >>> res = run_trends("corpus.duckdb", "trends-out", model="my-model")
    >>> res.files["report"]
    'trends-out/report.html'
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trends.config import UNKNOWN_PLACE, TrendsConfig
from trends.modelinfo import ModelInfo, read_model_info
from trends.source import SourceInfo, SourceKind, detect_kind, load_predictions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["TrendsResult", "build_trends", "find_model_dir", "run_trends"]


@dataclass
class TrendsResult:
    """Everything one trends run produced.

    Attributes:
        out_dir: where the files went.
        table: the tidy table (one row per place, period, facet, label; :data:`trends.aggregate.COLUMNS`).
        stats: per place × label trend statistics; changes: change points; alerts: flagged periods.
        n_alert_tests: periods tested for alerts.
        source, model, config: what was read, with which model, how.
        coverage: counts describing the data (for the methods section and ``summary.json``).
        places: places in report order (most relevant documents first; no national, no unknown).
        examples: drill-down examples (:func:`trends.examples.select_examples`).
        files: name → path of every file written.
        seconds: time per step.
        notes: things the user should know (model found automatically, no CJK font, …).
    """

    out_dir: Path
    table: pd.DataFrame
    stats: pd.DataFrame
    changes: pd.DataFrame
    alerts: pd.DataFrame
    n_alert_tests: int
    source: SourceInfo
    model: ModelInfo
    config: TrendsConfig
    coverage: dict[str, Any]
    places: list[str]
    examples: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Plain-data summary (what ``summary.json`` holds)."""
        return {"source": {"kind": self.source.kind.value, "path": self.source.path, "model_id": self.source.model_id},
                "model": {"id": self.model.model_id, "path": str(self.model.path) if self.model.path else None},
                "config": self.config.to_dict(), "coverage": self.coverage, "rows": len(self.table),
                "series": len(self.stats), "changepoints": len(self.changes), "alerts": len(self.alerts),
                "alert_tests": self.n_alert_tests, "places": self.places, "files": self.files,
                "seconds": self.seconds, "notes": self.notes}


def find_model_dir(model_id: str) -> Path | None:
    """A cached model directory (``stigmascope.paths.models_dir()``) whose ``config.json`` has ``model_id``."""
    from stigmascope.paths import models_dir

    for cfg in sorted(models_dir().glob("*/config.json")):
        try:
            if json.loads(cfg.read_text(encoding="utf-8")).get("model_id") == model_id:
                return cfg.parent
        except (OSError, json.JSONDecodeError):
            continue
    return None


def _coverage(con: Any, info: SourceInfo) -> dict[str, Any]:
    row = con.execute(f"""SELECT count(*), count(*) FILTER (WHERE scored), count(*) FILTER (WHERE NOT scored),
        count(*) FILTER (WHERE relevant), min(date), max(date),
        count(DISTINCT place) FILTER (WHERE place <> '{UNKNOWN_PLACE}'),
        count(*) FILTER (WHERE place = '{UNKNOWN_PLACE}'), sum(w) FROM tr_docs""").fetchone()
    reasons = dict(con.execute("SELECT CASE WHEN reason LIKE 'unparseable%' THEN 'unparseable date' ELSE reason END, "
                               "count(*) FROM tr_excluded GROUP BY 1 ORDER BY 2 DESC").fetchall())
    return {"n_rows": info.n_rows, "n_dated": int(row[0]), "n_scored": int(row[1]), "n_skipped": int(row[2]),
            "n_relevant": int(row[3]), "date_min": row[4].isoformat() if row[4] else None,
            "date_max": row[5].isoformat() if row[5] else None, "n_places": int(row[6]), "n_no_place": int(row[7]),
            "weighted_docs": float(row[8] or 0), "n_excluded": info.n_excluded,
            "excluded_reasons": {str(k): int(v) for k, v in reasons.items()}, "n_unpredicted": info.n_unpredicted}


def _report_places(table: pd.DataFrame, n: int) -> list[str]:
    gate = table[(table["denom_kind"] == "documents") & (~table["place_level"].isin(["national", "unknown"]))]
    tot = gate.groupby("place")[["n_relevant", "n_docs"]].sum()
    tot = tot.sort_values(["n_relevant", "n_docs"], ascending=False)
    return [str(p) for p in tot.index[:n]]


def _write_table(df: pd.DataFrame, out: Path, stem: str, files: dict[str, str]) -> None:
    """Parquet and CSV (UTF-8 with a byte-order mark, so spreadsheets show the Chinese; R and Stata read it)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    df = df.copy()
    for col in df.columns:
        if df[col].dtype.kind == "f":
            df[col] = df[col].round(6)
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, out / f"{stem}.parquet")
    with (out / f"{stem}.csv").open("wb") as fh:
        fh.write("\ufeff".encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(quoting_style="needed"))
    files[stem] = str(out / f"{stem}.parquet")
    files[f"{stem}_csv"] = str(out / f"{stem}.csv")


def build_trends(source: str | Path, out_dir: str | Path, config: TrendsConfig | None = None, *,
                 model: str | Path | None = None, taxonomy: str | Path | None = None,
                 progress: bool = False) -> TrendsResult:
    """Aggregate predictions into the tidy table, statistics and alerts, and write them to ``out_dir``.

    Args:
        source: the corpus store (DuckDB file), a classify output (``.jsonl``/``.parquet``) or a folder of
            Parquet shards.
        out_dir: output folder (created).
        config: settings (default :class:`TrendsConfig`).
        model: the model directory the predictions came from (its error rates correct the shares). For a
            store, a cached model with the predictions' model id is found automatically when omitted.
        taxonomy: the taxonomy file when no model is given (default: the bundled one).
        progress: print progress lines.

    Returns:
        A :class:`TrendsResult` (charts and report are separate: :func:`run_trends`).

    Raises:
        InputError: unreadable source or no predictions. ModelError: a bad model directory.
    """
    import duckdb

    from trends.aggregate import aggregate
    from trends.alerts import find_alerts
    from trends.examples import select_examples
    from trends.methods import methods_markdown
    from trends.stats import series_stats

    cfg = config or TrendsConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = _printer(progress)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    t0 = time.perf_counter()
    info_model = read_model_info(model, taxonomy=taxonomy)
    con = duckdb.connect()
    try:
        model_id = cfg.model_id or info_model.model_id
        src = load_predictions(con, source, taxonomy=info_model.taxonomy, by=cfg.by, weight=cfg.weight,
                               model_id=model_id if detect_kind(source) is SourceKind.store else None)
        if model is None and src.model_id:
            found = find_model_dir(src.model_id)
            if found is not None:
                info_model = read_model_info(found)
                notes.append(f"error rates from the cached model directory {found} (model {src.model_id})")
        if info_model.path is None:
            notes.append("no model directory: shares are not corrected (pass --model DIR)")
        seconds["read"] = round(time.perf_counter() - t0, 2)
        say(f"read {src.n_rows:,} predictions ({src.n_dated:,} dated) in {seconds['read']} s")
        t = time.perf_counter()
        table = aggregate(con, model=info_model, config=cfg, gated_keys=src.gated_keys)
        seconds["aggregate"] = round(time.perf_counter() - t, 2)
        say(f"aggregated {len(table):,} cells in {seconds['aggregate']} s")
        t = time.perf_counter()
        stats, changes = series_stats(table, cfg)
        alerts, n_tests = find_alerts(table, cfg)
        seconds["statistics"] = round(time.perf_counter() - t, 2)
        say(f"{len(stats):,} series, {len(changes):,} change points, {len(alerts):,} alerts "
            f"({seconds['statistics']} s)")
        coverage = _coverage(con, src)
        coverage["n_periods"] = int(table["period_start"].nunique())
        places = _report_places(table, cfg.report_places)
        t = time.perf_counter()
        small = table[table["small_cell"] == 1]
        suppressed = {(p, s.isoformat(), k) for p, s, k in zip(small["place"], small["period_start"], small["score_key"])}
        gate = info_model.taxonomy.gate
        examples = select_examples(con, places=places, config=cfg, has_text=src.has_text, suppressed=suppressed,
                                   gate_key=gate.output_key if gate is not None else "", gated_keys=src.gated_keys)
        seconds["examples"] = round(time.perf_counter() - t, 2)
        excluded = con.execute("SELECT * FROM tr_excluded ORDER BY doc_id").fetchdf() if src.n_excluded else None
    finally:
        con.close()
    result = TrendsResult(out_dir=out, table=table, stats=stats, changes=changes, alerts=alerts, n_alert_tests=n_tests,
                          source=src, model=info_model, config=cfg, coverage=coverage, places=places,
                          examples=examples, seconds=seconds, notes=notes)
    t = time.perf_counter()
    _write_table(table, out, "trends", result.files)
    _write_table(stats, out, "stats", result.files)
    _write_table(changes, out, "changepoints", result.files)
    _write_table(alerts, out, "alerts", result.files)
    if excluded is not None:
        excluded.to_csv(out / "excluded.csv", index=False, encoding="utf-8-sig")
        result.files["excluded"] = str(out / "excluded.csv")
    else:
        (out / "excluded.csv").unlink(missing_ok=True)  # left by an earlier run into the same folder
    (out / "methods.md").write_text(methods_markdown(result), encoding="utf-8")
    result.files["methods"] = str(out / "methods.md")
    seconds["write"] = round(time.perf_counter() - t, 2)
    seconds["total"] = round(time.perf_counter() - t0, 2)
    _write_summary(result)
    return result


def _write_summary(result: TrendsResult) -> None:
    path = result.out_dir / "summary.json"
    result.files["summary"] = str(path)
    path.write_text(json.dumps(result.summary(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _printer(progress: bool) -> Any:
    if not progress:
        return lambda msg: None
    from rich.console import Console

    console = Console(stderr=True)
    return lambda msg: console.print(f"[dim]trends:[/dim] {msg}")


def run_trends(source: str | Path, out_dir: str | Path, config: TrendsConfig | None = None, *,
               model: str | Path | None = None, taxonomy: str | Path | None = None, report: bool = True,
               progress: bool = False) -> TrendsResult:
    """Build the tables (:func:`build_trends`), then the charts (when ``config.charts``) and the HTML report.

    Returns:
        The :class:`TrendsResult`; ``files["report"]`` is the report, ``files["charts"]`` the chart folder.
    """
    from trends.charts import write_charts
    from trends.report import write_report

    cfg = config or TrendsConfig()
    result = build_trends(source, out_dir, cfg, model=model, taxonomy=taxonomy, progress=progress)
    say = _printer(progress)
    if cfg.charts:
        t = time.perf_counter()
        charts = write_charts(result.table, result.out_dir / "charts", taxonomy=result.model.taxonomy,
                              places=result.places, keys=cfg.chart_keys)
        result.seconds["charts"] = round(time.perf_counter() - t, 2)
        result.files["charts"] = str(result.out_dir / "charts")
        if charts["font"] is None:
            result.notes.append("no CJK font installed: charts use English label names; place names may show as "
                                "boxes (install fonts-wqy-zenhei)")
        say(f"{len(charts['files'])} chart files in {result.seconds['charts']} s")
    if report:
        t = time.perf_counter()
        path = write_report(result, result.out_dir / "report.html")
        result.seconds["report"] = round(time.perf_counter() - t, 2)
        say(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    _write_summary(result)
    return result

