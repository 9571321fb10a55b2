"""Stream records out of JSON Lines, JSON arrays, CSV/TSV and Parquet files, in bounded memory.

Every record carries its file and line (row number for Parquet). A record that cannot be read (a
truncated JSON line, a ragged CSV row, bytes in the wrong encoding, a NUL byte, an over-long line) comes
out as a :class:`Record` with an :class:`RecordError` instead of data, so the caller can keep it in
``rejected`` and go on with the rest of the file.

Example:
    >>> from corpora.readers import open_reader
    >>> with open_reader("posts.csv") as reader:             # doctest: +SKIP
    ...     for rec in reader:
    ...         print(rec.line, rec.data or rec.error)
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, Self

from corpora.encoding import (
    BAD_BYTE,
    check_decodes,
    detect_encoding,
    normalise_encoding_name,
    open_binary,
    open_text,
)
from stigmascope.errors import InputError

__all__ = ["InputFormat", "Reason", "Record", "RecordError", "RecordReader", "detect_format", "open_reader"]

_CHUNK = 1 << 18  # characters per read of a JSON array (bounded memory; elements may be larger)
_DELIMITERS = (",", "\t", ";", "|")


class InputFormat(str, Enum):
    """Input file formats (``--format``)."""

    auto = "auto"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"


class Reason(str, Enum):
    """Why a record was rejected (the ``reason`` column of ``rejected``)."""

    bad_json = "bad_json"
    not_object = "not_object"
    encoding = "encoding"
    binary_content = "binary_content"
    binary_file = "binary_file"
    ragged_row = "ragged_row"
    csv_error = "csv_error"
    record_too_large = "record_too_large"
    unreadable_file = "unreadable_file"
    missing_text = "missing_text"
    empty_text = "empty_text"
    bad_text = "bad_text"
    text_too_long = "text_too_long"
    bad_date = "bad_date"


@dataclass(slots=True)
class RecordError:
    """What is wrong with one record."""

    reason: Reason
    message: str
    field: str | None = None


@dataclass(slots=True)
class Record:
    """One input record: parsed ``data`` (nested dicts allowed), or an ``error``; ``raw`` is its source text."""

    file: str
    line: int
    data: dict[str, Any] | None
    raw: str
    error: RecordError | None = None


def detect_format(path: str | Path) -> InputFormat:
    """Guess a file's format from its suffix, then from its first bytes."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    by_suffix = {".jsonl": InputFormat.jsonl, ".ndjson": InputFormat.jsonl, ".jsonlines": InputFormat.jsonl,
                 ".csv": InputFormat.csv, ".tsv": InputFormat.tsv, ".tab": InputFormat.tsv,
                 ".parquet": InputFormat.parquet, ".pq": InputFormat.parquet}
    if suffix in by_suffix:
        return by_suffix[suffix]
    with open_binary(p) as fh:
        head = fh.read(65536)
    if head.startswith(b"PAR1"):
        return InputFormat.parquet
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return InputFormat.json
    if stripped.startswith(b"{"):
        first = stripped.split(b"\n", 1)[0]
        try:
            return InputFormat.jsonl if isinstance(json.loads(first), dict) else InputFormat.json
        except ValueError:
            return InputFormat.json  # a pretty-printed object or concatenated objects: stream them
    if suffix == ".json":
        return InputFormat.json
    return InputFormat.csv


