"""Classify a file or the corpus store end to end (what ``stigmascope classify`` runs).

Example:
    >>> from models.classify import classify                   # doctest: +SKIP
    >>> classify("feed.jsonl", out="pred.jsonl")                 # default model, trained on first use
    {'docs': 1200, 'relevant': 37, 'skipped': 1150, ...}
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from models.infer import Engine, InferConfig
from models.progress import Reporter
from stigmascope.errors import InputError

__all__ = ["classify"]


def _count_input(path: Path) -> int | None:
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            with path.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
    except OSError:
        return None
    return None


def classify(input_path: str | Path | None, *, out: str | Path | None = None, model: str | Path | None = None,
             taxonomy: str | Path | None = None, db: str | Path | None = None, config: InferConfig | None = None,
             force: bool = False, progress: bool = True) -> dict[str, Any]:
    """Classify documents from a file or the store; write predictions to a file and/or the store.

    Args:
        input_path: JSONL/CSV/Parquet with ``id, text`` (optional ``date, city, source``); None with ``db``
            to classify the store's documents.
        out: ``PRED.jsonl`` or ``PRED.parquet``.
        model: a model directory; None for the default model (trained from the bundled corpus on first use).
        taxonomy: a taxonomy file the model must match.
        db: a DuckDB corpus store: predictions are written to its ``predictions`` table; without an input
            its ``documents`` are classified (only those this model has not classified yet, unless ``force``).
        config: inference settings.

    Returns:
        Summary: ``docs``, ``relevant``, ``skipped`` (prefilter), ``empty``, ``seconds``, ``docs_per_s``,
        ``model_id``, ``backend``, ``run_id``, ``out``.

    Raises:
        InputError: nothing to read or nowhere to write, or a bad input file.
        ModelError: a missing or corrupt model directory.
    """
    from models.cascade import EMPTY_REASON, SKIP_REASON
    from models.docsio import PredictionWriter, read_documents, read_store_documents, write_store_predictions

    if input_path is None and db is None:
        raise InputError("nothing to classify: give an INPUT file, or --db FILE to classify the store's documents")
    if out is None and db is None:
        raise InputError("nowhere to write: give --out PRED.jsonl|PRED.parquet and/or --db FILE")
    if out is not None and Path(out).suffix.lower() not in (".jsonl", ".parquet"):
        raise InputError("output must end in .jsonl or .parquet", path=str(out))
    rep = Reporter(progress)
    if model is None:
        from models.default_model import ensure_default_model

        model = ensure_default_model(taxonomy=taxonomy, progress=progress)
    engine = Engine.load(model, config or InferConfig(), taxonomy=taxonomy)
    layout = engine.model.layout
    run_id = f"classify-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    con = None
    if db is not None:
        import duckdb

        con = duckdb.connect(str(db))
    try:
        if input_path is not None:
            docs = read_documents(input_path)
            total = _count_input(Path(input_path))
        else:
            docs = read_store_documents(con, model_id=engine.model_id, only_new=not force)
            total = None
        facets = [(h.facet.output_key, h.facet.kind.value) for h in layout.heads]
        writer = PredictionWriter(out, facets) if out is not None else None
        counts = {"docs": 0, "relevant": 0, "skipped": 0, "empty": 0}
        gate_key = layout.keys[layout.gate_column] if layout.gate_column is not None else None
        t0 = time.perf_counter()
        pending: list[dict[str, Any]] = []
        with rep.task(f"classifying with {engine.model_id} ({getattr(engine.model.scorer, 'backend', '')})",
                      total) as advance:
            for row in engine.classify(docs, progress=advance):
                counts["docs"] += 1
                counts["relevant"] += bool(gate_key and row.get(gate_key))
                counts["skipped"] += row["skip_reason"] == SKIP_REASON
                counts["empty"] += row["skip_reason"] == EMPTY_REASON
                if writer is not None:
                    writer.write(row)
                if con is not None:
                    pending.append(row)
                    if len(pending) >= 2000:
                        _flush(con, pending, engine, run_id, write_store_predictions)
                        pending = []
        if con is not None:
            _flush(con, pending, engine, run_id, write_store_predictions)
        if writer is not None:
            writer.close()
        seconds = time.perf_counter() - t0
    finally:
        if con is not None:
            con.close()
    summary = {**counts, "seconds": round(seconds, 2),
               "docs_per_s": round(counts["docs"] / seconds, 1) if seconds > 0 else None,
               "model_id": engine.model_id, "backend": getattr(engine.model.scorer, "backend", None),
               "run_id": run_id, "out": str(out) if out else None, "db": str(db) if db else None}
    rep.note(f"{counts['docs']} documents: {counts['relevant']} relevant, {counts['skipped']} skipped by the "
             f"prefilter, {counts['empty']} empty — {summary['docs_per_s']} docs/s")
    return summary


def _flush(con: Any, rows: list[dict[str, Any]], engine: Engine, run_id: str, write: Any) -> None:
    layout = engine.model.layout
    gate = layout.keys[layout.gate_column] if layout.gate_column is not None else None
    label_keys = []
    for r in rows:
        keys: list[str] = []
        for h in layout.heads:
            f = h.facet
            v = r.get(f.output_key)
            if f.output_key == gate:
                continue
            if isinstance(v, list):
                keys.extend(f.score_key(x) for x in v)
            elif isinstance(v, str):
                keys.append(f.score_key(v))
            elif v is True:
                keys.append(f.output_key)
        label_keys.append(keys)
    write(con, rows, label_keys=label_keys, model_id=engine.model_id, run_id=run_id)
