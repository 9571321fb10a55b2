"""Ingestion end to end into a real DuckDB file: mapping, normalisation, dates, cities, dedup, bad input,
re-ingest idempotence and crash recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from corpora.ingest import IngestConfig, ingest_paths
from stigmascope.config import load_config
from stigmascope.errors import ConfigError, InputError

FIX = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
BODY = "在东莞的电子厂里，流水线上的工人大多来自外省，他们每天工作十个小时以上，工资按件计算，旺季时常常通宵加班。"


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_weibo_fixture(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([FIX / "weibo_posts.jsonl"], db=db)
    f = rep.files[0]
    assert f.auto_mapped and f.mapping == "text←text, id←mid, date←created_at, city←user.location"
    assert (rep.records, rep.stored, rep.exact_dups, rep.near_dups) == (12, 8, 2, 1)
    assert rep.rejected_by_reason == {"empty_text": 1}  # the bare 转发微博 of line 12
    assert rep.no_date == 1
    docs = {r[0]: r[1:] for r in q(db, "SELECT id, text, date, city, province, city_source, dup_count, script, "
                                       "quoted_text FROM documents")}
    assert len(docs) == 8
    first = docs["4890000000000001"]
    # copies: line 3 (same text, exact) and line 4 (！！ and a link: near) fold into it
    assert first[5] == 3 and first[1] == date(2023, 5, 1)  # unix ms 1682931600000 is 17:00 in Beijing
    assert (first[2], first[3], first[4]) == ("深圳", "广东", "metadata")
    assert "[泪]" not in first[0] and "http" not in first[0]
    comment = docs["4890000000000002"]  # own words kept apart from the repost chain
    assert comment[0] == "说得太对了" and comment[7].startswith("@南山观察: 今天在深圳南山")
    assert docs["4890000000000005"][5] == 2  # line 10 is a pure repost of it
    assert docs["4890000000000008"][1] is None  # no date: kept, date NULL
    assert docs["4890000000000009"][0].startswith("工厂里的年轻人越来越少了")
    assert docs["4890000000000009"][6] == "traditional"
    meta = json.loads(q(db, "SELECT meta FROM documents WHERE id = '4890000000000001'")[0][0])
    assert meta["line"] == 1 and meta["hashtags"] == ["农民工讨薪"] and meta["city_meta"] == "广东 深圳"
    assert q(db, "SELECT kind, count(*) FROM ingested_records GROUP BY 1 ORDER BY 1") == [
        ("exact", 2), ("near", 1), ("stored", 8)]
    run = q(db, "SELECT status, counts FROM runs")
    assert run[0][0] == "done" and json.loads(run[0][1])["stored"] == 8


def test_reingest_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ingest_paths([FIX / "weibo_posts.jsonl"], db=db)
    before = q(db, "SELECT count(*), sum(dup_count) FROM documents")[0]
    again = ingest_paths([FIX / "weibo_posts.jsonl"], db=db)
    assert (again.stored, again.exact_dups, again.near_dups, again.already_ingested) == (0, 0, 0, 11)
    assert q(db, "SELECT count(*), sum(dup_count) FROM documents")[0] == before == (8, 11)
    assert q(db, "SELECT count(*) FROM rejected") == [(1,)]  # replaced, not doubled
    # the same file under another name is recognised too (keys come from ids, or from content + line)
    copy = tmp_path / "renamed.jsonl"
    copy.write_bytes((FIX / "weibo_posts.jsonl").read_bytes())
    assert ingest_paths([copy], db=db).stored == 0


def test_near_duplicates_fold_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ingest_paths([FIX / "weibo_posts.jsonl"], db=db)
    later = tmp_path / "later.jsonl"
    later.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"text": "今天在深圳南山的工地上，一位来自河南的农民工大哥跟我说，他已经三个月没拿到工资了，过年回家的路费都没着落。。", "t": "2023-05-09"},
        {"text": "杭州地铁上看到几个刚下工的师傅不好意思坐座位，怕弄脏了。其实大家都是靠双手吃饭的，坐吧！！", "t": "2023-05-10"},
        {"text": BODY, "t": "2023-05-11"}]), encoding="utf-8")
    rep = ingest_paths([later], db=db, field_map="text=text,date=t", progress=True)
    assert (rep.stored, rep.near_dups) == (1, 2)
    assert q(db, "SELECT id, dup_count FROM documents WHERE id IN ('4890000000000001', '4890000000000005') "
                 "ORDER BY id") == [("4890000000000001", 4), ("4890000000000005", 3)]
    folded = q(db, "SELECT line, date, round(similarity, 2) >= 0.8 FROM ingested_records "
                   "WHERE kind = 'near' AND file = ? ORDER BY line", [str(later.resolve())])
    assert folded == [(1, date(2023, 5, 9), True), (2, date(2023, 5, 10), True)]  # each copy's date is kept


def test_same_id_with_other_text_is_another_document(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ingest_paths([FIX / "weibo_posts.jsonl"], db=db)
    p = tmp_path / "other.jsonl"
    p.write_text(json.dumps({"mid": "4890000000000001", "text": BODY, "created_at": 1682931600}, ensure_ascii=False)
                 + "\n", encoding="utf-8")
    rep = ingest_paths([p], db=db)
    assert rep.stored == 1
    ids = [r[0] for r in q(db, "SELECT id FROM documents WHERE text = ?", [BODY])]
    assert len(ids) == 1 and ids[0].startswith("4890000000000001~")


def test_gbk_news_csv_title_text_and_dates(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([FIX / "news_gbk.csv"], db=db)
    assert rep.files[0].encoding == "gb18030"
    assert rep.files[0].mapping == "text←正文, title←标题, date←发布时间, outlet←媒体"
    assert rep.stored == 5 and rep.rejected == 0
    rows = q(db, "SELECT outlet, date, datetime, text, city, city_source FROM documents ORDER BY date")
    assert [r[1] for r in rows] == [date(2023, 1, 15), date(2023, 3, 5), date(2023, 4, 12), date(2023, 5, 1),
                                    date(2023, 6, 1)]
    assert rows[1][2] == datetime(2023, 3, 5, 13, 45)
    xinhua = rows[1]
    assert xinhua[0] == "新华社" and xinhua[3].startswith("新华社北京3月5日电 政府工作报告提出保障新市民住房\n")
    assert rows[3][0] == "深圳特区报" and (rows[3][4], rows[3][5]) == ("深圳", "dateline")  # 本报讯…深圳市…


def test_big5_and_bom_csv(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([FIX / "posts_big5.csv", FIX / "survey_bom_semicolon.csv"], db=db)
    assert [f.encoding for f in rep.files] == ["big5", "utf-8-sig"]
    assert rep.stored == 10 and rep.rejected == 0
    texts = {r[0]: r[1:] for r in q(db, "SELECT json_extract_string(meta, '$.line')::INT || '@' || "
                                       "split_part(json_extract_string(meta, '$.file'), '/', -1), text, script "
                                       "FROM documents")}
    assert texts["4@posts_big5.csv"] == ("大陆的农民工进城打工，孩子多半留在农村由祖父母照顾。", "traditional")
    assert q(db, "SELECT city, province, city_source FROM documents WHERE text LIKE '在苏州打工八年%'") == [
        ("苏州", "江苏", "metadata")]


def test_json_array_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq_path = tmp_path / "posts.parquet"
    pq.write_table(pa.table({
        "id": ["p1", "p2"], "content": ["在宁波的工厂上班，包吃包住一个月五千", BODY],
        "ts": pa.array([datetime(2023, 7, 1, 8, 30), datetime(2023, 7, 2, 23, 59)], pa.timestamp("s")),
        "user": [{"location": "浙江 宁波"}, {"location": "广东 东莞"}]}), pq_path)
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([FIX / "forum_array.json", pq_path], db=db, field_map=None)
    assert rep.files[0].mapping == "text←post.content, title←thread.title, id←thread.id, date←post.time"
    assert rep.files[1].mapping == "text←content, id←id, city←user.location"
    assert rep.stored == 5
    assert q(db, "SELECT id, date FROM documents WHERE id IN ('t-1003', 'p1') ORDER BY id") == [
        ("p1", None), ("t-1003", date(2023, 3, 18))]
    mapped = ingest_paths([pq_path], db=tmp_path / "d.duckdb", field_map="text=content,date=ts,city=user.location")
    assert mapped.stored == 2
    assert q(tmp_path / "d.duckdb", "SELECT datetime FROM documents ORDER BY datetime") == [
        (datetime(2023, 7, 1, 8, 30),), (datetime(2023, 7, 2, 23, 59),)]


# ---- bad input: one test per failure mode --------------------------------------------------------------
SENTENCES = [
    "在东莞的电子厂里，流水线上的工人大多来自外省，每天工作十个小时以上。",
    "郑州富士康园区门口，招工中介举着牌子，时薪从二十元涨到了二十六元。",
    "杭州的外卖骑手说，最怕的不是下雨，而是平台又调整了配送时间。",
    "建筑工地的午饭是盒饭，十五块钱两荤一素，师傅们蹲在钢筋堆旁边吃。",
    "家政阿姨在北京做了十二年，雇主换了七家，最久的一家做了四年。",
]
GOOD = [{"id": str(i), "text": t, "date": "2023-05-01"} for i, t in enumerate(SENTENCES, 1)]


def _jsonl(records: list) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode()) + b"\n"
                    for r in records)


BAD_CASES = {
    "truncated_json": (_jsonl(GOOD[:2] + [b'{"id": "x", "text": "\xe5\x86\x9c\xe6\xb0\x91\xe5\xb7\xa5\xe8\xae']
                              + GOOD[2:]), "bad_json", 3, None, "truncated or malformed JSON"),
    "wrong_encoding": (_jsonl(GOOD[:3] + [json.dumps({"id": "g", "text": "这条记录是GBK编码"}, ensure_ascii=False)
                                          .encode("gbk")] + GOOD[3:]), "encoding", 4, None, "not valid utf-8"),
    "missing_text": (_jsonl(GOOD[:1] + [{"id": "m", "content": "正文放错了字段", "date": "2023-05-01"}] + GOOD[1:]),
                     "missing_text", 2, "text", "no text field 'text'"),
    "empty_text": (_jsonl(GOOD[:4] + [{"id": "e", "text": "   ", "date": "2023-05-01"}] + GOOD[4:]),
                   "empty_text", 5, "text", "text is empty"),
    "unparseable_date": (_jsonl(GOOD[:2] + [{"id": "d", "text": BODY + "！", "date": "上个月底吧"}] + GOOD[2:]),
                         "bad_date", 3, "date", "unparseable date '上个月底吧'"),
    "one_mb_record": (_jsonl(GOOD[:1] + [{"id": "big", "text": "农" * 1_048_576, "date": "2023-05-01"}] + GOOD[1:]),
                      "text_too_long", 2, "text", "1,048,576 characters, above max_text_chars"),
    "nul_inside_record": (_jsonl(GOOD[:3] + [b'{"id": "n", "text": "a\x00b"}'] + GOOD[3:]),
                          "binary_content", 4, None, "NUL byte"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_record_is_rejected_and_the_rest_ingested(tmp_path: Path, case: str) -> None:
    content, reason, line, field, message = BAD_CASES[case]
    p = tmp_path / f"{case}.jsonl"
    p.write_bytes(content)
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([p], db=db, field_map="text=text,id=id,date=date")
    assert rep.stored == 5, rep.to_dict()
    assert rep.rejected_by_reason == {reason: 1}
    assert message in rep.examples[reason] and f"{p.resolve()}:{line}" in rep.examples[reason]
    rows = q(db, "SELECT file, line, field, reason, raw FROM rejected")
    assert len(rows) == 1
    assert rows[0][:4] == (str(p.resolve()), line, field, reason)
    assert rows[0][4] and len(rows[0][4]) <= 2000 + len("…[truncated]")


def test_ragged_csv_rows(tmp_path: Path) -> None:
    p = tmp_path / "ragged.csv"
    lines = ["id,text,date"] + [f"{i},{t},2023-05-0{i}" for i, t in enumerate(SENTENCES, 1)]
    lines.insert(3, "x,多出来一列,2023-05-01,额外")
    lines.insert(5, "y,少了一列")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([p], db=db)
    assert rep.stored == 5 and rep.rejected_by_reason == {"ragged_row": 2}
    assert q(db, "SELECT line, reason, raw FROM rejected ORDER BY line") == [
        (4, "ragged_row", "x,多出来一列,2023-05-01,额外"), (6, "ragged_row", "y,少了一列")]
    assert "4 fields but the header has 3" in rep.examples["ragged_row"]


def test_binary_file_is_recorded_and_other_files_ingested(tmp_path: Path) -> None:
    binary = tmp_path / "scan.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2048))
    good = tmp_path / "good.jsonl"
    good.write_bytes(_jsonl(GOOD))
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([binary, good], db=db)
    assert rep.stored == 5 and rep.rejected_by_reason == {"binary_file": 1}
    assert "PNG image" in rep.files[0].error
    assert q(db, "SELECT file, reason FROM rejected") == [(str(binary.resolve()), "binary_file")]


def test_undecidable_encoding_stops_with_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "a_good.jsonl"
    good.write_bytes(_jsonl(GOOD))
    latin = tmp_path / "b_latin.csv"
    latin.write_bytes(("id,text\n" + "1,Ça coûte très cher à Zürich, señor; élève façade\n" * 20).encode("latin-1"))
    db = tmp_path / "c.duckdb"
    with pytest.raises(InputError, match=r"b_latin.csv: cannot decide the text encoding.*pass --encoding"):
        ingest_paths([good, latin], db=db)
    assert q(db, "SELECT count(*) FROM documents") == [(5,)]  # the earlier file stays ingested
    assert q(db, "SELECT status FROM runs") == [("failed",)]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        ingest_paths([tmp_path / "nope.jsonl"], db=tmp_path / "c.duckdb")


def test_directory_and_relative_dates(tmp_path: Path) -> None:
    d = tmp_path / "crawl"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"text": BODY, "time": "3小时前"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (d / "notes.md").write_text("not data", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    rep = ingest_paths([d], db=db, crawl_time=datetime(2023, 6, 1, 10, 0))
    assert [Path(f.path).name for f in rep.files] == ["a.jsonl"]
    assert q(db, "SELECT datetime FROM documents") == [(datetime(2023, 6, 1, 7, 0),)]


def test_config_from_mapping() -> None:
    cfg = load_config(IngestConfig, {"batch_size": 100, "dedup": {"threshold": 0.9}})
    assert cfg.batch_size == 100 and cfg.dedup.threshold == 0.9
    with pytest.raises(ConfigError, match="did you mean 'batch_size'"):
        load_config(IngestConfig, {"batch_sise": 100})
    with pytest.raises(ConfigError, match="threshold"):
        load_config(IngestConfig, {"dedup": {"threshold": 2}})


# ---- crash recovery --------------------------------------------------------------------------------------
# The child kills itself with SIGKILL inside the 5th batch's transaction: after its INSERTs ran, before COMMIT.
_CHILD = """
import os, signal, sys
import corpora.store as store
from corpora.ingest import IngestConfig, ingest_paths

