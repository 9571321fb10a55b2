"""Ingest files into the corpus store: read → map fields → normalise → date → city → dedup → store.

Each batch of records (``batch_size``) is processed stage by stage and written in one transaction, so
killing the process leaves a usable store and re-running the same command completes it (records already
ingested are recognised by their key and skipped). Bad records go to ``rejected`` with file, line,
field, reason and raw text; the rest of the file goes on.

Decisions (also in the README of the corpus stage):
- a record with **no date** (field absent or empty) is kept with a NULL date and counted as ``no_date``;
  a date that is present but unparseable is rejected (``bad_date``);
- a record whose text exceeds ``max_text_chars`` (200,000 characters, ~10× a long feature article) is
  rejected as ``text_too_long`` — such records are concatenated pages or scraper junk; raise the limit to
  keep them. A line longer than ``max_record_chars`` (16 Mi characters) is rejected unparsed;
- a pure repost (no words of its own, or only ``转发微博``, then ``//@user: …``) is stored as the post it spreads:
  the first speaker's words become ``text`` and the rest of the chain ``quoted_text`` (``meta.pure_repost``,
  ``meta.reposted_from``), so it folds into that post when the post is in the corpus; a ``转发微博`` with no
  chain is rejected as ``empty_text``;
- dates with a time zone (unix times, ``+0800``) are converted to China time (UTC+8), then made naive.

Example:
    >>> from corpora.ingest import ingest_paths
    >>> report = ingest_paths(["weibo.jsonl"], db="corpus.duckdb", field_map="city=user.location,text=text")  # doctest: +SKIP
    >>> report.stored, report.rejected_by_reason                                                           # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from corpora.batch import Pipeline, process_batch
from corpora.dedup import DedupConfig
from corpora.fields import FieldMap, auto_map, parse_map
from corpora.readers import InputFormat, Reason, Record, open_reader
from corpora.store import DEFAULT_DB, BatchWrite, open_store
from stigmascope.errors import InputError

__all__ = ["FileReport", "IngestConfig", "IngestReport", "expand_paths", "ingest_paths"]

_SUFFIXES = {".jsonl", ".ndjson", ".jsonlines", ".json", ".csv", ".tsv", ".tab", ".parquet", ".pq", ".txt"}


@dataclass
class IngestConfig:
    """Settings of the ingestion stage (load from TOML/YAML with ``stigmascope.config.load_config``).

    Attributes:
        batch_size: records per transaction (crash-safe unit; larger is faster, up to ~20k).
        max_text_chars: longer texts are rejected as ``text_too_long``.
        max_record_chars: longer lines/records are rejected unparsed as ``record_too_large``.
        raw_max_chars: how much of a rejected record's raw text is kept.
        auto_map_sample: records examined to guess the field mapping when ``--map`` is absent.
        min_year: dates before this year are rejected as implausible (``bad_date``).
        memory_limit: DuckDB's memory limit while ingesting (its index and unflushed data otherwise grow
            with the store; above the limit DuckDB spills to disk).
        dedup: near-duplicate settings (:class:`~corpora.dedup.DedupConfig`, a dict in config files).
    """

    batch_size: int = 10_000
    max_text_chars: int = 200_000
    max_record_chars: int = 16 * 1024 * 1024
    raw_max_chars: int = 2000
    auto_map_sample: int = 50
    min_year: int = 1949
    memory_limit: str = "2GB"
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def __post_init__(self) -> None:
        if isinstance(self.dedup, dict):
            from stigmascope.config import load_config

            self.dedup = load_config(DedupConfig, self.dedup)
        if not 1 <= self.batch_size <= 200_000:
            raise ValueError(f"batch_size must be 1..200000, got {self.batch_size}")
        for name in ("max_text_chars", "max_record_chars", "raw_max_chars", "auto_map_sample"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    format: str = ""
    encoding: str | None = None
    mapping: str = ""
    auto_mapped: bool = False
    records: int = 0
    stored: int = 0
    exact_dups: int = 0
    near_dups: int = 0
    already_ingested: int = 0
    no_date: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    """The result of :func:`ingest_paths` (totals are properties over ``files``)."""

    run_id: str
    db: str
    files: list[FileReport] = field(default_factory=list)
    cities: Counter[str] = field(default_factory=Counter)  # stored documents by city_source
    examples: dict[str, str] = field(default_factory=dict)  # first message per rejection reason
    stage_seconds: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    records = property(lambda self: self._sum("records"))
    stored = property(lambda self: self._sum("stored"))
    exact_dups = property(lambda self: self._sum("exact_dups"))
    near_dups = property(lambda self: self._sum("near_dups"))
    already_ingested = property(lambda self: self._sum("already_ingested"))
    no_date = property(lambda self: self._sum("no_date"))
    bytes = property(lambda self: self._sum("bytes"))

    @property
    def rejected_by_reason(self) -> Counter[str]:
        """Rejected records by reason, over all files."""
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.rejected)
        return total

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    @property
    def docs_per_s(self) -> float:
        return self.records / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.elapsed_s if self.elapsed_s else 0.0

    def counts(self) -> dict[str, Any]:
        """Totals as a JSON-able dict (what ``runs.counts`` holds)."""
        return {"records": self.records, "stored": self.stored, "exact_dups": self.exact_dups,
                "near_dups": self.near_dups, "already_ingested": self.already_ingested, "no_date": self.no_date,
                "rejected": dict(self.rejected_by_reason), "rejected_examples": dict(self.examples),
                "cities": dict(self.cities),
                "elapsed_s": round(self.elapsed_s, 3), "bytes": self.bytes}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-able."""
        return {"run_id": self.run_id, "db": self.db, **self.counts(), "files": [
            {**asdict(f), "rejected": dict(f.rejected)} for f in self.files],
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "docs_per_s": round(self.docs_per_s, 1), "mb_per_s": round(self.mb_per_s, 3)}


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files to ingest: each file as given, each directory's data files (recursively, sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith(".")
                           and _data_suffix(q) in _SUFFIXES)
            if not found:
                raise InputError("directory holds no .jsonl/.json/.csv/.tsv/.parquet files", path=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or directory", path=str(p))
    return out


def _data_suffix(path: Path) -> str:
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def file_fingerprint(path: Path) -> str:
    """Identity of a file's records: hash of its first 64 KiB (stable under renaming and appending)."""
    with open(path, "rb") as fh:
        return hashlib.blake2b(fh.read(65536), digest_size=8).hexdigest()


def ingest_paths(paths: Sequence[str | Path], *, db: str | Path = DEFAULT_DB, fmt: InputFormat | str = "auto",
                 field_map: str | FieldMap | None = None, crawl_time: datetime | None = None,
                 encoding: str = "auto", config: IngestConfig | None = None, progress: bool = False,
                 on_batch: Callable[[FileReport], None] | None = None) -> IngestReport:
    """Ingest files (or directories of files) into the corpus store.

    Args:
        paths: input files or directories.
        db: the DuckDB store (created if missing).
        fmt: an :class:`~corpora.readers.InputFormat` (``auto`` guesses per file).
        field_map: a ``--map`` spec or :class:`~corpora.fields.FieldMap`; None guesses per file.
        crawl_time: reference time for relative dates (``3小时前``, ``昨天 12:30``, ``5月1日``).
        encoding: ``auto`` or a codec name.
        config: stage settings (:class:`IngestConfig`).
        progress: show a rich progress bar on stderr.
        on_batch: called with the file's report after each committed batch.

    Returns:
        An :class:`IngestReport` (also written to the ``runs`` table).

    Raises:
        InputError: a missing path, an undecidable encoding or unreadable file (earlier files stay ingested).
    """
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    config = config or IngestConfig()
    files = expand_paths(paths)
    fmap = parse_map(field_map) if isinstance(field_map, str) else field_map
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id=run_id, db=str(db))
    started = time.perf_counter()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TextColumn("{task.fields[docs]:,} docs"), TimeRemainingColumn(), disable=not progress,
                   transient=False)
    with open_store(db, memory_limit=config.memory_limit) as store:
        store.start_run(run_id, [{"path": str(f)} for f in files])
        pipe = Pipeline(store, report, config, crawl_time)
        status = "failed"
        try:
            with bar:
                for path in files:
                    _ingest_file(pipe, path, fmt, fmap, encoding, bar, on_batch)
            status = "done"
        finally:
            report.elapsed_s = time.perf_counter() - started
            store.finish_run(run_id, status, [_file_summary(f) for f in report.files], report.counts())
    return report


