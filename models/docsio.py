"""Read documents to classify and write predictions: JSON Lines, CSV, Parquet, and the corpus store.

Inputs carry ``id`` and ``text`` and optionally ``date``, ``city``, ``city_source``, ``source``.
Outputs follow CONTRACTS.md: one row per document as JSON Lines, or Parquet (``scores`` as a
``map<string, double>``, ``evidence`` as a JSON string), and the store's ``predictions`` table.

Example:
    >>> from models.docsio import read_documents            # doctest: +SKIP
    >>> next(read_documents("feed.jsonl"))["id"]
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from stigmascope.errors import InputError

__all__ = ["read_documents", "PredictionWriter", "write_store_predictions", "read_store_documents",
           "PREDICTIONS_DDL"]

INPUT_FIELDS = ("id", "text", "date", "city", "city_source", "source")
PREDICTIONS_DDL = """CREATE TABLE IF NOT EXISTS predictions (
    doc_id VARCHAR, model VARCHAR, run_id VARCHAR, relevant BOOLEAN, skip_reason VARCHAR,
    labels VARCHAR[], scores MAP(VARCHAR, DOUBLE), evidence JSON, created_at TIMESTAMP,
    PRIMARY KEY (doc_id, model))"""


def _missing_columns(columns: Iterable[str], path: Path) -> None:
    cols = list(columns)
    for need in ("id", "text"):
        if need not in cols:
            raise InputError(f"no {need!r} column (columns found: {cols[:12]}); the input needs 'id' and 'text' "
                             "columns (and optionally date, city, source) — rename yours", path=str(path), field=need)


def read_documents(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stream documents from a ``.jsonl``/``.json``, ``.csv``/``.tsv`` or ``.parquet`` file.

    Yields:
        ``{"id": str, "text": str, "date", "city", "city_source", "source"}`` (missing optional fields None;
        a record without text gets ``""`` and is classified as an empty text).

    Raises:
        InputError: missing file, unknown format, no ``id``/``text`` column, a record without ``id`` or a
            line that is not JSON (file, line and field named).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("input file not found", path=str(p))
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix == ".gz" else p.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson", ".jsonl.gz"):
        yield from _read_jsonl(p)
    elif suffix in (".csv", ".tsv"):
        yield from _read_csv(p, sep="\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        yield from _read_parquet(p)
    else:
        raise InputError(f"unknown input format {p.suffix!r}; use .jsonl, .csv, .tsv or .parquet", path=str(p))


def _record(row: Mapping[str, Any], path: Path, line: int | None) -> dict[str, Any]:
    doc_id = row.get("id")
    if doc_id is None or (isinstance(doc_id, float) and doc_id != doc_id) or str(doc_id).strip() == "":
        raise InputError("record has no id; give every document a unique id", path=str(path), line=line, field="id")
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        text = "" if isinstance(text, float) and text != text else str(text)
    out = {"id": str(doc_id), "text": text or ""}
    for k in INPUT_FIELDS[2:]:
        v = row.get(k)
        out[k] = None if (v is None or (isinstance(v, float) and v != v)) else v
    return out


def _read_jsonl(p: Path) -> Iterator[dict[str, Any]]:
    import gzip

    opener = gzip.open if p.suffix == ".gz" else open
    first = True
    with opener(p, "rt", encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg}); each line must be one JSON object", path=str(p),
                                 line=lineno) from None
            if not isinstance(row, dict):
                raise InputError("expected a JSON object per line", path=str(p), line=lineno)
            if first and "text" not in row:
                _missing_columns(row.keys(), p)
            first = False
            yield _record(row, p, lineno)


def _read_csv(p: Path, *, sep: str) -> Iterator[dict[str, Any]]:
    import pandas as pd

    try:
        chunks = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, chunksize=50_000, encoding="utf-8-sig")
        line = 2
        for chunk in chunks:
            _missing_columns(chunk.columns, p)
            for row in chunk.to_dict("records"):
                yield _record({k: (v if v != "" else None) for k, v in row.items()}, p, line)
                line += 1
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse CSV ({str(exc).splitlines()[0]})", path=str(p)) from None


def _read_parquet(p: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(p)
    except Exception as exc:  # pyarrow raises several error types for non-parquet files
        raise InputError(f"cannot read Parquet ({str(exc).splitlines()[0]})", path=str(p)) from None
    _missing_columns(f.schema_arrow.names, p)
    cols = [c for c in INPUT_FIELDS if c in f.schema_arrow.names]
    row_no = 0
    for batch in f.iter_batches(columns=cols, batch_size=50_000):
        for row in batch.to_pylist():
            row_no += 1
            yield _record(row, p, row_no)


class PredictionWriter:
    """Write prediction rows to ``.jsonl`` (streamed) or ``.parquet`` (written on close).

    Args:
        path: output file; its suffix picks the format.
        facets: ``(output_key, kind)`` per facet, for the Parquet schema.
    """

    def __init__(self, path: str | Path, facets: list[tuple[str, str]]) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in (".jsonl", ".parquet"):
            raise InputError("output must end in .jsonl or .parquet", path=str(self.path))
        self.format, self.facets = suffix[1:], facets
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w", encoding="utf-8") if self.format == "jsonl" else None
        self._rows: list[dict[str, Any]] = []
        self.count = 0

    def write(self, row: Mapping[str, Any]) -> None:
        self.count += 1
        if self._fh is not None:
            self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            self._rows.append(dict(row))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        fields = [pa.field("id", pa.string()), pa.field("date", pa.string()), pa.field("city", pa.string()),
                  pa.field("city_source", pa.string())]
        for key, kind in self.facets:
            fields.append(pa.field(key, pa.bool_() if kind == "binary" else
                                   pa.list_(pa.string()) if kind == "multi_label" else pa.string()))
        fields += [pa.field("scores", pa.map_(pa.string(), pa.float64())), pa.field("evidence", pa.string()),
                   pa.field("skip_reason", pa.string())]
        schema = pa.schema(fields)
        cols: dict[str, list[Any]] = {f.name: [] for f in fields}
        for r in self._rows:
            for f in fields:
                v = r.get(f.name)
                if f.name == "scores":
                    v = list((v or {}).items())
                elif f.name == "evidence":
                    v = json.dumps(v or {}, ensure_ascii=False)
                cols[f.name].append(v)
        pq.write_table(pa.table(cols, schema=schema), self.path)

    def __enter__(self) -> "PredictionWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def write_store_predictions(con: Any, rows: list[Mapping[str, Any]], *, label_keys: list[list[str]],
                            model_id: str, run_id: str) -> int:
    """Insert (or replace) prediction rows into the store's ``predictions`` table.

    Args:
        con: an open DuckDB connection (the table is created if absent).
        rows: output rows (see ``models.infer.output_row``).
        label_keys: per row, the predicted score keys except the gate (the ``labels`` column).
        model_id: the model's id; run_id: this classification run.

    Returns:
        Number of rows written.
    """
    import pyarrow as pa

    if not rows:
        return 0
    con.execute(PREDICTIONS_DDL)
    now = dt.datetime.now()
    table = pa.table({
        "doc_id": [str(r["id"]) for r in rows],
        "model": [model_id] * len(rows),
        "run_id": [run_id] * len(rows),
        "relevant": [bool(r.get("relevant", False)) for r in rows],
        "skip_reason": [r.get("skip_reason") for r in rows],
        "labels": label_keys,
        "score_keys": [list((r.get("scores") or {}).keys()) for r in rows],
        "score_vals": [[float(v) for v in (r.get("scores") or {}).values()] for r in rows],
        "evidence": [json.dumps(r.get("evidence") or {}, ensure_ascii=False) for r in rows],
        "created_at": [now] * len(rows),
    })
    con.register("_stigmascope_preds", table)
    try:
        con.execute("""INSERT OR REPLACE INTO predictions
            SELECT doc_id, model, run_id, relevant, skip_reason, labels,
                   CASE WHEN len(score_keys) = 0 THEN NULL ELSE MAP(score_keys, score_vals) END,
                   evidence::JSON, created_at
            FROM _stigmascope_preds""")
    finally:
        con.unregister("_stigmascope_preds")
    return len(rows)


def read_store_documents(con: Any, *, model_id: str | None = None, only_new: bool = True) -> Iterator[dict[str, Any]]:
    """Documents from the store's ``documents`` table, optionally only those without a prediction by
    ``model_id``.

    Raises:
        InputError: the store has no ``documents`` table.
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "documents" not in tables:
        raise InputError("the store has no 'documents' table; ingest documents first with `stigmascope ingest`",
                         field="documents")
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'documents'").fetchall()}
    pick = [c for c in INPUT_FIELDS if c in cols]
    base = f"SELECT {', '.join('d.' + c for c in pick)} FROM documents d WHERE d.id > ?"
    if only_new and model_id and "predictions" in tables:
        base += " AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.doc_id = d.id AND p.model = ?)"
    base += " ORDER BY d.id LIMIT 5000"
    last = ""
    while True:  # keyset pages, so the caller may write predictions between pages
        params: list[Any] = [last] + ([model_id] if "AND NOT EXISTS" in base else [])
        page = con.execute(base, params).fetchall()
        if not page:
            break
        for values in page:
            row = dict(zip(pick, values))
            yield {"id": str(row["id"]), "text": row.get("text") or "", **{k: row.get(k) for k in INPUT_FIELDS[2:]}}
        last = str(page[-1][pick.index("id")])
