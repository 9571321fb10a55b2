"""Throughput of classification on Ray (1 and 2 workers) against local ``classify``, same titles, same run.

On a seeded sample of Weibo hot-search titles from ``../shared/data/real`` (100k by default, written to a
temporary folder as JSON Lines shards), one run measures:

- local ``models.classify.classify`` (one process, all cores): wall time including model loading, and
  documents per CPU-second of the process;
- ``classify_with_ray`` on a local Ray instance with 1 worker (all cores) and with 2 workers (one core
  each): wall time (actor start-up and model loading included), the rate of a worker while it is busy
  classifying, and documents per CPU-second of the actors (both from Ray Data's stats);
- the engine's fixed overhead at 1 worker: Ray start-up, and a run of 200 titles (actor + model load);
- the same on a subsample with the cascade off (every title reaches the encoder): the rate when the
  prefilter lets everything through, the figure to size a keyword-prefiltered corpus with;
- agreement: documents whose labels differ between the Ray and the local output, and the largest score
  difference (int8 backends quantise activations per batch, so batch composition moves scores).

Wall-clock ratios depend on how much CPU each process gets; on a machine shared with other work the
per-CPU-second rates are the steadier comparison.

Run: ``python -m models.ray_bench [--titles 100000] [--model DIR]``; ``make bench`` can call it as the stage
``models.ray_bench``. Skipped when Ray or the real data is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
TITLES = REAL / "weibo_hot_search" / "titles_unique_by_day.tsv"


def _write_titles(n: int, seed: int, folder: Path, shards: int) -> tuple[Path, Path, int]:
    """Sample ``n`` titles; write them as one file (local run) and as ``shards`` files (Ray run)."""
    with TITLES.open(encoding="utf-8") as fh:
        next(fh)
        lines = [ln.rstrip("\n").split("\t", 1) for ln in fh if "\t" in ln]
    pick = sorted(random.Random(seed).sample(range(len(lines)), min(n, len(lines))))
    rows = [json.dumps({"id": f"title-{i}", "text": lines[i][1], "date": lines[i][0]}, ensure_ascii=False)
            for i in pick]
    whole = folder / "titles.jsonl"
    whole.write_text("\n".join(rows) + "\n", encoding="utf-8")
    shard_dir = folder / "shards"
    shard_dir.mkdir()
    for k in range(shards):
        (shard_dir / f"part-{k:03d}.jsonl").write_text("\n".join(rows[k::shards]) + "\n", encoding="utf-8")
    return whole, shard_dir, len(rows)


def _agreement(local_path: Path, ray_dir: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    q = f"""
        WITH l AS (SELECT * FROM read_parquet('{local_path}')),
             r AS (SELECT * EXCLUDE (month) FROM read_parquet('{ray_dir}/**/*.parquet', hive_partitioning = true))
        SELECT count(*) AS n,
               count(*) FILTER (WHERE l.relevant IS DISTINCT FROM r.relevant OR l.stereotype IS DISTINCT FROM
                   r.stereotype OR l.exclusion IS DISTINCT FROM r.exclusion OR l.practice IS DISTINCT FROM r.practice
                   OR l.stance IS DISTINCT FROM r.stance OR l.skip_reason IS DISTINCT FROM r.skip_reason) AS changed,
               max((SELECT max(abs(l.scores[k] - r.scores[k])) FROM (SELECT unnest(map_keys(l.scores)) AS k))) AS dmax
        FROM l JOIN r USING (id)"""
    n, changed, dmax = con.execute(q).fetchone()
    con.close()
    return {"docs_compared": n, "docs_with_changed_labels": changed,
            "max_score_diff": round(float(dmax), 5) if dmax is not None else 0.0}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a table, return the figures."""
    ap = argparse.ArgumentParser(prog="python -m models.ray_bench", description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="model directory (default: the default model)")
    ap.add_argument("--titles", type=int, default=100_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--scored-titles", type=int, default=5000, help="subsample classified with the cascade off")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    if not TITLES.exists():
        print(f"ray bench needs {TITLES} (real text for measurement); not present — skipped")
        return {"skipped": "no real data"}
    try:
        import ray  # noqa: F401
    except ImportError:
        print("ray bench needs the ray extra (pip install 'stigmascope[ray]') — skipped")
        return {"skipped": "ray not installed"}
    from models.backends import available_threads
    from models.classify import classify
    from models.infer import InferConfig
    from models.ray_engine import classify_with_ray, ray_session

    if args.model is None:
        from models.default_model import ensure_default_model

        args.model = ensure_default_model()
    t_start = time.perf_counter()
    cores = available_threads()
    tmp = Path(tempfile.mkdtemp(prefix="stigmascope-raybench-"))
    try:
        whole, shards, n = _write_titles(args.titles, args.seed, tmp, args.shards)
        lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
        small = tmp / "small.jsonl"
        small.write_text("".join(lines[:200]), encoding="utf-8")
        scored = tmp / "scored.jsonl"
        n_scored = min(args.scored_titles, n)
        scored.write_text("".join(lines[:: max(1, n // n_scored)][:n_scored]), encoding="utf-8")
        res: dict[str, Any] = {"n_titles": n, "n_scored_titles": n_scored, "shards": args.shards, "cores": cores,
                               "batch_size": args.batch_size, "load_avg_start": round(os.getloadavg()[0], 1)}
        cases = {"titles": (whole, shards, True), "scored": (scored, scored, False)}
        for case, (one_file, _, cascade) in cases.items():
            c0, t0 = time.process_time(), time.perf_counter()
            loc = classify(one_file, out=tmp / f"{case}-local.parquet", model=args.model, progress=False,
                           config=InferConfig(backend=args.backend, evidence=False, cascade=cascade))
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            res["model"], res["backend"] = loc["model_id"], loc["backend"]
            res[case] = {"local": {"wall_s": round(wall, 1), "docs_per_s": round(loc["docs"] / wall, 1),
                                   "docs_per_cpu_s": round(loc["docs"] / cpu, 1), "cpu_per_wall": round(cpu / wall, 2),
                                   "relevant": loc["relevant"], "skipped": loc["skipped"]}}
        t0 = time.perf_counter()
        with ray_session(None, num_cpus=cores + 1):
            res["ray_start_s"] = round(time.perf_counter() - t0, 1)
            fixed = classify_with_ray(small, tmp / "ray-small", model=args.model, workers=1, cpus_per_worker=cores,
                                      backend=args.backend, progress=False)
            res["fixed_overhead_s"] = fixed.seconds
            for case, (_, source, cascade) in cases.items():
                local = res[case]["local"]
                for workers in (1, 2):
                    out = tmp / f"{case}-ray-{workers}"
                    s = classify_with_ray(source, out, model=args.model, workers=workers,
                                          cpus_per_worker=max(1, cores // workers), batch_size=args.batch_size,
                                          backend=args.backend, cascade=cascade, progress=False)
                    res[case][f"ray_{workers}"] = {
                        "wall_s": s.seconds, "docs_per_s": s.rows_per_s, "per_worker": s.rows_per_s_per_worker,
                        "busy_per_worker": s.rows_per_busy_worker_s, "docs_per_cpu_s": s.rows_per_cpu_s,
                        "wall_ratio": round(s.rows_per_s / local["docs_per_s"], 2),
                        "cpu_ratio": round(s.rows_per_cpu_s / local["docs_per_cpu_s"], 2) if s.rows_per_cpu_s else None,
                        "rows": s.rows, "relevant": s.relevant, "files": s.files, "partitions": s.partitions,
                        "vs_local": _agreement(tmp / f"{case}-local.parquet", out)}
        one = res["titles"]["ray_1"]
        res["overhead_1_worker"] = {"fixed_s": fixed.seconds, "ray_start_s": res["ray_start_s"],
                                    "wall_ratio_vs_local": round(one["wall_s"] / res["titles"]["local"]["wall_s"], 2)}
        res["load_avg_end"] = round(os.getloadavg()[0], 1)
        res["wall_s"] = round(time.perf_counter() - t_start, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print(res)
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return res


def _print(res: dict[str, Any]) -> None:
    print(f"model {res['model']} ({res['backend']}), {res['cores']} cores, batch {res['batch_size']}; "
          f"load average {res['load_avg_start']} → {res['load_avg_end']}; bench {res['wall_s']} s")
    head = (f"{'runner':<16}{'wall s':>8}{'docs/s':>9}{'/worker':>9}{'busy/wkr':>10}{'docs/cpu-s':>11}"
            f"{'×wall':>7}{'×cpu':>7}{'changed':>9}{'max|Δp|':>9}")
    for case, title in (("titles", f"{res['n_titles']} titles in {res['shards']} shards, cascade on"),
                        ("scored", f"{res['n_scored_titles']} titles, cascade off (every title encoded)")):
        r = res[case]
        loc = r["local"]
        print(f"{title}: local relevant {loc['relevant']}, skipped {loc['skipped']}")
        print(head)
        print(f"{'local classify':<16}{loc['wall_s']:>8}{loc['docs_per_s']:>9}{loc['docs_per_s']:>9}{'-':>10}"
              f"{loc['docs_per_cpu_s']:>11}{'1.0':>7}{'1.0':>7}")
        for w in (1, 2):
            x = r[f"ray_{w}"]
            c = x["vs_local"]
            print(f"{'ray ' + str(w) + ' worker':<16}{x['wall_s']:>8}{x['docs_per_s']:>9}{x['per_worker']:>9}"
                  f"{x['busy_per_worker'] or '-':>10}{x['docs_per_cpu_s'] or '-':>11}{x['wall_ratio']:>7}"
                  f"{x['cpu_ratio'] or '-':>7}{c['docs_with_changed_labels']:>9}{c['max_score_diff']:>9}")
    o = res["overhead_1_worker"]
    print(f"engine overhead at 1 worker: Ray start {o['ray_start_s']} s, then per run {o['fixed_s']} s for "
          f"actor start + model load (a 200-title run); wall time vs local ×{o['wall_ratio_vs_local']}")


if __name__ == "__main__":  # pragma: no cover
    main()
