"""Benchmark ``ingest``: documents/s, MB/s, peak memory, time per stage, and batch vs row-by-row writes.

Runs on the real Weibo hot-search titles (718k rows) when ``../shared/data/real`` is present, else on a
synthetic corpus of the same shape; ``--news`` adds the CCTV news items (long texts: exercises
near-duplicate MinHash). Each ingestion runs in a fresh child process so its peak RSS is its own.

Usage:
    python -m corpora.bench                 # hot-search titles (or synthetic), ~2-4 min on 2 cores
    python -m corpora.bench --limit 50000   # first 50k rows only
    python -m corpora.bench --news          # also the news items
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

__all__ = ["main", "synthetic_posts"]

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
HOT = REAL / "weibo_hot_search" / "titles_unique_by_day.tsv"
NEWS = REAL / "xinwenlianbo_cctv" / "items.jsonl"

_CITIES = ("深圳", "广州", "东莞", "佛山", "上海", "北京", "杭州", "苏州", "成都", "重庆", "武汉", "郑州", "西安", "宁波")
_HOMES = ("河南", "四川", "安徽", "湖南", "江西", "贵州", "甘肃", "广西")
_TEMPLATES = (
    "{city}一工地{n}名农民工被拖欠工资{m}个月，劳动监察部门已介入调查",
    "在{city}打工{n}年的{home}小伙，终于把孩子接到了身边上学",
    "{city}出台新政：外来务工人员子女可凭居住证入读公办学校",
    "凌晨{n}点的{city}街头，外卖骑手还在等最后一单",
    "{home}籍务工人员在{city}讨薪无果，{n}人集体到劳动仲裁委申请仲裁",
    "{city}城中村改造，{n}万租户何去何从",
    "春运首日{city}火车站发送旅客{n}万人次，返乡务工人员占六成",
    "{city}为新市民提供保障性租赁住房{n}千套",
)
_CLAUSES = (
    "记者走访发现这并非个例", "相关部门表示将依法处理", "不少网友留言表示支持", "工友们希望年底前能拿到钱",
    "房东说今年的房租不会再涨", "孩子的学籍问题还没有解决", "社区工作人员上门登记了信息", "老板至今没有露面",
    "当地工会提供了免费法律援助", "很多人选择提前返乡", "招工启事贴满了工业园门口", "食堂的饭菜涨价了两块",
    "夜班的补贴比去年少了", "工地上安装了新的实名考勤机", "有人说明年不打算再来了", "新开的公交线路方便了通勤",
    "宿舍里终于装上了空调", "他们在手机上学会了维权", "医保异地结算办起来快多了", "职业技能培训报名人数翻倍",
    "外卖平台调整了配送时限", "城管和摊贩达成了新的约定", "夜校里坐满了下班后的年轻人", "老乡会帮忙介绍了新工作",
)


def synthetic_posts(n: int, *, seed: int = 0, dup_rate: float = 0.15) -> Iterator[dict[str, Any]]:
    """Yield ``n`` Weibo-like records (``mid``, ``text``, ``created_at`` unix seconds, ``user.location``).

    About ``dup_rate`` of them repeat an earlier text exactly or with a small edit, so deduplication has
    work to do. The texts are generated from templates and clauses written for this project.
    """
    rng = random.Random(seed)
    earlier: list[str] = []
    t0 = 1_672_531_200  # 2023-01-01
    for i in range(n):
        if earlier and rng.random() < dup_rate:
            text = rng.choice(earlier)
            if rng.random() < 0.5:
                text = text + rng.choice(("！", "。。", " 转发支持", "，太难了"))
        else:
            city = rng.choice(_CITIES)
            text = rng.choice(_TEMPLATES).format(city=city, home=rng.choice(_HOMES), n=rng.randint(2, 999),
                                                 m=rng.randint(2, 12))
            text += "，" + "，".join(rng.sample(_CLAUSES, 3)) + f"（{i}）"
            if len(earlier) < 5000:
                earlier.append(text)
        yield {"mid": f"syn{i:08d}", "text": text, "created_at": t0 + rng.randint(0, 365 * 86400),
               "user": {"location": f"广东 {rng.choice(_CITIES)}" if rng.random() < 0.6 else "其他"}}


def _write_synthetic(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in synthetic_posts(n))


def _head(src: Path, dst: Path, lines: int) -> None:
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for i, line in enumerate(fin):
            if i > lines:  # +1 for the header
                break
            fout.write(line)


def _ingest_child(path: str, db: str, field_map: str | None, batch_size: int) -> dict[str, Any]:
    from corpora.ingest import IngestConfig, ingest_paths

    t = time.perf_counter()
    report = ingest_paths([path], db=db, field_map=field_map, config=IngestConfig(batch_size=batch_size))
    out = report.to_dict()
    out["wall_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _run_isolated(path: Path, db: Path, field_map: str | None, batch_size: int) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_ingest_child, str(path), str(db), field_map, batch_size).result()


def _write_comparison(tmp: Path, n: int = 20_000) -> dict[str, float]:
    """Seconds to write ``n`` document rows: one Arrow batch vs ``executemany`` row by row."""
    from datetime import datetime

    from corpora.store import DOC_COLUMNS, BatchWrite, open_store

    rows = [{c: None for c in DOC_COLUMNS} for _ in range(n)]
    for i, r in enumerate(rows):
        r.update(id=f"d{i}", text=f"第{i}条测试文本，农民工讨薪", dup_count=1, meta="{}", ingested_at=datetime.now())
    batch = BatchWrite()
    for r in rows:
        for c in DOC_COLUMNS:
            batch.documents[c].append(r[c])
    with open_store(tmp / "w1.duckdb") as store:
        t = time.perf_counter()
        store.write_batch(batch)
        arrow_s = time.perf_counter() - t
    with open_store(tmp / "w2.duckdb") as store:
        sql = f"INSERT INTO documents ({', '.join(DOC_COLUMNS)}) VALUES ({', '.join('?' * len(DOC_COLUMNS))})"
        t = time.perf_counter()
        store.con.execute("BEGIN")
        store.con.executemany(sql, [[r[c] for c in DOC_COLUMNS] for r in rows])
        store.con.execute("COMMIT")
        rowwise_s = time.perf_counter() - t
    return {"rows": n, "arrow_batch_s": arrow_s, "executemany_s": rowwise_s}


def _duckdb_floor(path: Path, tmp: Path) -> float:
    """Seconds for DuckDB's own CSV reader to load the file into a table (no normalisation, no dedup)."""
    import duckdb

    con = duckdb.connect(str(tmp / "floor.duckdb"))
    t = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, delim='\t', header=true, quote='')", [str(path)])
    out = time.perf_counter() - t
    con.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the ingestion benchmark, print a short table and return the figures."""
    ap = argparse.ArgumentParser(prog="python -m corpora.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--path", type=Path, help="a file to ingest instead of the hot-search titles")
    ap.add_argument("--map", default=None, help="--map spec for --path")
    ap.add_argument("--limit", type=int, default=None, help="only the first N rows of the hot-search titles")
    ap.add_argument("--synthetic", type=int, default=None, help="ingest N synthetic posts instead")
    ap.add_argument("--news", action="store_true", help="also ingest the CCTV news items (long texts)")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--write-rows", type=int, default=20_000, help="rows for the batch vs row-by-row write test")
    args = ap.parse_args(argv)

    results: dict[str, Any] = {"runs": []}
    with tempfile.TemporaryDirectory(prefix="stigmascope-bench-") as td:
        tmp = Path(td)
        jobs: list[tuple[str, Path, str | None]] = []
        if args.path:
            jobs.append((args.path.name, args.path, args.map))
        elif args.synthetic or not HOT.is_file():
            n = args.synthetic or 200_000
            syn = tmp / "synthetic.jsonl"
            _write_synthetic(syn, n)
            jobs.append((f"synthetic Weibo posts ({n:,})", syn, "text=text,id=mid,date=created_at,city=user.location"))
        else:
            src = HOT
            if args.limit:
                src = tmp / "hot_head.tsv"
                _head(HOT, src, args.limit)
            jobs.append(("weibo hot-search titles", src, "text=title,date=date,source='weibo_hot_search'"))
            results["duckdb_read_csv_floor_s"] = _duckdb_floor(src, tmp)
        if args.news and NEWS.is_file():
            jobs.append(("cctv news items", NEWS, "title=title,text=text,date=date,source='news',outlet='CCTV'"))
        for name, path, fmap in jobs:
            r = _run_isolated(path, tmp / f"bench{len(results['runs'])}.duckdb", fmap, args.batch_size)
            r["name"] = name
            results["runs"].append(r)
        results["write"] = _write_comparison(tmp, args.write_rows)
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ingest throughput", title_justify="left")
    for col in ("corpus", "records", "stored", "dups", "wall s", "docs/s", "MB/s", "peak RSS MB"):
        table.add_column(col, justify="left" if col == "corpus" else "right")
    for r in results["runs"]:
        table.add_row(r["name"], f"{r['records']:,}", f"{r['stored']:,}", f"{r['exact_dups'] + r['near_dups']:,}",
                      f"{r['wall_s']:.1f}", f"{r['records'] / r['wall_s']:,.0f}",
                      f"{r['bytes'] / 1e6 / r['wall_s']:.2f}", f"{r['peak_rss_mb']:.0f}")
    con = Console()
    con.print(table)
    for r in results["runs"]:
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(r["stage_seconds"].items(), key=lambda kv: -kv[1]))
        con.print(f"{r['name']} stages: {stages}")
    if "duckdb_read_csv_floor_s" in results:
        con.print(f"floor: DuckDB read_csv of the same file into a table (no processing): "
                  f"{results['duckdb_read_csv_floor_s']:.2f} s")
    w = results["write"]
    con.print(f"store writes of {w['rows']:,} rows: Arrow batch {w['arrow_batch_s']:.3f} s vs executemany "
              f"{w['executemany_s']:.2f} s ({w['executemany_s'] / max(w['arrow_batch_s'], 1e-9):.0f}× slower)")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
