"""Read segmentation user dictionaries: the project's TSV lexicon or jieba's ``word [freq] [tag]`` files.

Two formats are accepted, chosen by the file name:

* ``*.tsv`` — a header row naming the columns, then one entry per row. The ``term`` (or ``word``)
  column is required; ``freq`` and ``pos`` (or ``tag``) are optional; other columns (``category``,
  ``note`` …) are ignored here and read by :mod:`nlp.lexicon`. Lines starting with ``#`` are comments.
* anything else — jieba's user-dictionary format, one ``word [freq] [tag]`` per line, separated by
  single spaces, exactly as ``jieba.load_userdict`` reads it.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.txt"
    >>> _ = p.write_text("城中村 3000 n\\n积分落户\\n", encoding="utf-8")
    >>> [(e.word, e.freq, e.tag) for e in read_user_dict(p)]
    [('城中村', 3000, 'n'), ('积分落户', None, None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stigmascope.errors import InputError

__all__ = ["DictEntry", "read_user_dict"]

# jieba's own pattern for a user-dictionary line (jieba/__init__.py, ``re_userdict``).
_JIEBA_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")
_TAG = re.compile(r"^[a-zA-Z]+$")


@dataclass(frozen=True)
class DictEntry:
    """One user-dictionary word.

    Attributes:
        word: the word as it must appear in the text.
        freq: its frequency (``None``: let jieba suggest one that makes the word stick together).
        tag: part-of-speech tag (``None`` when absent).
        where: ``file:line`` it came from, for error messages.
    """

    word: str
    freq: int | None = None
    tag: str | None = None
    where: str = ""


def read_user_dict(path: str | Path) -> list[DictEntry]:
    """Read a user dictionary file (TSV with a header, or jieba's ``word [freq] [tag]`` lines).

    Args:
        path: the file (UTF-8, an optional BOM is ignored).

    Returns:
        The entries in file order (a repeated word appears twice; the later one wins when loaded).

    Raises:
        InputError: the file is missing, not UTF-8, or a line is malformed; the message names the file,
            the line and the field, and what to change.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("user dictionary not found; pass an existing file with --user-dict", path=str(p))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"user dictionary must be UTF-8 ({exc.reason} at byte {exc.start}); "
                         "convert it with `iconv -t utf-8`", path=str(p)) from None
    lines = text.splitlines()
    if p.suffix.lower() == ".tsv":
        return _read_tsv(lines, str(p))
    return _read_jieba(lines, str(p))


def _check_freq(raw: str, where_path: str, lineno: int) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError(f"frequency {raw!r} is not a whole number; write a positive integer or leave it empty",
                         path=where_path, line=lineno, field="freq")
    freq = int(raw)
    if freq == 0:
        raise InputError(
            "frequency 0 (jieba's way of deleting a word) is not supported: jieba records such words in a "
            "process-wide set that leaks into every tokenizer; remove the line or give a positive frequency",
            path=where_path, line=lineno, field="freq")
    return freq


def _read_tsv(lines: list[str], where: str) -> list[DictEntry]:
    header_at = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), None)
    if header_at is None:
        return []
    header = [h.strip().lower() for h in lines[header_at].split("\t")]
    col_word = _column(header, ("term", "word"))
    if col_word is None:
        raise InputError(f"the header row has no 'term' column (found {header}); the first non-comment row "
                         "of a .tsv dictionary names its columns: term, freq, pos, …",
                         path=where, line=header_at + 1, field="term")
    col_freq = _column(header, ("freq", "frequency"))
    col_tag = _column(header, ("pos", "tag"))
    out: list[DictEntry] = []
    for i in range(header_at + 1, len(lines)):
        raw = lines[i]
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        lineno = i + 1
        if len(cells) > len(header):
            raise InputError(f"{len(cells)} tab-separated cells but the header has {len(header)}; "
                             "remove the extra tab or add a column to the header", path=where, line=lineno)
        cells += [""] * (len(header) - len(cells))
        word = cells[col_word].strip()
        if not word:
            raise InputError("empty term", path=where, line=lineno, field="term")
        if any(ch.isspace() for ch in word):
            raise InputError(f"term {word!r} contains whitespace, which jieba never joins into a word",
                             path=where, line=lineno, field="term")
        freq = _check_freq(cells[col_freq], where, lineno) if col_freq is not None else None
        tag = cells[col_tag].strip() if col_tag is not None else ""
        if tag and not _TAG.match(tag):
            raise InputError(f"part-of-speech tag {tag!r} must be letters (n, nr, v …)",
                             path=where, line=lineno, field="pos")
        out.append(DictEntry(word, freq, tag or None, f"{where}:{lineno}"))
    return out


def _read_jieba(lines: list[str], where: str) -> list[DictEntry]:
    out: list[DictEntry] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        m = _JIEBA_LINE.match(line)
        if m is None:  # pragma: no cover - the pattern matches any non-empty line
            raise InputError("cannot read the line as `word [freq] [tag]`", path=where, line=lineno)
        word, freq_raw, tag = m.groups()
        freq = _check_freq(freq_raw, where, lineno) if freq_raw else None
        out.append(DictEntry(word, freq, tag.strip() if tag else None, f"{where}:{lineno}"))
    return out


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None