def _file_summary(f: FileReport) -> dict[str, Any]:
    return {"path": f.path, "format": f.format, "encoding": f.encoding, "mapping": f.mapping,
            "auto_mapped": f.auto_mapped, "records": f.records, "stored": f.stored, "error": f.error}


def _ingest_file(pipe: Pipeline, path: Path, fmt: InputFormat | str, fmap: FieldMap | None, encoding: str,
                 bar: Any, on_batch: Callable[[FileReport], None] | None) -> None:
    from corpora.encoding import BinaryFileError

    cfg, report = pipe.config, pipe.report
    file = str(path.resolve())
    fr = FileReport(path=file)
    report.files.append(fr)
    try:
        reader = open_reader(path, fmt=fmt, encoding=encoding, max_record_chars=cfg.max_record_chars,
                             raw_max_chars=cfg.raw_max_chars)
    except BinaryFileError as exc:  # record it and go on with the other files
        fr.error = str(exc)
        fr.rejected[Reason.binary_file.value] += 1
        report.examples.setdefault(Reason.binary_file.value, str(exc))
        pipe.store.write_batch(BatchWrite(clear_rejected_files=[file], rejected=[
            (report.run_id, file, None, None, Reason.binary_file.value, str(exc))]))
        return
    except InputError as exc:
        fr.error = str(exc)
        raise
    fr.format, fr.encoding = reader.format.value, reader.encoding
    fingerprint = file_fingerprint(path)
    # a file never seen before needs no already-ingested lookup for its line-keyed records
    fresh = pipe.store.con.execute("SELECT count(*) = 0 FROM (SELECT 1 FROM ingested_records "
                                   "WHERE starts_with(record_key, ?) LIMIT 1)", [f"{fingerprint}:"]).fetchone()[0]
    task = bar.add_task(path.name, total=reader.size, docs=0)
    with reader:
        records = iter(reader)
        head: list[Record] = []
        mapping = fmap
        if mapping is None:
            for rec in records:
                head.append(rec)
                if sum(1 for r in head if r.data is not None) >= cfg.auto_map_sample:
                    break
            sample = [r.data for r in head if r.data is not None]
            mapping = auto_map(sample) if sample else None
        fr.mapping = mapping.describe() if mapping else "(no readable records)"
        fr.auto_mapped = fmap is None
        first = True
        batch: list[Record] = []

        def flush() -> None:
            nonlocal first
            process_batch(pipe, fr, batch, mapping, fingerprint, clear=first, fresh=fresh)
            first = False
            fr.bytes = reader.bytes_read
            bar.update(task, completed=fr.bytes, docs=fr.records)
            if on_batch is not None:
                on_batch(fr)

        busy_before = sum(report.stage_seconds.values())
        t0 = time.perf_counter()
        for rec in itertools.chain(head, records):
            batch.append(rec)
            if len(batch) >= cfg.batch_size:
                flush()
                batch = []
        if batch or first:
            flush()
        busy = sum(report.stage_seconds.values()) - busy_before
        report.stage_seconds["read"] += time.perf_counter() - t0 - busy
    fr.bytes = reader.size
    bar.update(task, completed=reader.size)
