"""Inputs and outputs of a Ray classification run: input shards, the partitioned Parquet output, its summary.

Input is a file or a directory (searched recursively) of JSON Lines (``.jsonl``, ``.ndjson``, ``.json``,
``.jsonl.gz``) and/or Parquet shards, on a local path or an object-store URL that pyarrow opens
(``s3://``, ``gs://``, ``hdfs://``). Files whose name starts with ``.`` or ``_`` are ignored.

Output is a directory of Parquet files in Hive layout, partitioned by month of the document's ``date``
(``month=2024-05/``) or by day (``day=2024-05-01/``). Documents without a date go to pyarrow's null
partition ``month=__HIVE_DEFAULT_PARTITION__/``, which DuckDB's ``read_parquet(..., hive_partitioning =
true)`` reads back as NULL. Every file carries all the classifier output columns of CONTRACTS.md with the
same types as ``stigmascope classify --out PRED.parquet`` (``scores`` a ``map<string, double>``,
``evidence`` a JSON string); the partition column is extra.

Example:
    >>> Partitioning("month").key("2024-05-01")
    '2024-05'
    >>> Partitioning("day").key(None) is None
    True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from stigmascope.errors import InputError

__all__ = [
    "MANIFEST",
    "InputShards",
    "Partitioning",
    "check_output_dir",
    "find_shards",
    "open_filesystem",
    "prediction_schema",
    "rows_to_table",
    "summarise_output",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet",)
#: written last into the output directory; pyarrow and DuckDB globs on ``*.parquet`` skip it
MANIFEST = "_stigmascope_run.json"


class Partitioning(str, Enum):
    """How the output directory is partitioned (Hive style, derived from the ``date`` column)."""

    month = "month"
    day = "day"

    def key(self, date: str | None) -> str | None:
        """Partition value of an output row's ``date`` (``YYYY-MM-DD`` or None)."""
        if not date:
            return None
        return date[:7] if self is Partitioning.month else date[:10]


@dataclass
class InputShards:
    """Input files grouped by format.

    Attributes:
        jsonl: JSON Lines files (paths as the filesystem names them).
        parquet: Parquet files.
        filesystem: the pyarrow filesystem they are on.
    """

    jsonl: list[str] = field(default_factory=list)
    parquet: list[str] = field(default_factory=list)
    filesystem: Any = None

    @property
    def count(self) -> int:
        return len(self.jsonl) + len(self.parquet)


def open_filesystem(location: str) -> tuple[Any, str]:
    """``(pyarrow filesystem, path on it)`` for a local path or a URL pyarrow understands."""
    import pyarrow.fs as pafs

    if "://" in location:
        try:
            return pafs.FileSystem.from_uri(location)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid/OSError for unknown schemes
            raise InputError(f"cannot open {location!r} ({str(exc).splitlines()[0]}); use a local path or a URL "
                             "pyarrow supports (s3://, gs://, hdfs://) with its credentials set", path=location) from None
    import os

    return pafs.LocalFileSystem(), os.path.abspath(location)


def _kind(name: str) -> str | None:
    low = name.lower()
    if low.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def find_shards(location: str) -> InputShards:
    """The input shards of a file or a directory (recursive), by format.

    Raises:
        InputError: missing path, an unsupported file given directly, or a directory without shards.
    """
    import pyarrow.fs as pafs

    fs, path = open_filesystem(str(location))
    info = fs.get_file_info(path)
    shards = InputShards(filesystem=fs)
    if info.type == pafs.FileType.NotFound:
        raise InputError("input not found", path=str(location))
    if info.type == pafs.FileType.File:
        kind = _kind(info.base_name)
        if kind is None:
            raise InputError("the ray engine reads JSON Lines (.jsonl, .jsonl.gz) or Parquet shards; convert this "
                             "file, or classify it locally without --engine ray", path=str(location))
        getattr(shards, kind).append(path)
        return shards
    skipped: list[str] = []
    for f in sorted(fs.get_file_info(pafs.FileSelector(path, recursive=True)), key=lambda f: f.path):
        if f.type != pafs.FileType.File or any(p.startswith((".", "_")) for p in f.path[len(path):].split("/") if p):
            continue
        kind = _kind(f.base_name)
        if kind is None:
            skipped.append(f.base_name)
        else:
            getattr(shards, kind).append(f.path)
    if not shards.count:
        hint = f" (found only {', '.join(skipped[:5])})" if skipped else ""
        raise InputError(f"no .jsonl or .parquet shards in this directory{hint}", path=str(location))
    return shards


