"""Encoding detection: BOM, UTF-8, GB18030, Big5, binary files, undecidable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpora.encoding import BAD_BYTE, BinaryFileError, check_decodes, detect_encoding, open_text
from stigmascope.errors import InputError

FIX = Path(__file__).parent / "fixtures"

SIMPLIFIED = "农民工讨薪难的问题今年有所缓解，深圳市劳动监察大队为外来务工人员追回工资一千二百万元。\n"
TRADITIONAL = "大陸的農民工進城打工，孩子多半留在農村由祖父母照顧，這是很多家庭的無奈選擇。\n"


@pytest.mark.parametrize("name, expected", [
    ("news_gbk.csv", "gb18030"),
    ("posts_big5.csv", "big5"),
    ("survey_bom_semicolon.csv", "utf-8-sig"),
    ("weibo_posts.jsonl", "utf-8"),
    ("forum_array.json", "utf-8"),
])
def test_fixtures_detected(name: str, expected: str) -> None:
    assert detect_encoding(FIX / name) == expected


@pytest.mark.parametrize("text, encoding, expected", [
    (SIMPLIFIED * 3, "gb18030", "gb18030"),
    (SIMPLIFIED * 3, "gbk", "gb18030"),
    (TRADITIONAL * 3, "big5", "big5"),
    (TRADITIONAL * 3, "utf-8", "utf-8"),
    (SIMPLIFIED * 3, "utf-8-sig", "utf-8-sig"),
    ("date,title\n2023-05-01,hello\n", "ascii", "utf-8"),
])
def test_detect_written_text(tmp_path: Path, text: str, encoding: str, expected: str) -> None:
    p = tmp_path / "f.txt"
    p.write_bytes(text.encode(encoding))
    assert detect_encoding(p) == expected


def test_utf8_file_with_a_few_bad_lines_stays_utf8(tmp_path: Path) -> None:
    lines = [f'{{"text": "第{i}条：{SIMPLIFIED.strip()}"}}\n'.encode() for i in range(30)]
    lines[7] = '{"text": "这一行是GBK编码的"}\n'.encode("gbk")
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(b"".join(lines))
    assert detect_encoding(p) == "utf-8"
    text, _ = open_text(p, "utf-8")
    with text:
        decoded = text.read().splitlines()
    assert BAD_BYTE in decoded[7]
    assert sum(BAD_BYTE in ln for ln in decoded) == 1


def test_binary_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "photo.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(BinaryFileError, match="PNG image"):
        detect_encoding(p)
    q = tmp_path / "dump.jsonl"
    q.write_bytes(b'{"text": "a"}\n' + b"\x00\x01\x02\x03" * 100)
    with pytest.raises(BinaryFileError, match="NUL bytes"):
        detect_encoding(q)


def test_undecidable_file_asks_for_encoding(tmp_path: Path) -> None:
    # Latin-1 accented text: not UTF-8, and no Chinese encoding gives common Han characters.
    p = tmp_path / "latin.csv"
    p.write_bytes(("id,text\n" + "1,Ça coûte très cher à Zürich, señor; élève façade\n" * 20).encode("latin-1"))
    with pytest.raises(InputError, match="pass --encoding") as err:
        detect_encoding(p)
    assert "latin.csv" in str(err.value)


def test_utf16_is_refused_with_a_conversion_hint(tmp_path: Path) -> None:
    p = tmp_path / "excel.txt"
    p.write_bytes("id\ttext\n1\t农民工\n".encode("utf-16"))
    with pytest.raises(InputError, match="iconv"):
        detect_encoding(p)


def test_user_encoding_checked_against_sample(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes(("id,text\n" + "".join(f"{i},{SIMPLIFIED}" for i in range(10))).encode("gbk"))
    check_decodes(p, "gb18030")  # right: no error
    with pytest.raises(InputError, match="do not decode as utf-8"):
        check_decodes(p, "utf-8")
