"""The corpus store: one DuckDB file holding documents, rejected records, ingestion runs and predictions.

The four public tables follow ``stigmascope/CONTRACTS.md`` exactly. Three internal tables serve
ingestion and are free to change:

- ``ingested_records`` — one row per input record that was stored or folded into a document
  (``kind``: ``stored|exact|near``), keyed by ``record_key``; re-ingesting a file skips keys seen here,
  so it adds nothing and does not inflate ``dup_count``. Folded copies keep their file, line and date.
  Lookups join on 64-bit hashes of the key (``key64``) and of the normalised text (``hash64``).
- ``minhash_signatures`` / ``minhash_bands`` — near-duplicate state (MinHash signatures with the numbers
  the text states, and their LSH band buckets) so later runs find near-duplicates of earlier documents.
- ``store_info`` — schema version and the MinHash parameters the signatures were made with.

Every batch of an ingestion is written in one transaction (:meth:`CorpusStore.write_batch`), so a
killed process leaves the store as of the last committed batch.

Example:
    >>> from corpora.store import open_store
    >>> with open_store("/tmp/corpus.duckdb") as store:          # doctest: +SKIP
    ...     store.con.execute("SELECT count(*) FROM documents").fetchone()
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from stigmascope.errors import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__all__ = ["DEFAULT_DB", "DOC_COLUMNS", "BatchWrite", "CorpusStore", "open_store"]

DEFAULT_DB = "stigmascope.duckdb"
SCHEMA_VERSION = "1"
CHECKPOINT_THRESHOLD = "256MB"

DOC_COLUMNS = ("id", "text", "raw_text", "quoted_text", "date", "datetime", "city", "province", "city_source",
               "source", "outlet", "script", "content_hash", "dup_of", "dup_count", "meta", "run_id",
               "ingested_at")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS documents(id VARCHAR PRIMARY KEY, text VARCHAR, raw_text VARCHAR,
        quoted_text VARCHAR, date DATE, datetime TIMESTAMP, city VARCHAR, province VARCHAR, city_source VARCHAR,
        source VARCHAR, outlet VARCHAR, script VARCHAR, content_hash VARCHAR, dup_of VARCHAR, dup_count INTEGER,
        meta JSON, run_id VARCHAR, ingested_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS rejected(run_id VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, reason VARCHAR, raw VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs(run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
        status VARCHAR, files JSON, counts JSON)""",
    """CREATE TABLE IF NOT EXISTS predictions(doc_id VARCHAR, model VARCHAR, run_id VARCHAR, relevant BOOLEAN,
        skip_reason VARCHAR, labels VARCHAR[], scores MAP(VARCHAR, DOUBLE), evidence JSON, created_at TIMESTAMP,
        PRIMARY KEY (doc_id, model))""",
    """CREATE TABLE IF NOT EXISTS ingested_records(record_key VARCHAR, key64 UBIGINT, doc_id VARCHAR,
        hash64 UBIGINT, kind VARCHAR, similarity DOUBLE, file VARCHAR, line BIGINT, date DATE, run_id VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS minhash_signatures(doc_id VARCHAR, sig BLOB, numbers VARCHAR)",
    "CREATE TABLE IF NOT EXISTS minhash_bands(band UTINYINT, bucket UBIGINT, doc_id VARCHAR)",
    "CREATE TABLE IF NOT EXISTS store_info(key VARCHAR PRIMARY KEY, value VARCHAR)",
)


@dataclass
class BatchWrite:
    """Everything one ingestion batch writes, applied in one transaction.

    ``documents`` maps each of :data:`DOC_COLUMNS` to a list (one entry per new document);
    ``dup_increments`` maps existing document ids to how many copies this batch folded into them.
    """

    documents: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in DOC_COLUMNS})
    dup_increments: dict[str, int] = field(default_factory=dict)
    # ingested_records rows: (record_key, doc_id, content_hash, kind, similarity, file, line, date, run_id)
    ingested: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: list[tuple[Any, ...]] = field(default_factory=list)  # (run_id, file, line, field, reason, raw)
    signatures: list[tuple[str, bytes, str]] = field(default_factory=list)  # (doc_id, signature, numbers)
    bands: tuple[Any, Any, list[str]] | None = None  # (band uint8 array, bucket uint64 array, doc ids)
    clear_rejected_files: list[str] = field(default_factory=list)

    @property
    def n_documents(self) -> int:
        return len(self.documents["id"])


class CorpusStore:
    """An open corpus store (a DuckDB connection with the schema in place)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    # -- store_info ------------------------------------------------------------------------------
    def info(self, key: str) -> str | None:
        """A value from ``store_info``, or None."""
        row = self.con.execute("SELECT value FROM store_info WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_info(self, key: str, value: str) -> None:
        """Set a ``store_info`` value."""
        self.con.execute("INSERT OR REPLACE INTO store_info VALUES (?, ?)", [key, value])

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, run_id: str, files: list[dict[str, Any]]) -> None:
        """Record a new run as ``running``; runs left ``running`` by a killed process become ``interrupted``."""
        self.con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        self.con.execute("INSERT INTO runs VALUES (?, now()::TIMESTAMP, NULL, 'running', ?, NULL)",
                         [run_id, json.dumps(files, ensure_ascii=False)])

    def finish_run(self, run_id: str, status: str, files: list[dict[str, Any]], counts: dict[str, Any]) -> None:
        """Close a run with its final status, per-file details and counts."""
        self.con.execute("UPDATE runs SET finished_at = now()::TIMESTAMP, status = ?, files = ?, counts = ? "
                         "WHERE run_id = ?", [status, json.dumps(files, ensure_ascii=False),
                                              json.dumps(counts, ensure_ascii=False), run_id])

    # -- batches ---------------------------------------------------------------------------------
    def write_batch(self, batch: BatchWrite) -> None:
        """Apply one batch in a single transaction (all or nothing)."""
        import pyarrow as pa

        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for file in batch.clear_rejected_files:
                con.execute("DELETE FROM rejected WHERE file = ?", [file])
            if batch.n_documents:
                docs = batch.documents
                table = pa.table({
                    **{c: pa.array(docs[c], pa.string()) for c in ("id", "text", "raw_text", "quoted_text",
                                                                   "city", "province", "city_source", "source",
                                                                   "outlet", "script", "content_hash", "dup_of",
                                                                   "meta", "run_id")},
                    "date": pa.array(docs["date"], pa.date32()),
                    "datetime": pa.array(docs["datetime"], pa.timestamp("us")),
                    "dup_count": pa.array(docs["dup_count"], pa.int32()),
                    "ingested_at": pa.array(docs["ingested_at"], pa.timestamp("us")),
                })
                con.register("_b_docs", table)
                con.execute(f"INSERT INTO documents ({', '.join(DOC_COLUMNS)}) SELECT "
                            + ", ".join("meta::JSON" if c == "meta" else c for c in DOC_COLUMNS) + " FROM _b_docs")
                con.unregister("_b_docs")
            if batch.dup_increments:
                inc = pa.table({"id": list(batch.dup_increments), "n": list(batch.dup_increments.values())})
                con.register("_b_inc", inc)
                con.execute("UPDATE documents SET dup_count = documents.dup_count + _b_inc.n FROM _b_inc "
                            "WHERE documents.id = _b_inc.id")
                con.unregister("_b_inc")
            if batch.ingested:
                from corpora.dedup import hash64, key64

                cols = list(zip(*batch.ingested))
                rec = pa.table({
                    "record_key": pa.array(cols[0], pa.string()),
                    "key64": pa.array([key64(k) for k in cols[0]], pa.uint64()),
                    "doc_id": pa.array(cols[1], pa.string()),
                    "hash64": pa.array([hash64(h) for h in cols[2]], pa.uint64()), "kind": pa.array(cols[3], pa.string()),
                    "similarity": pa.array(cols[4], pa.float64()), "file": pa.array(cols[5], pa.string()),
                    "line": pa.array(cols[6], pa.int64()), "date": pa.array(cols[7], pa.date32()),
                    "run_id": pa.array(cols[8], pa.string())})
                con.register("_b_rec", rec)
                con.execute("INSERT INTO ingested_records SELECT * FROM _b_rec")
                con.unregister("_b_rec")
            if batch.rejected:
                cols = list(zip(*batch.rejected))
                rej = pa.table({"run_id": pa.array(cols[0], pa.string()), "file": pa.array(cols[1], pa.string()),
                                "line": pa.array(cols[2], pa.int64()), "field": pa.array(cols[3], pa.string()),
                                "reason": pa.array(cols[4], pa.string()), "raw": pa.array(cols[5], pa.string())})
                con.register("_b_rej", rej)
                con.execute("INSERT INTO rejected SELECT * FROM _b_rej")
                con.unregister("_b_rej")
            if batch.signatures:
                ids, sigs, numbers = zip(*batch.signatures)
                con.register("_b_sig", pa.table({"doc_id": pa.array(ids, pa.string()),
                                                 "sig": pa.array(sigs, pa.binary()),
                                                 "numbers": pa.array(numbers, pa.string())}))
                con.execute("INSERT INTO minhash_signatures SELECT * FROM _b_sig")
                con.unregister("_b_sig")
            if batch.bands is not None and len(batch.bands[2]):
                band, bucket, ids = batch.bands
                con.register("_b_band", pa.table({"band": pa.array(band, pa.uint8()),
                                                  "bucket": pa.array(bucket, pa.uint64()),
                                                  "doc_id": pa.array(ids, pa.string())}))
                con.execute("INSERT INTO minhash_bands SELECT * FROM _b_band")
                con.unregister("_b_band")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def open_store(path: str | Path = DEFAULT_DB, *, read_only: bool = False, memory_limit: str | None = None) -> CorpusStore:
    """Open (and create, unless ``read_only``) the corpus store.

    Args:
        path: the DuckDB file (default ``./stigmascope.duckdb``).
        read_only: open without write access; the file must exist.
        memory_limit: DuckDB memory limit such as ``"2GB"`` (None: DuckDB's default, 80% of RAM).

    Returns:
        A :class:`CorpusStore`; close it (or use ``with``).

    Raises:
        InputError: a read-only open of a missing file, or a file that is not a DuckDB database or is
            locked by another process.
    """
    import duckdb

    p = Path(path)
    if read_only and not p.exists():
        raise InputError("no corpus store here; run `stigmascope ingest PATH --db FILE` first", path=str(p))
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(p), read_only=read_only)
    except duckdb.IOException as exc:
        raise InputError(f"cannot open the corpus store ({str(exc).splitlines()[0]}); is another stigmascope "
                         "process using it, or is it not a DuckDB file?", path=str(p)) from exc
    if memory_limit:
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        except duckdb.Error as exc:
            con.close()
            raise ConfigError(f"memory_limit {memory_limit!r}: {str(exc).splitlines()[0]} (use e.g. '2GB')") from exc
    if not read_only:
        # Checkpoint (rewrite the file from the write-ahead log) every 256 MB of log instead of DuckDB's
        # 16 MB default: frequent checkpoints of a growing table made commits 3-4x slower when ingesting.
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        for stmt in _SCHEMA:
            con.execute(stmt)
        row = con.execute("SELECT value FROM store_info WHERE key = 'schema_version'").fetchone()
        if row is None:
            con.execute("INSERT INTO store_info VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    else:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "documents" not in tables:
            con.close()
            raise InputError("not a stigmascope corpus store (no documents table)", path=str(p))
    return CorpusStore(con, p, read_only=read_only)
