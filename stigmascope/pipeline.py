"""The main job: ingest → classify → per-city trends → report, in one call.

Example:
    >>> from stigmascope.pipeline import run_pipeline, RunConfig
    >>> summary = run_pipeline(["corpora/sample/"], "demo-output")     # doctest: +SKIP
    >>> summary["report"]                                                 # doctest: +SKIP
    'demo-output/trends/report.html'
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from stigmascope.errors import ConfigError

__all__ = ["RunConfig", "run_pipeline"]


@dataclass
class RunConfig:
    """Settings of ``stigmascope run``.

    Attributes:
        freq: period length of the time series (``day|week|month|quarter|year``).
        by: place level (``city|province``).
        min_count: trend cells with fewer relevant documents are flagged (and suppressed in shared reports).
        field_map: a ``--map`` spec for the inputs (None: guessed per file).
        crawl_time: ISO time that relative dates (``3小时前``) are resolved against.
        evidence: keep evidence spans with each prediction (slower).
        report: write the HTML report.
    """

    freq: str = "year"
    by: str = "city"
    min_count: int = 5
    field_map: str | None = None
    crawl_time: str | None = None
    evidence: bool = True
    report: bool = True

    def __post_init__(self) -> None:
        if self.freq not in ("day", "week", "month", "quarter", "year"):
            raise ConfigError(f"freq must be day|week|month|quarter|year, got {self.freq!r}")
        if self.by not in ("city", "province"):
            raise ConfigError(f"by must be city or province, got {self.by!r}")
        if self.min_count < 1:
            raise ConfigError(f"min_count must be >= 1, got {self.min_count}")


def run_pipeline(inputs: Sequence[str | Path], out_dir: str | Path, *, config: RunConfig | None = None,
                 model: str | Path | None = None, taxonomy: str | Path | None = None,
                 progress: bool = True) -> dict[str, Any]:
    """Ingest the inputs into ``OUT/corpus.duckdb``, classify every document, build the trends and report.

    Args:
        inputs: files or folders of JSONL/JSON/CSV/TSV/Parquet.
        out_dir: output folder: ``corpus.duckdb``, ``predictions.parquet``, ``trends/`` (tables, charts,
            ``report.html``) and ``run_summary.json``.
        config: :class:`RunConfig`.
        model: a model directory (default: the bundled default model, trained once on first use).
        taxonomy: a taxonomy file (default: the bundled one).

    Returns:
        A summary dict (also written to ``run_summary.json``).
    """
    from corpora.ingest import ingest_paths
    from models.classify import classify
    from models.infer import InferConfig
    from trends.build import run_trends
    from trends.config import TrendsConfig

    from datetime import datetime

    cfg = config or RunConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "corpus.duckdb"
    timings: dict[str, float] = {}

    t = time.perf_counter()
    crawl = datetime.fromisoformat(cfg.crawl_time) if cfg.crawl_time else None
    ingest = ingest_paths(list(inputs), db=db, field_map=cfg.field_map, crawl_time=crawl, progress=progress)
    timings["ingest"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    pred = out / "predictions.parquet"
    infer_cfg = InferConfig(evidence=cfg.evidence)
    cls = classify(None, out=pred, db=db, model=model, taxonomy=taxonomy, config=infer_cfg, force=True,
                   progress=progress)
    timings["classify"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    tcfg = TrendsConfig(freq=cfg.freq, by=cfg.by, min_count=cfg.min_count)
    result = run_trends(db, out / "trends", tcfg, model=model, taxonomy=taxonomy, report=cfg.report,
                        progress=progress)
    timings["trends"] = round(time.perf_counter() - t, 2)

    summary = {
        "inputs": [str(p) for p in inputs],
        "db": str(db),
        "ingest": {"records": ingest.records, "stored": ingest.stored, "duplicates_folded": ingest.exact_dups + ingest.near_dups,
                   "rejected": dict(ingest.rejected_by_reason)},
        "classify": {k: cls.get(k) for k in ("docs", "relevant", "skipped", "model_id", "docs_per_s")},
        "predictions": str(pred),
        "trends": {k: str(v) for k, v in result.files.items()},
        "report": str(result.files.get("report", "")),
        "seconds": timings,
    }
    (out / "run_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return summary