class RecordReader:
    """Iterate the records of one file; ``bytes_read`` tracks progress. Use as a context manager."""

    def __init__(self, path: str | Path, fmt: InputFormat, encoding: str | None, *,
                 max_record_chars: int = 16 * 1024 * 1024, raw_max_chars: int = 2000) -> None:
        self.path = Path(path)
        self.file = str(self.path)
        self.format = fmt
        self.encoding = encoding
        self.size = self.path.stat().st_size
        self.max_record_chars = max_record_chars
        self.raw_max_chars = raw_max_chars
        self.delimiter: str | None = None
        self._binary: BinaryIO | None = None
        self._rows_done = 0
        self._rows_total = 0
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying file."""
        if self._binary is not None:
            self._binary.close()
        self._closed = True

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (approximate: buffered reads run ahead; Parquet by rows)."""
        if self.format is InputFormat.parquet:
            return int(self.size * self._rows_done / self._rows_total) if self._rows_total else 0
        if self._binary is None or self._closed:
            return self.size if self._closed else 0
        try:
            return min(self._binary.tell(), self.size)
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Record]:
        if self.format is InputFormat.jsonl:
            return self._jsonl()
        if self.format is InputFormat.json:
            return self._json_stream()
        if self.format in (InputFormat.csv, InputFormat.tsv):
            return self._csv()
        if self.format is InputFormat.parquet:
            return self._parquet()
        raise ValueError(f"unresolved format {self.format}")  # pragma: no cover

    # -- helpers ---------------------------------------------------------------------------------
    def _clip(self, raw: str) -> str:
        return raw if len(raw) <= self.raw_max_chars else raw[: self.raw_max_chars] + "…[truncated]"

    def _bad(self, line: int, raw: str, reason: Reason, message: str, field: str | None = None) -> Record:
        if reason is Reason.encoding:
            raw = raw.replace(BAD_BYTE, "\ufffd")
        return Record(self.file, line, None, self._clip(raw), RecordError(reason, message, field))

    def _text_checks(self, line: int, text: str) -> Record | None:
        if BAD_BYTE in text:
            return self._bad(line, text, Reason.encoding,
                             f"bytes that are not valid {self.encoding} (column {text.index(BAD_BYTE) + 1}); "
                             "this record is in another encoding — fix or re-export it, or pass --encoding")
        if "\x00" in text:
            return self._bad(line, text.replace("\x00", "\\x00"), Reason.binary_content,
                             "NUL byte inside the record (binary data); fix or drop this record")
        return None

    # -- JSON Lines --------------------------------------------------------------------------------
    def _jsonl(self) -> Iterator[Record]:
        text, self._binary = open_text(self.path, self.encoding or "utf-8")
        limit = self.max_record_chars
        loads = json.loads
        with text:
            lineno = 0
            while True:
                line = text.readline(limit)
                if not line:
                    break
                lineno += 1
                if len(line) >= limit and not line.endswith("\n"):
                    size = len(line)
                    while True:
                        more = text.readline(limit)
                        size += len(more)
                        if not more or more.endswith("\n"):
                            break
                    yield self._bad(lineno, line, Reason.record_too_large,
                                    f"line of {size:,} characters exceeds max_record_chars={limit:,}; "
                                    "split the record or raise ingest.max_record_chars")
                    continue
                if lineno == 1:
                    line = line.lstrip("\ufeff")
                stripped = line.strip()
                if not stripped:
                    continue
                if "\x00" in stripped:
                    yield self._text_checks(lineno, stripped)  # type: ignore[misc]
                    continue
                try:
                    obj = loads(stripped)
                except json.JSONDecodeError as exc:  # checked before encoding: a cut line may end mid-character
                    yield self._bad(lineno, stripped, Reason.bad_json,
                                    f"truncated or malformed JSON ({exc.msg} at column {exc.colno}); "
                                    "fix or remove this line")
                    continue
                bad = self._text_checks(lineno, stripped)
                if bad is not None:
                    yield bad
                    continue
                if not isinstance(obj, dict):
                    yield self._bad(lineno, stripped, Reason.not_object,
                                    f"expected a JSON object per line, found {type(obj).__name__}")
                    continue
                yield Record(self.file, lineno, obj, stripped)

    # -- JSON arrays / concatenated JSON values ----------------------------------------------------
    def _json_stream(self) -> Iterator[Record]:
        """Stream the elements of a top-level array (or concatenated top-level objects) one at a time."""
        text, self._binary = open_text(self.path, self.encoding or "utf-8")
        decoder = json.JSONDecoder()
        buf, pos, line, eof = "", 0, 1, False

        def fill() -> bool:
            nonlocal buf, pos, eof
            chunk = text.read(_CHUNK)
            if not chunk:
                eof = True
                return False
            buf = buf[pos:] + chunk
            pos = 0
            return True

        def skip(chars: str) -> None:
            nonlocal pos, line
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    if buf[pos] == "\n":
                        line += 1
                    pos += 1
                if pos < len(buf) or not fill():
                    return

        with text:
            fill()
            skip("\ufeff \t\r\n")
            in_array = pos < len(buf) and buf[pos] == "["
            if in_array:
                pos += 1
            while True:
                skip(" \t\r\n,")
                if pos >= len(buf):
                    if in_array:
                        yield self._bad(line, "", Reason.bad_json, "file ends before the closing ']' (truncated)")
                    return
                if in_array and buf[pos] == "]":
                    return
                start_line = line
                while True:
                    try:
                        obj, end = decoder.raw_decode(buf, pos)
                        if end < len(buf) or eof:
                            break
                    except json.JSONDecodeError as exc:
                        needs_more = exc.pos >= len(buf) - 1 or exc.msg.startswith("Unterminated string")
                        too_big = len(buf) - pos > self.max_record_chars
                        if eof or too_big or not needs_more:
                            where = start_line + buf.count("\n", pos, exc.pos)
                            yield self._bad(where, buf[pos:pos + self.raw_max_chars],
                                            Reason.record_too_large if too_big else Reason.bad_json,
                                            f"malformed or truncated JSON ({exc.msg}, line {where}); the rest "
                                            "of the file cannot be resynchronised — fix it and ingest again")
                            return
                    if not fill():
                        continue
                raw = buf[pos:end]
                line += raw.count("\n")
                pos = end
                bad = self._text_checks(start_line, raw)
                if bad is not None:
                    yield bad
                elif not isinstance(obj, dict):
                    yield self._bad(start_line, raw, Reason.not_object,
                                    f"expected JSON objects, found {type(obj).__name__}")
                else:
                    yield Record(self.file, start_line, obj, self._clip(raw))

    # -- CSV / TSV ---------------------------------------------------------------------------------
    def _sniff_delimiter(self) -> str:
        if self.format is InputFormat.tsv:
            return "\t"
        text, _ = open_text(self.path, self.encoding or "utf-8", newline="")
        with text:
            sample = text.read(65536)
        lines = sample.splitlines(keepends=True)
        if len(sample) == 65536 and len(lines) > 1:
            lines = lines[:-1]  # drop the cut last line
        best, best_score = ",", -1.0
        for delim in _DELIMITERS:
            try:
                rows = [r for r in csv.reader(lines[:200], delimiter=delim) if r]
            except csv.Error:
                continue
            if not rows:
                continue
            counts = Counter(len(r) for r in rows)
            mode, freq = counts.most_common(1)[0]
            if mode < 2:
                continue
            score = freq / len(rows) + (0.001 * mode)
            if score > best_score:
                best, best_score = delim, score
        return best

    def _csv(self) -> Iterator[Record]:
        self.delimiter = delim = self._sniff_delimiter()
        csv.field_size_limit(max(self.max_record_chars, 131072))
        text, self._binary = open_text(self.path, self.encoding or "utf-8", newline="")
        with text:
            reader = csv.reader(text, delimiter=delim, quotechar='"', doublequote=True, strict=False)
            header: list[str] | None = None
            last = 0
            while True:
                start = last + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    last = reader.line_num
                    nul = "NUL" in str(exc)
                    yield self._bad(start, f"lines {start}-{last}", Reason.binary_content if nul else
                                    (Reason.record_too_large if "field limit" in str(exc) else Reason.csv_error),
                                    f"CSV parse error ({exc}); an unbalanced quote can swallow lines "
                                    f"{start}-{last}: fix the quoting and ingest again")
                    continue
                last = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if header is None:
                    header = self._header(row)
                    continue
                raw = delim.join(row)
                bad = self._text_checks(start, raw)
                if bad is not None:
                    yield bad
                    continue
                if len(row) != len(header):
                    yield self._bad(start, raw, Reason.ragged_row,
                                    f"row has {len(row)} fields but the header has {len(header)} "
                                    f"(delimiter {delim!r}); fix the row or its quoting")
                    continue
                yield Record(self.file, start, dict(zip(header, row)), self._clip(raw))
            if header is None:
                yield self._bad(1, "", Reason.unreadable_file, "no header row: the file is empty")

    @staticmethod
    def _header(row: list[str]) -> list[str]:
        names: list[str] = []
        seen: Counter[str] = Counter()
        for i, name in enumerate(row):
            name = name.strip().lstrip("\ufeff") or f"column_{i + 1}"
            seen[name] += 1
            names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
        return names

    # -- Parquet -----------------------------------------------------------------------------------
    def _parquet(self) -> Iterator[Record]:
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise InputError(f"not a readable Parquet file ({exc})", path=self.file) from exc
        self._rows_total = pf.metadata.num_rows
        row = 0
        for batch in pf.iter_batches(batch_size=4096):
            for obj in batch.to_pylist():
                row += 1
                self._rows_done = row
                yield Record(self.file, row, obj, "")  # raw is built lazily (see raw_of)