calls = 0
original = store.CorpusStore.write_batch

class KillAtCommit:
    def __init__(self, con):
        self.con = con
    def execute(self, sql, *args):
        if sql == "COMMIT":
            os.kill(os.getpid(), signal.SIGKILL)
        return self.con.execute(sql, *args)
    def __getattr__(self, name):
        return getattr(self.con, name)

def write_batch(self, batch):
    global calls
    calls += 1
    if calls == 5:
        self.con = KillAtCommit(self.con)
    return original(self, batch)

store.CorpusStore.write_batch = write_batch
ingest_paths([sys.argv[1]], db=sys.argv[2], field_map="text=text,id=mid,date=created_at,city=user.location",
             config=IngestConfig(batch_size=250))
"""


@pytest.mark.slow
def test_killed_ingest_leaves_a_usable_store_and_a_rerun_completes_it(tmp_path: Path) -> None:
    from corpora.bench import synthetic_posts

    src = tmp_path / "posts.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in synthetic_posts(3000, seed=3))
        fh.write('{"mid": "bad", "text": "truncated\n')
    fmap = "text=text,id=mid,date=created_at,city=user.location"
    clean = tmp_path / "clean.duckdb"
    ingest_paths([src], db=clean, field_map=fmap, config=IngestConfig(batch_size=250))

    db = tmp_path / "crashed.duckdb"
    child = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(db)], cwd=REPO, check=False,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    # a usable store holding exactly the four committed batches; the fifth left no trace
    assert q(db, "SELECT count(*) FROM ingested_records") == [(1000,)]
    stored, copies = q(db, "SELECT count(*), sum(dup_count) FROM documents")[0]
    assert copies == 1000 and 0 < stored < 1000
    assert q(db, "SELECT status FROM runs") == [("running",)]

    rep = ingest_paths([src], db=db, field_map=fmap, config=IngestConfig(batch_size=250))
    assert rep.already_ingested == 1000
    want = q(clean, "SELECT id, dup_count, content_hash, date, city FROM documents ORDER BY id")
    got = q(db, "SELECT id, dup_count, content_hash, date, city FROM documents ORDER BY id")
    assert got == want and len(got) > 2000
    assert q(db, "SELECT reason, count(*) FROM rejected GROUP BY 1") == [("bad_json", 1)]
    assert q(db, "SELECT status FROM runs ORDER BY started_at") == [("interrupted",), ("done",)]


# ---- CLI ---------------------------------------------------------------------------------------------------
def test_cli_ingest_stats_export(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stigmascope.cli import build_app

    runner = CliRunner(env={"COLUMNS": "200"})
    app = build_app()
    db = tmp_path / "c.duckdb"
    res = runner.invoke(app, ["ingest", str(FIX / "weibo_posts.jsonl"), str(FIX / "news_gbk.csv"), "--db", str(db),
                              "--quiet"])
    assert res.exit_code == 0, res.output
    assert "mapping (guessed): text←text, id←mid, date←created_at, city←user.location" in res.output
    assert "records in" in res.output and "empty_text" in res.output and "records/s" in res.output
    res = runner.invoke(app, ["stats", "--db", str(db), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["documents"] == 13
    res = runner.invoke(app, ["stats", "--db", str(db)])
    assert "13 documents standing for 16 records" in res.output
    res = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "d.csv")])
    assert res.exit_code == 0 and "wrote 13 documents" in res.output and "PII scrubbed" in res.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "stigmascope", "ingest", str(FIX / "weibo_posts.jsonl"),
                          "--db", str(tmp_path / "c.duckdb"), "--map", "txt=text", "--quiet"],
                         check=False, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == ("error: --map: unknown target 'txt' (did you mean 'text'?); targets are text, "
                                  "title, id, date, city, source, outlet")


# ---- real data (../shared/data/real; skipped when absent) ----------------------------------------------
MUNICIPALITIES = {"北京", "上海", "天津", "重庆", "香港", "澳门"}


def _location(loc: object) -> tuple[str | None, str | None]:
    """``"广东 佛山"`` → ``("广东", "佛山")``; municipalities are their own city; 其他/海外 → unknown."""
    if not isinstance(loc, str) or not loc.split() or loc.split()[0] in ("其他", "海外"):
        return None, None
    parts = loc.split()
    prov = parts[0]
    city = prov if prov in MUNICIPALITIES else (parts[1] if len(parts) > 1 and parts[1] != "其他" else None)
    return prov, city


@pytest.mark.real
def test_real_weibo_hot_search_and_news(real_data_dir: Path, tmp_path: Path) -> None:
    weibo = real_data_dir / "ced_weibo_rumor" / "original_microblogs.jsonl"
    db = tmp_path / "real.duckdb"
    rep = ingest_paths([weibo], db=db, field_map="text=record.text,date=record.time,city=record.user.location,"
                       "source='weibo'")
    assert rep.records == 3387
    assert rep.stored + rep.exact_dups + rep.near_dups + rep.rejected == rep.records
    assert rep.rejected <= 10 and set(rep.rejected_by_reason) <= {"empty_text"}
    assert rep.no_date == 0  # unix times and "Sat Jun 29 12:40:09 +0800 2013" strings all parse
    locations = {}
    for i, line in enumerate(weibo.open(encoding="utf-8"), 1):
        user = json.loads(line)["record"].get("user")
        locations[i] = _location(user.get("location") if isinstance(user, dict) else None)
    rows = q(db, "SELECT json_extract(meta, '$.line')::INT, city, province FROM documents")
    with_loc = [(locations[line], city, prov) for line, city, prov in rows if locations[line][0]]
    prov_ok = sum(prov == lp for (lp, _), _, prov in with_loc) / len(with_loc)
    city_pairs = [(lc, city) for (_, lc), city, _ in with_loc if lc and city]
    city_ok = sum(lc.startswith(city) for lc, city in city_pairs) / len(city_pairs)
    assert len(with_loc) > 2000 and prov_ok >= 0.98 and city_ok >= 0.98

    hot = tmp_path / "hot.tsv"
    with open(real_data_dir / "weibo_hot_search" / "titles_unique_by_day.tsv", encoding="utf-8") as fin:
        hot.write_text("".join(line for _, line in zip(range(20_001), fin)), encoding="utf-8")
    news = tmp_path / "news.jsonl"
    with open(real_data_dir / "xinwenlianbo_cctv" / "items.jsonl", encoding="utf-8") as fin:
        news.write_text("".join(line for _, line in zip(range(500), fin)), encoding="utf-8")
    rep = ingest_paths([hot, news], db=db)
    hot_rep, news_rep = rep.files
    assert hot_rep.mapping == "text←title, date←date" and news_rep.mapping == "text←text, title←title, date←date"
    assert hot_rep.records == 20_000 and hot_rep.rejected == {} and hot_rep.stored + hot_rep.exact_dups == 20_000
    assert news_rep.records == 500 and news_rep.rejected == {}
    years = dict(q(db, "SELECT year(date), count(*) FROM documents WHERE json_extract_string(meta, '$.file') = ? "
                       "GROUP BY 1", [str(hot.resolve())]))
    assert set(years) <= {2020, 2021} and sum(years.values()) == hot_rep.stored
    assert q(db, "SELECT count(*) FROM documents WHERE json_extract_string(meta, '$.title') IS NOT NULL "
                 "AND date IS NOT NULL")[0][0] == news_rep.stored
