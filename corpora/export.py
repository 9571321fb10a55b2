"""Export the corpus store's documents to JSON Lines, CSV or Parquet, PII-scrubbed by default.

One row per document with the columns of :data:`EXPORT_COLUMNS`: ``id, text, quoted_text, date
(YYYY-MM-DD), datetime (ISO), city, province, city_source, source, outlet, script, dup_count``. With
scrubbing on (the default), ``text`` and ``quoted_text`` pass through :class:`corpora.pii.Scrubber`
(phone numbers, 身份证 numbers, emails, @handles → stable pseudonyms); ``raw_text`` is never exported.
CSV files start with a UTF-8 byte-order mark so that spreadsheet programs show the Chinese text.
Rows stream from DuckDB in record batches, so memory does not grow with the corpus; the file is written
under a temporary name and renamed at the end.

Example:
    >>> from corpora.export import export_documents
    >>> export_documents("corpus.duckdb", "corpus.parquet").rows     # doctest: +SKIP
    24102
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from corpora.store import DEFAULT_DB, open_store
from stigmascope.errors import ConfigError

__all__ = ["EXPORT_COLUMNS", "ExportFormat", "ExportReport", "export_documents"]

EXPORT_COLUMNS = ("id", "text", "quoted_text", "date", "datetime", "city", "province", "city_source", "source",
                  "outlet", "script", "dup_count")
_QUERY = ("SELECT id, text, quoted_text, strftime(date, '%Y-%m-%d') AS date, "
          "strftime(datetime, '%Y-%m-%dT%H:%M:%S') AS datetime, city, province, city_source, source, outlet, "
          "script, dup_count FROM documents ORDER BY date NULLS LAST, id")


class ExportFormat(str, Enum):
    """Export file formats, chosen by the output file's suffix."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


@dataclass
class ExportReport:
    """What :func:`export_documents` wrote."""

    path: str
    format: str
    rows: int
    scrubbed: bool


def _format_of(out: Path) -> ExportFormat:
    suffix = out.suffix.lower().lstrip(".")
    aliases = {"ndjson": "jsonl", "pq": "parquet"}
    try:
        return ExportFormat(aliases.get(suffix, suffix))
    except ValueError:
        raise ConfigError(f"--out {out}: unknown export format {out.suffix!r}; use a .jsonl, .csv or .parquet "
                          "file name") from None


def export_documents(db: str | Path = DEFAULT_DB, out: str | Path = "corpus.jsonl", *, scrub: bool = True,
                     batch_rows: int = 20_000) -> ExportReport:
    """Write every document of the store to ``out`` (format from its suffix).

    Args:
        db: the corpus store.
        out: ``.jsonl``, ``.csv`` or ``.parquet`` file to write (parent folders are created).
        scrub: replace phone numbers, ID numbers, emails and @handles with stable pseudonyms.
        batch_rows: rows fetched from DuckDB at a time.

    Returns:
        An :class:`ExportReport`.

    Raises:
        ConfigError: unknown output suffix. InputError: the store does not exist.
    """
    import pyarrow as pa

    out = Path(out)
    fmt = _format_of(out)
    scrubber = None
    if scrub:
        from corpora.pii import Scrubber

        scrubber = Scrubber()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    rows = 0
    schema = pa.schema([(c, pa.int32() if c == "dup_count" else pa.string()) for c in EXPORT_COLUMNS])
    with open_store(db, read_only=True) as store:
        reader = store.con.execute(_QUERY).fetch_record_batch(batch_rows)
        writer = _Writer(tmp, fmt, schema)
        try:
            for batch in reader:
                batch = batch.cast(schema) if batch.schema != schema else batch
                if scrubber is not None:
                    cols = {c: batch.column(c) for c in EXPORT_COLUMNS}
                    for c in ("text", "quoted_text"):
                        cols[c] = pa.array([scrubber.scrub(v) if v else v for v in cols[c].to_pylist()], pa.string())
                    batch = pa.RecordBatch.from_pydict(cols, schema=schema)
                writer.write(batch)
                rows += batch.num_rows
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise
        writer.close()
    os.replace(tmp, out)
    return ExportReport(path=str(out), format=fmt.value, rows=rows, scrubbed=scrub)


class _Writer:
    """One streaming writer per format."""

    def __init__(self, path: Path, fmt: ExportFormat, schema: object) -> None:
        self.fmt = fmt
        if fmt is ExportFormat.parquet:
            import pyarrow.parquet as pq

            self._w = pq.ParquetWriter(str(path), schema, compression="zstd")
        elif fmt is ExportFormat.csv:
            import pyarrow.csv as pcsv

            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write(b"\xef\xbb\xbf")  # UTF-8 BOM, so spreadsheet programs show Chinese text correctly
            self._w = pcsv.CSVWriter(self._fh, schema)
        else:
            self._fh = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._wrote = False

    def write(self, batch: object) -> None:
        if self.fmt is ExportFormat.jsonl:
            for row in batch.to_pylist():  # type: ignore[attr-defined]
                self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            self._w.write_batch(batch)  # type: ignore[union-attr]

    def close(self) -> None:
        if self.fmt is ExportFormat.jsonl:
            self._fh.close()
        else:
            self._w.close()
            if self.fmt is ExportFormat.csv:
                self._fh.close()