def raw_of(record: Record, limit: int = 2000) -> str:
    """The record's source text for ``rejected.raw`` (Parquet rows are serialised on demand)."""
    raw = record.raw
    if not raw and record.data is not None:
        raw = json.dumps(record.data, ensure_ascii=False, default=str)
    return raw if len(raw) <= limit else raw[:limit] + "…[truncated]"


def open_reader(path: str | Path, *, fmt: InputFormat | str = InputFormat.auto, encoding: str = "auto",
                max_record_chars: int = 16 * 1024 * 1024, raw_max_chars: int = 2000) -> RecordReader:
    """Open one file for streaming records.

    Args:
        path: the input file (``.gz`` is decompressed transparently).
        fmt: a :class:`InputFormat`; ``auto`` guesses from the suffix and the first bytes.
        encoding: ``auto`` (detect) or a codec name (checked against a sample).
        max_record_chars: longer lines/records are rejected as ``record_too_large``.
        raw_max_chars: how much of a bad record's text is kept in ``rejected.raw``.

    Returns:
        A :class:`RecordReader` (iterate it; close it, or use ``with``).

    Raises:
        InputError: missing file, binary file, undecidable encoding, unreadable Parquet.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=str(p))
    fmt = InputFormat(fmt)
    if fmt is InputFormat.auto:
        fmt = detect_format(p)
    enc: str | None = None
    if fmt is not InputFormat.parquet:
        if encoding == "auto":
            enc = detect_encoding(p)
        else:
            enc = normalise_encoding_name(encoding)
            check_decodes(p, enc)
    return RecordReader(p, fmt, enc, max_record_chars=max_record_chars, raw_max_chars=raw_max_chars)
