"""User dictionary files: the TSV lexicon format and jieba's format, with errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.userdict import DictEntry, read_user_dict
from stigmascope.errors import InputError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_tsv_with_header_and_comments(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.tsv", "# a comment\nterm\tcategory\tfreq\tpos\n城中村\tplace\t300\tn\n\n讨薪\tlabour\t\tv\n")
    assert read_user_dict(p) == [DictEntry("城中村", 300, "n", f"{p}:3"), DictEntry("讨薪", None, "v", f"{p}:5")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("农民工", ("农民工", None, None)),
        ("农民工 500", ("农民工", 500, None)),
        ("农民工 500 n", ("农民工", 500, "n")),
        ("农民工 n", ("农民工", None, "n")),
        ("打工 人 3", ("打工 人", 3, None)),  # jieba's own pattern: a word may contain spaces
    ],
)
def test_jieba_format(tmp_path: Path, line: str, expected: tuple) -> None:
    (entry,) = read_user_dict(_write(tmp_path, "d.txt", line + "\n"))
    assert (entry.word, entry.freq, entry.tag) == expected


def test_bom_is_ignored(tmp_path: Path) -> None:
    (entry,) = read_user_dict(_write(tmp_path, "d.txt", "\ufeff新市民 100\n"))
    assert entry.word == "新市民"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("d.txt", "好 0\n", r"d.txt:1 field 'freq': frequency 0"),
        ("d.tsv", "term\tfreq\n好\tmany\n", r"d.tsv:2 field 'freq': frequency 'many' is not a whole number"),
        ("d.tsv", "word_list\tfreq\n好\t1\n", r"d.tsv:1 field 'term': the header row has no 'term' column"),
        ("d.tsv", "term\tfreq\n好\t1\textra\n", r"d.tsv:2: 3 tab-separated cells but the header has 2"),
        ("d.tsv", "term\tfreq\n\t1\n", r"d.tsv:2 field 'term': empty term"),
        ("d.tsv", "term\tpos\n好 人\tn\n", r"d.tsv:2 field 'term': term '好 人' contains whitespace"),
        ("d.tsv", "term\tpos\n好\t名词\n", r"d.tsv:2 field 'pos'"),
    ],
)
def test_errors_name_file_line_field(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_user_dict(_write(tmp_path, name, text))


def test_missing_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="user dictionary not found"):
        read_user_dict(tmp_path / "nope.txt")
    p = tmp_path / "gbk.txt"
    p.write_bytes("农民工".encode("gbk"))
    with pytest.raises(InputError, match="must be UTF-8"):
        read_user_dict(p)
