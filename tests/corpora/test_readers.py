"""Readers: JSON Lines, JSON arrays, CSV/TSV (sniffed delimiters, quoted newlines), Parquet; bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpora.readers import InputFormat, Reason, detect_format, open_reader, raw_of

FIX = Path(__file__).parent / "fixtures"


def read(path: Path, **kw: object) -> list:
    with open_reader(path, **kw) as r:  # type: ignore[arg-type]
        return list(r)


def test_gbk_csv_with_quoted_newlines() -> None:
    recs = read(FIX / "news_gbk.csv")
    assert [r.line for r in recs] == [2, 6, 8, 10, 12]  # physical start lines (bodies span lines)
    first = recs[0].data
    assert first["标题"] == "本报讯 我市开展农民工工资支付专项检查"
    assert first["正文"].count("\n") == 3 and first["正文"].endswith("追回欠薪。")
    assert first["发布时间"] == "2023年5月1日"
    assert all(r.error is None for r in recs)


def test_big5_csv_decodes_traditional() -> None:
    recs = read(FIX / "posts_big5.csv")
    assert len(recs) == 6
    assert recs[2].data == {"id": "tw-003", "內容": "大陸的農民工進城打工，孩子多半留在農村由祖父母照顧。",
                            "日期": "2023-05-09", "城市": ""}


def test_bom_semicolon_csv() -> None:
    with open_reader(FIX / "survey_bom_semicolon.csv") as r:
        recs = list(r)
        assert r.delimiter == ";" and r.encoding == "utf-8-sig"
    assert list(recs[0].data) == ["编号", "内容", "日期", "所在地"]  # no BOM in the first header
    assert recs[1].data["内容"] == "工资还行；就是加班太多，周末也很少休息"


def test_nested_weibo_jsonl() -> None:
    recs = read(FIX / "weibo_posts.jsonl")
    assert len(recs) == 12 and [r.line for r in recs] == list(range(1, 13))
    assert recs[0].data["user"]["location"] == "广东 深圳"
    assert recs[0].data["created_at"] == 1682931600000
    assert "created_at" not in recs[7].data


def test_json_array_streamed_with_lines() -> None:
    recs = read(FIX / "forum_array.json")
    assert [r.data["thread"]["id"] for r in recs] == ["t-1001", "t-1002", "t-1003"]
    assert [r.line for r in recs] == [2, 12, 22]


def test_json_array_elements_larger_than_a_chunk(tmp_path: Path) -> None:
    big = "农" * 1_500_000  # one element several times bigger than the read chunk
    p = tmp_path / "a.json"
    p.write_text(json.dumps([{"text": "前"}, {"text": big}, {"text": "后"}], ensure_ascii=False), encoding="utf-8")
    recs = read(p)
    assert [len(r.data["text"]) for r in recs] == [1, 1_500_000, 1]


def test_truncated_json_array_reports_and_keeps_earlier_elements(tmp_path: Path) -> None:
    p = tmp_path / "cut.json"
    p.write_text('[\n{"text": "第一条"},\n{"text": "第二条"},\n{"text": "第三', encoding="utf-8")
    recs = read(p)
    assert [r.data["text"] for r in recs if r.data] == ["第一条", "第二条"]
    assert recs[-1].error.reason is Reason.bad_json and recs[-1].line == 4


def test_jsonl_bad_lines_do_not_stop_the_file(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_bytes(b'{"text": "\xe5\x86\x9c\xe6\xb0\x91\xe5\xb7\xa5"}\n'
                  b'{"text": "truncated\n'
                  b'[1, 2]\n'
                  b'\n'
                  + '{"text": "错误编码"}\n'.encode("gbk")
                  + b'{"text": "a\x00b"}\n'
                  b'{"text": "last"}\n')
    recs = read(p, encoding="utf-8")
    got = [(r.line, r.error.reason if r.error else None) for r in recs]
    assert got == [(1, None), (2, Reason.bad_json), (3, Reason.not_object), (5, Reason.encoding),
                   (6, Reason.binary_content), (7, None)]
    assert "column" in recs[1].error.message
    assert "\ufffd" in recs[3].raw  # the undecodable bytes are shown, not hidden


def test_overlong_jsonl_line_is_rejected_and_reading_resumes(tmp_path: Path) -> None:
    p = tmp_path / "long.jsonl"
    p.write_text('{"text": "短"}\n{"text": "' + "长" * 5000 + '"}\n{"text": "后"}\n', encoding="utf-8")
    recs = read(p, max_record_chars=1000)
    assert [r.error.reason if r.error else r.data["text"] for r in recs] == ["短", Reason.record_too_large, "后"]
    assert recs[1].line == 2 and "5,013 characters" in recs[1].error.message


def test_ragged_and_broken_csv_rows(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text('id,text,date\n1,农民工返乡,2023-01-01\n2,多了一列,2023-01-02,extra\n3,少一列\n'
                 '4,"引号里的,逗号\n和换行",2023-01-04\n', encoding="utf-8")
    recs = read(p)
    assert [(r.line, r.error.reason if r.error else None) for r in recs] == [
        (2, None), (3, Reason.ragged_row), (4, Reason.ragged_row), (5, None)]
    assert "4 fields but the header has 3" in recs[1].error.message
    assert recs[3].data["text"] == "引号里的,逗号\n和换行"


def test_tsv_and_pipe_delimiters(tmp_path: Path) -> None:
    p = tmp_path / "t.tsv"
    p.write_text("date\ttitle\n2023-01-01\t春运首日\n2023-01-02\t返程高峰\n", encoding="utf-8")
    assert [r.data["title"] for r in read(p)] == ["春运首日", "返程高峰"]
    q = tmp_path / "pipe.txt"
    q.write_text("id|text|city\n1|在东莞打工|东莞\n2|在苏州打工|苏州\n3|在宁波打工|宁波\n", encoding="utf-8")
    with open_reader(q) as r:
        assert r.format is InputFormat.csv
        assert [x.data["city"] for x in r] == ["东莞", "苏州", "宁波"]
        assert r.delimiter == "|"


def test_parquet_rows_with_nested_structs(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"mid": ["a1", "a2"], "text": ["在深圳", "在广州"],
                      "user": [{"location": "广东 深圳"}, {"location": "广东 广州"}]})
    p = tmp_path / "p.parquet"
    pq.write_table(table, p)
    with open_reader(p) as r:
        recs = list(r)
        assert r.bytes_read == r.size
    assert [(x.line, x.data["user"]["location"]) for x in recs] == [(1, "广东 深圳"), (2, "广东 广州")]
    assert json.loads(raw_of(recs[0]))["mid"] == "a1"


@pytest.mark.parametrize("name, content, expected", [
    ("a.jsonl", b'{"a": 1}\n', InputFormat.jsonl),
    ("a.ndjson", b'{"a": 1}\n', InputFormat.jsonl),
    ("a.json", b'[{"a": 1}]', InputFormat.json),
    ("a.json", b'{"a": 1}\n{"a": 2}\n', InputFormat.jsonl),
    ("a.json", b'{\n  "a": 1\n}\n', InputFormat.json),
    ("a.csv", b"a,b\n1,2\n", InputFormat.csv),
    ("a.tsv", b"a\tb\n1\t2\n", InputFormat.tsv),
    ("data", b"PAR1....", InputFormat.parquet),
    ("data.txt", b"a,b\n1,2\n", InputFormat.csv),
])
def test_detect_format(tmp_path: Path, name: str, content: bytes, expected: InputFormat) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    assert detect_format(p) is expected


def test_pretty_printed_single_objects_are_streamed(tmp_path: Path) -> None:
    p = tmp_path / "objs.json"
    p.write_text('{\n  "text": "一"\n}\n{\n  "text": "二"\n}\n', encoding="utf-8")
    assert [(r.line, r.data["text"]) for r in read(p)] == [(1, "一"), (4, "二")]


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    import gzip

    p = tmp_path / "posts.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write('{"text": "压缩文件里的微博"}\n')
    assert [r.data["text"] for r in read(p)] == ["压缩文件里的微博"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_reading_memory_does_not_grow_with_the_file(tmp_path: Path, fmt: str) -> None:
    import tracemalloc

    rec = {"id": "0", "text": "凌晨四点的火车站，扛着编织袋的旅客排起长队，一位在宁波打工的四川大姐说今年终于买到了坐票。" * 3,
           "date": "2023-01-15"}
    n = 60_000  # ~27 MB of text
    p = tmp_path / f"big.{fmt}"
    with open(p, "w", encoding="utf-8") as fh:
        if fmt == "csv":
            fh.write("id,text,date\n")
            fh.writelines(f'{i},"{rec["text"]}",{rec["date"]}\n' for i in range(n))
        else:
            line = json.dumps(rec, ensure_ascii=False)
            body = (",\n" if fmt == "json" else "\n").join(line for _ in range(n))
            fh.write(f"[\n{body}\n]\n" if fmt == "json" else body + "\n")
    assert p.stat().st_size > 20_000_000
    tracemalloc.start()
    count = 0
    with open_reader(p) as r:
        for rec_ in r:
            count += rec_.data is not None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == n
    assert peak < 12_000_000  # a few read buffers, not the 27 MB file
