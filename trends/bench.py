"""Benchmark of ``trends`` on synthetic predictions: ``python -m trends.bench [--docs N]``.

The bench writes a corpus store with N synthetic documents and predictions (generated inside DuckDB:
dates over six years, 300 cities with a skewed size distribution, 30 % of documents scored by the
model, 10 % relevant, two or so labels per relevant document, a score for every key of every scored
document), a model directory with simulated error rates, and then times :func:`trends.build.build_trends`
(read, aggregate, correct, bootstrap, statistics, alerts, examples, files) in a fresh process, so its peak
memory is its own. The obvious alternative for the counting step — load the joined predictions into pandas,
explode the labels and group — is timed on a separate 1-million-document store against the counting step
of ``trends`` (reader + SQL passes) on the same store; both must produce the same cells and counts.

Figures: seconds per step and in total, peak resident memory, and the pandas ratio. Most of the time
after reading goes to per-cell work (bootstrap, trend tests), which grows with places × periods × labels,
not with the number of documents.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "make_store"]


def make_store(path: Path, n_docs: int, *, seed: float = 0.42) -> dict[str, Any]:
    """Write a corpus store with ``n_docs`` synthetic documents and predictions (DuckDB SQL only).

    Returns:
        ``{"seconds": generation time, "relevant": n, "scored": n}``.
    """
    import duckdb

    from corpora.store import open_store
    from models.taxonomy import load_taxonomy

    keys = load_taxonomy().score_keys()
    gated = keys[1:]
    klist = "[" + ", ".join(f"'{k}'" for k in keys) + "]"
    glist = "[" + ", ".join(f"'{k}'" for k in gated) + "]"
    t0 = time.perf_counter()
    open_store(path).close()  # the real schema
    con = duckdb.connect(str(path))
    con.execute(f"SELECT setseed({seed})")
    con.execute(f"""
        CREATE TEMP TABLE gen AS
        SELECT 'doc' || lpad(i::VARCHAR, 9, '0') AS id, random() AS r,
               DATE '2019-01-01' + CAST(floor(random() * 2190) AS INTEGER) AS date,
               CAST(floor(pow(random(), 2.5) * 300) AS INTEGER) AS c
        FROM range({int(n_docs)}) t(i)""")
    con.execute("""
        INSERT INTO documents (id, text, date, city, province, city_source, source, dup_count)
        SELECT id, NULL, date, CASE WHEN c < 290 THEN 'city' || lpad(c::VARCHAR, 3, '0') END,
               CASE WHEN c < 290 THEN 'prov' || lpad((c % 31)::VARCHAR, 2, '0') END,
               CASE WHEN c < 290 THEN 'metadata' ELSE 'none' END, 'news',
               CASE WHEN r < 0.02 THEN 2 ELSE 1 END
        FROM gen""")
    con.execute(f"""
        INSERT INTO predictions
        SELECT id, 'bench-model', 'bench', r < 0.10, CASE WHEN r >= 0.30 THEN 'prefilter: no migrant referent' END,
               CASE WHEN r < 0.10 THEN list_filter({glist}, x -> random() < 0.12) ELSE []::VARCHAR[] END,
               CASE WHEN r < 0.30 THEN MAP({klist}, list_transform(range({len(keys)}), x -> round(random(), 4))) END,
               '{{}}'::JSON, now()::TIMESTAMP
        FROM gen""")
    counts = con.execute("SELECT count(*) FILTER (WHERE relevant), count(scores) FROM predictions").fetchone()
    con.execute("DROP TABLE gen")
    con.close()
    return {"seconds": round(time.perf_counter() - t0, 1), "relevant": int(counts[0]), "scored": int(counts[1])}


def make_model(path: Path) -> Path:
    """A model directory holding only what trends reads: config, taxonomy and simulated error rates."""
    from models.taxonomy import default_taxonomy_path, load_taxonomy

    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(default_taxonomy_path(), path / "taxonomy.yaml")
    rates = {k: {"tpr": 0.8, "fpr": 0.1, "n_pos": 200, "n_neg": 400, "soft_tpr": 0.7, "soft_fpr": 0.2,
                 "measured_on": "simulated"} for k in load_taxonomy().score_keys()}
    (path / "error_rates.json").write_text(json.dumps(rates), encoding="utf-8")
    (path / "config.json").write_text(json.dumps({"model_id": "bench-model", "kind": "simulated"}), encoding="utf-8")
    return path


def _peak_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` from ``/proc/self/status`` where available: ``getrusage``'s ``ru_maxrss`` survives ``exec`` and so
    would include the parent's memory at the time a worker process was started.
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _run_trends(args: tuple[str, str, str, dict[str, Any]]) -> dict[str, Any]:
    """Child process: one build_trends run; returns its step times and its own peak memory."""
    import resource

    from trends.build import build_trends
    from trends.config import TrendsConfig

    store, out, model, cfg = args
    t0 = time.perf_counter()
    res = build_trends(store, out, TrendsConfig(**cfg), model=model)
    use = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": round(time.perf_counter() - t0, 2), "cpu_seconds": round(use.ru_utime + use.ru_stime, 1),
            "steps": res.seconds, "cells": len(res.table), "series": len(res.stats), "alerts": len(res.alerts),
            "peak_rss_mb": _peak_mb()}


def _run_counts(args: tuple[str, str]) -> dict[str, Any]:
    """Child process: the counting step of ``trends`` alone — read the store, two SQL aggregation passes."""

    import duckdb

    from models.taxonomy import load_taxonomy
    from trends.aggregate import _base_query, _keys_query
    from trends.config import Freq
    from trends.source import load_predictions

    store, freq = args
    t0 = time.perf_counter()
    con = duckdb.connect()
    info = load_predictions(con, store, taxonomy=load_taxonomy())
    base = con.execute(_base_query(Freq(freq))).fetchdf()
    keyed = con.execute(_keys_query(Freq(freq), info.gated_keys)).fetchdf()
    counted = float(keyed[[c for c in keyed.columns if c.startswith("c_")]][keyed["national"] == 0].to_numpy().sum())
    return {"seconds": round(time.perf_counter() - t0, 2), "place_periods": int((base["national"] == 0).sum()),
            "label_count": counted,
            "peak_rss_mb": _peak_mb()}


def _run_pandas(args: tuple[str, str]) -> dict[str, Any]:
    """Child process: the obvious alternative for the counting step — load into pandas, explode, group."""

    import duckdb
    import pandas as pd

    store, freq = args
    t0 = time.perf_counter()
    con = duckdb.connect(store, read_only=True)
    df = con.execute("SELECT d.id, d.date, d.city, p.relevant, p.labels, p.scores FROM tr_p p JOIN documents d "
                     "ON d.id = p.doc_id".replace("tr_p", "predictions")).fetchdf()
    con.close()
    df = df[df["date"].notna()]
    df["period"] = pd.to_datetime(df["date"]).dt.to_period({"day": "D", "week": "W", "month": "M", "quarter": "Q",
                                                            "year": "Y"}[freq])
    df["city"] = df["city"].fillna("未知")
    base = df.groupby(["city", "period"]).agg(n_docs=("id", "size"), n_relevant=("relevant", "sum"))
    rel = df[df["relevant"]]
    counts = rel.explode("labels").dropna(subset=["labels"]).groupby(["city", "period", "labels"]).size()
    scores = pd.DataFrame([dict(m) if m is not None else {} for m in rel["scores"]], index=rel.index)
    means = pd.concat([rel[["city", "period"]], scores], axis=1).groupby(["city", "period"]).sum()
    return {"seconds": round(time.perf_counter() - t0, 2), "place_periods": len(base),
            "label_count": float(counts.sum()), "score_cells": int(means.size),
            "peak_rss_mb": _peak_mb()}


def _child(fn: Any, args: Any) -> dict[str, Any]:
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, (args,))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print a short table and return the figures."""
    ap = argparse.ArgumentParser(prog="python -m trends.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000_000, help="synthetic documents (default 10 million)")
    ap.add_argument("--compare-docs", type=int, default=1_000_000, help="store size for the pandas comparison (0: skip)")
    ap.add_argument("--freq", default="month")
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--keep", type=Path, default=None, help="keep the store and outputs in this folder")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="trends-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"docs": args.docs, "freq": args.freq, "bootstrap": args.bootstrap}
    try:
        model = make_model(work / "model")
        cfg = {"freq": args.freq, "bootstrap": args.bootstrap, "charts": False}
        store = work / "bench.duckdb"
        figures["generate"] = make_store(store, args.docs)
        figures["trends"] = _child(_run_trends, (str(store), str(work / "out"), str(model), cfg))
        if args.compare_docs:
            small = work / "small.duckdb"
            make_store(small, args.compare_docs)
            ours = _child(_run_counts, (str(small), args.freq))
            theirs = _child(_run_pandas, (str(small), args.freq))
            if (ours["place_periods"], ours["label_count"]) != (theirs["place_periods"], theirs["label_count"]):
                raise RuntimeError(f"counting step disagrees with pandas: {ours} vs {theirs}")
            figures["counts_sql"], figures["counts_pandas"] = ours, theirs
            figures["pandas_over_sql"] = round(theirs["seconds"] / max(ours["seconds"], 1e-9), 1)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    tr = figures["trends"]
    print(f"trends over {args.docs:,} synthetic predictions ({figures['generate']['relevant']:,} relevant, "
          f"{figures['generate']['scored']:,} scored; generated in {figures['generate']['seconds']} s):")
    print(f"  {'step':<12} seconds")
    for step, sec in tr["steps"].items():
        print(f"  {step:<12} {sec}")
    print(f"  {'process':<12} {tr['seconds']} (CPU {tr['cpu_seconds']} s)   peak memory {tr['peak_rss_mb']:,} MB   "
          f"cells {tr['cells']:,}")
    if "counts_sql" in figures:
        c, pd_ = figures["counts_sql"], figures["counts_pandas"]
        print(f"  counting step at {args.compare_docs:,} documents (same cells and counts): DuckDB SQL {c['seconds']} s "
              f"({c['peak_rss_mb']:,} MB) vs pandas explode+groupby {pd_['seconds']} s ({pd_['peak_rss_mb']:,} MB): "
              f"pandas takes x{figures['pandas_over_sql']}")
    return figures


if __name__ == "__main__":  # pragma: no cover
    main()