def prediction_schema(facets: list[tuple[str, str]], partitioning: Partitioning | None = None) -> Any:
    """The output schema: the columns of ``classify --out PRED.parquet`` (+ the partition column).

    Args:
        facets: ``(output_key, kind)`` per facet, in layout order.
        partitioning: adds a string column named after it.
    """
    import pyarrow as pa

    fields = [pa.field("id", pa.string()), pa.field("date", pa.string()), pa.field("city", pa.string()),
              pa.field("city_source", pa.string())]
    for key, kind in facets:
        fields.append(pa.field(key, pa.bool_() if kind == "binary" else
                               pa.list_(pa.string()) if kind == "multi_label" else pa.string()))
    fields += [pa.field("scores", pa.map_(pa.string(), pa.float64())), pa.field("evidence", pa.string()),
               pa.field("skip_reason", pa.string())]
    if partitioning is not None:
        fields.append(pa.field(partitioning.value, pa.string()))
    return pa.schema(fields)


def rows_to_table(rows: Iterable[Mapping[str, Any]], facets: list[tuple[str, str]],
                  partitioning: Partitioning | None = None) -> Any:
    """Output rows (``models.infer.output_row``) as a pyarrow table of :func:`prediction_schema`."""
    import pyarrow as pa

    schema = prediction_schema(facets, partitioning)
    names = schema.names
    cols: dict[str, list[Any]] = {n: [] for n in names}
    for r in rows:
        for n in names:
            if partitioning is not None and n == partitioning.value:
                cols[n].append(partitioning.key(r.get("date")))
            elif n == "scores":
                cols[n].append(list((r.get("scores") or {}).items()))
            elif n == "evidence":
                cols[n].append(json.dumps(r.get("evidence") or {}, ensure_ascii=False))
            else:
                cols[n].append(r.get(n))
    return pa.table(cols, schema=schema)


def check_output_dir(location: str) -> tuple[Any, str]:
    """Make sure the output directory is absent or empty (so every document is written exactly once).

    Returns:
        ``(filesystem, path)``.

    Raises:
        InputError: the output exists and is a file or a non-empty directory.
    """
    import pyarrow.fs as pafs

    fs, path = open_filesystem(str(location))
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        raise InputError("--out must be a directory for the ray engine (Parquet partitioned by date)", path=str(location))
    if info.type == pafs.FileType.Directory and fs.get_file_info(pafs.FileSelector(path, recursive=False)):
        raise InputError("output directory is not empty; a second run into it would duplicate documents — choose "
                         "a new --out or delete it", path=str(location))
    return fs, path


def summarise_output(fs: Any, path: str, *, gate: str | None) -> dict[str, Any]:
    """Count what a run wrote by reading back two columns of its Parquet files.

    Args:
        gate: the gate facet's output key (``relevant``), or None.

    Returns:
        ``{"rows", "relevant", "skipped", "empty", "files", "partitions"}``.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    from models.cascade import EMPTY_REASON, SKIP_REASON

    dset = pads.dataset(path, filesystem=fs, format="parquet", partitioning="hive")
    cols = ["skip_reason"] + ([gate] if gate else [])
    counts = {"rows": 0, "relevant": 0, "skipped": 0, "empty": 0}
    for batch in dset.to_batches(columns=cols):
        counts["rows"] += batch.num_rows
        reason = batch.column("skip_reason")
        counts["skipped"] += int(pc.sum(pc.equal(reason, SKIP_REASON)).as_py() or 0)
        counts["empty"] += int(pc.sum(pc.equal(reason, EMPTY_REASON)).as_py() or 0)
        if gate:
            counts["relevant"] += int(pc.sum(batch.column(gate)).as_py() or 0)
    files = list(dset.files)
    parent = {f.rsplit("/", 2)[-2] for f in files}
    return {**counts, "files": len(files), "partitions": len(parent)}
