"""Import documents into a project: from a file (JSON Lines, CSV, TSV, Parquet) or the corpus store.

Every record gets token boundaries from the segmenter (evidence spans snap to them). A record that
cannot be stored — no id, no text, a repeated id, not JSON — is kept in ``rejected_records`` with the
file, line, field and reason, and counted in the report; documents already in the project are skipped.

Example:
    >>> rep = import_file(db, "weibo-2024", "sample.jsonl")            # doctest: +SKIP
    >>> rep.imported, rep.rejected
    (200, 1)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from annotation.db import Database
from annotation.projects import project_by_name
from annotation.schema import Document, RejectedRecord
from stigmascope.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from nlp.segment import Segmenter

__all__ = [
    "MAX_TEXT",
    "ImportReport",
    "Record",
    "import_file",
    "import_records",
    "import_store",
    "read_records",
]

MAX_TEXT = 100_000
_KNOWN = ("id", "text", "date", "city", "source", "outlet", "meta")


@dataclass
class Record:
    """One document to import, or a rejection (``reason`` set)."""

    line: int | None
    data: dict[str, Any] | None = None
    reason: str | None = None
    field: str | None = None
    raw: str | None = None


@dataclass
class ImportReport:
    """What an import did."""

    origin: str
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _clean(row: dict[str, Any], line: int | None, origin: str) -> Record:
    raw = json.dumps(row, ensure_ascii=False, default=str)[:2000]
    doc_id = row.get("id")
    if doc_id is None or str(doc_id).strip() in ("", "nan", "None"):
        return Record(line, reason="no id", field="id", raw=raw)
    doc_id = str(doc_id).strip()
    if len(doc_id) > 200:
        return Record(line, reason="id longer than 200 characters", field="id", raw=raw)
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return Record(line, reason="no text", field="text", raw=raw)
    if len(text) > MAX_TEXT:
        return Record(line, reason=f"text longer than {MAX_TEXT:,} characters", field="text", raw=raw)
    date = row.get("date")
    date = str(date)[:10] if date not in (None, "") and str(date) not in ("nan", "NaT", "None") else None
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    meta = {**meta, **{k: v for k, v in row.items() if k not in _KNOWN and k not in ("labels", "split")}}
    def opt(key: str, limit: int) -> str | None:
        v = row.get(key)
        return None if v in (None, "") or str(v) in ("nan", "None") else str(v)[:limit]
    data = {"ext_id": doc_id, "text": text, "date": date, "city": opt("city", 100), "source": opt("source", 50),
            "outlet": opt("outlet", 200), "meta": json.loads(json.dumps(meta, ensure_ascii=False, default=str))
            or None}
    return Record(line, data=data)


def read_records(path: str | Path) -> Iterator[Record]:
    """Read a ``.jsonl``/``.json`` (one object a line), ``.csv``, ``.tsv`` or ``.parquet`` file.

    Raises:
        InputError: the file is missing or of an unknown kind (bad records are yielded as rejections).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found; pass a .jsonl, .csv, .tsv or .parquet file with id and text", path=str(p))
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        with p.open(encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Record(lineno, reason=f"not valid JSON ({exc.msg})", raw=line[:2000])
                    continue
                if not isinstance(row, dict):
                    yield Record(lineno, reason="not a JSON object", raw=line[:2000])
                    continue
                yield _clean(row, lineno, str(p))
    elif suffix in (".csv", ".tsv"):
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            if reader.fieldnames is None or "id" not in reader.fieldnames or "text" not in reader.fieldnames:
                raise InputError(f"needs 'id' and 'text' columns, found {reader.fieldnames}", path=str(p))
            for i, row in enumerate(reader, 2):
                yield _clean(dict(row), i, str(p))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(p)
        if "id" not in table.column_names or "text" not in table.column_names:
            raise InputError(f"needs 'id' and 'text' columns, found {table.column_names}", path=str(p))
        for i, row in enumerate(table.to_pylist(), 1):
            yield _clean(row, i, str(p))
    else:
        raise InputError(f"unknown file kind {p.suffix!r}; use .jsonl, .csv, .tsv or .parquet", path=str(p))


def import_records(db: Database, project: str, records: Iterable[Record], *, origin: str,
                   segment: bool = True, segmenter: Segmenter | None = None, batch: int = 500) -> ImportReport:
    """Store records in a project (each batch one transaction) and return the report.

    Args:
        records: from :func:`read_records` or a store query.
        origin: where they came from (kept with rejections).
        segment: compute token boundaries (else spans snap to characters).
        segmenter: the segmenter to use (default: a new :class:`nlp.segment.Segmenter`, about 1.5 s to build).
    """
    from annotation.spans import token_ends_many

    with db.read() as s:
        pid = project_by_name(s, project).id
    if not segment:
        segmenter = None
    elif segmenter is None:
        from nlp.segment import Segmenter

        segmenter = Segmenter()
    rep = ImportReport(origin=origin)
    seen: set[str] = set()
    buf: list[Record] = []

    def flush() -> None:
        if not buf:
            return
        good = [r for r in buf if r.data is not None]
        ends = token_ends_many([r.data["text"] for r in good], segmenter) if segmenter and good else [[]] * len(good)
        with db.write() as s:
            existing = set(s.scalars(select(Document.ext_id).where(
                Document.project_id == pid, Document.ext_id.in_([r.data["ext_id"] for r in good]))))
            pos = (s.scalar(select(func.max(Document.position)).where(Document.project_id == pid)) or 0) + 1
            for r, e in zip(good, ends):
                if r.data["ext_id"] in existing:
                    rep.already_present += 1
                    continue
                s.add(Document(project_id=pid, tokens=e, position=pos, **r.data))
                pos += 1
                rep.imported += 1
            for r in buf:
                if r.data is None:
                    s.add(RejectedRecord(project_id=pid, origin=origin[:500], line=r.line, field=r.field,
                                         reason=r.reason or "rejected", raw=r.raw))
        buf.clear()

    for rec in records:
        if rec.data is not None:
            if rec.data["ext_id"] in seen:
                rec = Record(rec.line, reason=f"id {rec.data['ext_id']!r} repeated in this input", field="id",
                             raw=json.dumps(rec.data, ensure_ascii=False)[:2000])
            else:
                seen.add(rec.data["ext_id"])
        if rec.data is None:
            rep.rejected += 1
            rep.reasons[rec.reason or "rejected"] = rep.reasons.get(rec.reason or "rejected", 0) + 1
        buf.append(rec)
        if len(buf) >= batch:
            flush()
    flush()
    return rep


def import_file(db: Database, project: str, path: str | Path, *, segment: bool = True,
                segmenter: Segmenter | None = None) -> ImportReport:
    """Import a document file into a project (see :func:`read_records` for the formats)."""
    return import_records(db, project, read_records(path), origin=str(path), segment=segment, segmenter=segmenter)


def import_store(db: Database, project: str, store: str | Path, *, limit: int | None = None,
                 sample_seed: int | None = None, source: str | None = None, city: str | None = None,
                 since: str | None = None, until: str | None = None, segment: bool = True,
                 segmenter: Segmenter | None = None) -> ImportReport:
    """Import documents from the corpus store (DuckDB ``documents``; duplicates folded there are left out).

    Args:
        store: the DuckDB file; limit: at most this many; sample_seed: a seeded random sample instead of
            id order; source, city: keep only these; since, until: ``YYYY-MM-DD`` bounds on ``date``.
    """
    import duckdb

    p = Path(store)
    if not p.is_file():
        raise InputError("corpus store not found; build it with `stigmascope ingest`", path=str(p))
    where, params = ["dup_of IS NULL"], []
    for col, val, op in (("source", source, "="), ("city", city, "="), ("date", since, ">="), ("date", until, "<=")):
        if val is not None:
            where.append(f"{col} {op} ?")
            params.append(val)
    order = "md5(id || ?)" if sample_seed is not None else "id"
    if sample_seed is not None:
        params.append(str(sample_seed))
    sql = (f"SELECT id, text, CAST(date AS VARCHAR) AS date, city, source, outlet FROM documents "
           f"WHERE {' AND '.join(where)} ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit else ""))
    con = duckdb.connect(str(p), read_only=True)
    try:
        rows = con.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"cannot read the documents table ({exc})", path=str(p)) from None
    finally:
        con.close()
    cols = ("id", "text", "date", "city", "source", "outlet")
    recs = (_clean(dict(zip(cols, r)), None, str(p)) for r in rows)
    return import_records(db, project, recs, origin=f"store:{p}", segment=segment, segmenter=segmenter)
