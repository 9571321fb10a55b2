"""Classify a corpus on a Ray cluster (``stigmascope classify INPUT --out DIR --engine ray``).

The same model and the same output as local ``classify``, spread over Ray Data: input shards are read by
Ray tasks, a fixed pool of actors (:class:`models.ray_worker.ClassifyActor`, one loaded
:class:`models.infer.Engine` each) classifies batches with the local cascade and batching, and Ray tasks
write Parquet partitioned by month (or day) of the document date (:mod:`models.ray_io`). A worker that dies
is restarted and its batch retried (``max_restarts``/``max_task_retries``); the output directory must be
empty at the start, so every input document appears exactly once in it. ``models/RAY.md`` explains running
on a real cluster.

Example:
    >>> from models.ray_engine import classify_with_ray                  # doctest: +SKIP
    >>> s = classify_with_ray("shards/", "pred/", model="my-model", workers=2)
    >>> s.rows, s.relevant_share, s.rows_per_s_per_worker
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.ray_io import MANIFEST, Partitioning
from stigmascope.errors import ConfigError, InputError, StigmascopeError

__all__ = ["RaySummary", "classify_with_ray", "ray_session"]

#: rows buffered before a write task writes a file (per partition); fewer, larger files
MIN_ROWS_PER_FILE = 50_000
#: CPUs of one read or write task (light next to the encoder)
IO_CPUS = 0.5


@dataclass
class RaySummary:
    """What a Ray classification run did.

    Attributes:
        rows: documents written (read back from the output); relevant/skipped/empty: as in local runs.
        relevant_share: relevant / rows.
        seconds: wall time of the pipeline (reading, actor start-up and model loading, classifying, writing).
        startup_seconds: connecting to or starting Ray.
        rows_per_s: rows / seconds; rows_per_s_per_worker: that divided by ``workers``.
        busy_seconds, cpu_seconds: wall and CPU time the actors spent classifying, summed over actors
            (Ray Data's stats; 0 when unavailable) — without start-up, model loading and idle waits.
        rows_per_busy_worker_s: rows / busy_seconds, the steady rate of one worker (None without stats);
        rows_per_cpu_s: rows / cpu_seconds.
        workers: actors; cpus_per_worker: CPUs (and threads) per actor.
        model_id, backend: the model and inference backend.
        out: the output directory; files, partitions: what was written; partitioning: ``month``/``day``.
        address: the cluster joined, or ``"local"``; input_files: shards read.
    """

    rows: int
    relevant: int
    skipped: int
    empty: int
    relevant_share: float
    seconds: float
    startup_seconds: float
    rows_per_s: float
    rows_per_s_per_worker: float
    rows_per_busy_worker_s: float | None
    rows_per_cpu_s: float | None
    busy_seconds: float
    cpu_seconds: float
    workers: int
    cpus_per_worker: float
    model_id: str
    backend: str
    out: str
    files: int
    partitions: int
    partitioning: str
    address: str
    input_files: int
    run_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError("the ray engine needs Ray Data: pip install 'stigmascope[ray]' (or run without "
                          "--engine ray)") from None
    return ray


def _forwarded_env(local: bool) -> dict[str, str]:
    """``STIGMASCOPE_*`` settings the workers need (the cache folder only for a local instance)."""
    return {k: v for k, v in os.environ.items()
            if k.startswith("STIGMASCOPE_") and (local or k != "STIGMASCOPE_HOME")}


@contextlib.contextmanager
def ray_session(address: str | None, *, num_cpus: int, object_store_mb: int = 2048) -> Iterator[str]:
    """Join a cluster (``address``), reuse an initialised Ray, or start a local instance for the block.

    A local instance listens on 127.0.0.1 only, has no dashboard, keeps its logs in a temporary folder
    and is shut down (all its processes gone) when the block ends.

    Args:
        address: ``ray://host:10001``, ``host:6379``, ``auto``, or None for a local instance.
        num_cpus: logical CPUs of a local instance.
        object_store_mb: object store size of a local instance.

    Yields:
        ``"local"`` or the address joined.
    """
    ray = _require_ray()
    if ray.is_initialized():  # a caller (a notebook, a test) already connected: use it, leave it running
        yield address or "existing"
        return
    common = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None:
        temp = tempfile.mkdtemp(prefix="stigmascope-ray-")
        ray.init(num_cpus=num_cpus, include_dashboard=False, _temp_dir=temp, _node_ip_address="127.0.0.1",
                 object_store_memory=object_store_mb * 1024 * 1024,
                 runtime_env={"env_vars": _forwarded_env(local=True)}, **common)
        where = "local"
    else:
        try:
            ray.init(address=address, runtime_env={"env_vars": _forwarded_env(local=False)}, **common)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot join the Ray cluster at {address!r} ({str(exc).splitlines()[0]}); check "
                              "the address (`ray status` on the head node) and RAY_AUTH_TOKEN if token auth is "
                              "on") from None
        where, temp = address, None
    try:
        yield where
    finally:
        ray.shutdown()
        if temp is not None:
            import shutil

            for _ in range(10):  # Ray's log monitor may still be writing for a moment after shutdown
                shutil.rmtree(temp, ignore_errors=True)
                if not os.path.exists(temp):
                    break
                time.sleep(0.3)


@contextlib.contextmanager
def _data_context(progress: bool) -> Iterator[Any]:
    """Ray Data settings for this run (progress bars, log noise), restored afterwards."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    saved = {k: getattr(ctx, k) for k in ("enable_progress_bars", "print_on_execution_start", "verbose_stats_logs")}
    ctx.enable_progress_bars = progress
    ctx.print_on_execution_start = False
    ctx.verbose_stats_logs = False
    data_log = logging.getLogger("ray.data")
    level = data_log.level
    if not progress:  # quiet runs (tests, libraries): Ray Data's notes and worker tracebacks stay in its log files
        data_log.setLevel(logging.CRITICAL)
    try:
        yield ctx
    finally:
        for k, v in saved.items():
            setattr(ctx, k, v)
        data_log.setLevel(level)


def _user_error(exc: BaseException) -> StigmascopeError | None:
    """The :class:`StigmascopeError` a worker raised, recovered from Ray's wrappers (or None).

    Ray Data wraps an exception raised in an actor in ``UserCodeException`` and keeps the original only as
    traceback text, so the error is rebuilt from its last ``stigmascope.errors.<Class>: message`` line.
    """
    import re

    from stigmascope import errors

    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, StigmascopeError):
            return e
        stack += [getattr(e, "cause", None), e.__cause__]
    found = re.findall(r"stigmascope\.errors\.(\w+): (.+)", str(exc))
    if found:
        name, message = found[-1]
        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, StigmascopeError):
            return cls(message.strip())
    return None


def _parquet_columns(shards: Any) -> list[str]:
    import pyarrow.parquet as pq

    from models.docsio import INPUT_FIELDS

    first = shards.parquet[0]
    try:
        names = pq.read_schema(first, filesystem=shards.filesystem).names
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise InputError(f"cannot read Parquet ({str(exc).splitlines()[0]})", path=first) from None
    for need in ("id", "text"):
        if need not in names:
            raise InputError(f"no {need!r} column (columns found: {names[:12]}); the input needs 'id' and 'text' "
                             "columns (and optionally date, city, source) — rename yours", path=first, field=need)
    return [c for c in INPUT_FIELDS if c in names]


def classify_with_ray(input_path: str | Path, out_dir: str | Path, *, model: str | Path | None = None,
                      taxonomy: str | Path | None = None, address: str | None = None, workers: int = 2,
                      batch_size: int = 256, evidence: bool = False, progress: bool = True,
                      backend: str = "auto", cascade: bool = True, cpus_per_worker: float | None = None,
                      partitioning: str | Partitioning = Partitioning.month, ship_model: bool | None = None,
                      max_restarts: int = 4) -> RaySummary:
    """Classify JSON Lines/Parquet shards on Ray and write Parquet partitioned by date.

    Args:
        input_path: a ``.jsonl``/``.jsonl.gz``/``.parquet`` file or a directory of them (local, or a URL
            pyarrow opens — pass URLs as ``str``: ``Path`` folds ``s3://`` to ``s3:/``); records need ``id`` and ``text`` (optional ``date, city, city_source, source``).
        out_dir: output directory (absent or empty), local or a URL.
        model: model directory (default: the default model, trained from the bundled corpus on first use).
        taxonomy: a taxonomy file the model must match.
        address: a Ray cluster to join; None starts a local instance for this run.
        workers: actors, each with its own loaded model.
        batch_size: documents per actor call.
        evidence: evidence spans per predicted label (slower).
        progress: Ray Data progress bars and a closing line on stderr.
        backend, cascade: as for local ``classify`` (:class:`models.infer.InferConfig`).
        cpus_per_worker: CPUs and threads per actor (default: local — the cores divided among the workers;
            cluster — 1).
        partitioning: ``month`` (default) or ``day``.
        ship_model: send the model directory through the object store (default: when joining a cluster),
            so workers need no shared storage.
        max_restarts: restarts of a dead actor and retries of its batch before the run fails.

    Returns:
        :class:`RaySummary` (also written to ``out_dir/_stigmascope_run.json``).

    Raises:
        InputError: no shards, a bad record (file named), a non-empty output directory.
        ModelError: a missing or corrupt model directory.
        ConfigError: Ray not installed, bad options, a cluster that cannot be joined.
    """
    from models.backends import available_threads
    from models.infer import InferConfig
    from models.layout import LabelLayout
    from models.modeldir import validate_model_dir
    from models.progress import Reporter
    from models.ray_io import check_output_dir, find_shards, summarise_output

    if workers < 1 or batch_size < 1 or max_restarts < 0:
        raise ConfigError(f"workers and batch size must be >= 1 and max_restarts >= 0 (got {workers}, "
                          f"{batch_size}, {max_restarts})")
    try:
        part = Partitioning(partitioning)
    except ValueError:
        raise ConfigError(f"partitioning must be one of {[p.value for p in Partitioning]}, "
                          f"got {partitioning!r}") from None
    ray = _require_ray()
    rep = Reporter(progress)
    shards = find_shards(str(input_path))
    out_fs, out_path = check_output_dir(str(out_dir))
    parquet_cols = _parquet_columns(shards) if shards.parquet else []
    if model is None:
        from models.default_model import ensure_default_model

        model = ensure_default_model(taxonomy=taxonomy, progress=progress)
    model = Path(model).resolve()
    config, tax, _, _ = validate_model_dir(model)
    model_id = str(config["model_id"])
    layout = LabelLayout(tax)
    gate_key = layout.keys[layout.gate_column] if layout.gate_column is not None else None
    local = address is None and not ray.is_initialized()
    cores = available_threads()
    cpw = float(cpus_per_worker) if cpus_per_worker else float(max(1, cores // workers) if local else 1)
    # "auto" is resolved here, once: each worker would otherwise read its own CPU's flags, and a mixed
    # cluster would run different backends (bf16 on some nodes, fp32 on others)
    backend = _default_backend() if backend == "auto" else backend
    infer = asdict(InferConfig(backend=backend, cascade=cascade, evidence=evidence, threads=max(1, int(cpw))))
    run_id = f"classify-ray-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    with ray_session(address, num_cpus=int(workers * cpw + 1)) as where:
        startup = time.perf_counter() - t0
        total_cpus = float(ray.cluster_resources().get("CPU", 0))
        if workers * cpw > total_cpus - IO_CPUS:
            rep.note(f"warning: {workers} workers × {cpw:g} CPUs leave less than {IO_CPUS} of the cluster's "
                     f"{total_cpus:g} CPUs for reading and writing; the run stalls unless the cluster scales up")
        ship = ship_model if ship_model is not None else address is not None
        shipped = [ray.put(_pack(model))] if ship else None
        actor_args = {"model": None if ship else str(model), "shipped": shipped, "model_id": model_id,
                      "taxonomy": str(taxonomy) if taxonomy else None, "infer": infer, "partitioning": part.value}
        rep.note(f"classifying {shards.count} shard(s) on Ray ({where}) with {workers} worker(s) × {cpw:g} CPU, "
                 f"model {model_id}")
        t1 = time.perf_counter()
        busy = cpu = 0.0
        try:
            with _data_context(progress):
                for kind, paths in (("jsonl", shards.jsonl), ("parquet", shards.parquet)):
                    if paths:
                        b, c = _run(ray, kind, paths, shards.filesystem, parquet_cols, actor_args, workers=workers,
                                    cpw=cpw, batch_size=batch_size, max_restarts=max_restarts, out_fs=out_fs,
                                    out_path=out_path, part=part, env_vars=_forwarded_env(local))
                        busy, cpu = busy + b, cpu + c
        except Exception as exc:
            user = _user_error(exc)
            if user is not None:
                raise user from None
            raise
        seconds = time.perf_counter() - t1
    counts = summarise_output(out_fs, out_path, gate=gate_key) if _exists(out_fs, out_path) else \
        {"rows": 0, "relevant": 0, "skipped": 0, "empty": 0, "files": 0, "partitions": 0}
    rate = counts["rows"] / seconds if seconds > 0 else 0.0
    summary = RaySummary(
        rows=counts["rows"], relevant=counts["relevant"], skipped=counts["skipped"], empty=counts["empty"],
        relevant_share=round(counts["relevant"] / counts["rows"], 5) if counts["rows"] else 0.0,
        seconds=round(seconds, 2), startup_seconds=round(startup, 2), rows_per_s=round(rate, 1),
        rows_per_s_per_worker=round(rate / workers, 1),
        rows_per_busy_worker_s=round(counts["rows"] / busy, 1) if busy > 0 else None,
        rows_per_cpu_s=round(counts["rows"] / cpu, 1) if cpu > 0 else None,
        busy_seconds=round(busy, 2), cpu_seconds=round(cpu, 2), workers=workers, cpus_per_worker=cpw,
        model_id=model_id, backend=infer["backend"] if infer["backend"] != "auto" else _default_backend(), out=str(out_dir),
        files=counts["files"], partitions=counts["partitions"], partitioning=part.value, address=where,
        input_files=shards.count, run_id=run_id)
    _write_manifest(out_fs, out_path, summary, input_path)
    rep.note(f"{summary.rows} documents: {summary.relevant} relevant ({summary.relevant_share:.2%}), "
             f"{summary.skipped} skipped by the prefilter, {summary.empty} empty — {summary.rows_per_s} docs/s, "
             f"{summary.rows_per_s_per_worker} per worker ({summary.rows_per_busy_worker_s} while busy); "
             f"{summary.files} files in {summary.partitions} {part.value} partitions under {out_dir}")
    return summary


def _run(ray: Any, kind: str, paths: list[str], fs: Any, parquet_cols: list[str], actor_args: dict[str, Any], *,
         workers: int, cpw: float, batch_size: int, max_restarts: int, out_fs: Any, out_path: str,
         part: Partitioning, env_vars: dict[str, str]) -> tuple[float, float]:
    """One Ray Data pipeline: read shards of one format → actor pool → partitioned Parquet.

    Returns:
        ``(busy_s, cpu_s)``: wall and CPU seconds the actors spent in classification calls, summed over
        actors (from Ray Data's execution stats; zeros if they are unavailable).
    """
    import warnings

    from ray.util.annotations import RayDeprecationWarning

    from models.ray_worker import ClassifyActor

    if kind == "jsonl":
        ds = ray.data.read_text(paths, filesystem=fs, include_paths=True, num_cpus=IO_CPUS)
    else:
        ds = ray.data.read_parquet(paths, filesystem=fs, include_paths=True, partitioning=None, num_cpus=IO_CPUS)
        ds = ds.select_columns(parquet_cols + ["path"])
    common = {"batch_size": batch_size, "batch_format": "pyarrow", "zero_copy_batch": True,
              "compute": ray.data.ActorPoolStrategy(size=workers), "num_cpus": cpw,
              "fn_constructor_kwargs": {**actor_args, "input_kind": kind}, "runtime_env": {"env_vars": env_vars}}
    with warnings.catch_warnings():  # restart limits have no named parameter (Ray 2.60 deprecates the extra kwargs)
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*", category=RayDeprecationWarning)
        try:
            ds = ds.map_batches(ClassifyActor, max_restarts=max_restarts, max_task_retries=max_restarts, **common)
        except TypeError:  # a Ray without extra remote kwargs: its defaults (unlimited restarts) apply
            ds = ds.map_batches(ClassifyActor, **common)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*min_rows_per_file.*", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*minimum number of concurrent actors.*", category=UserWarning)
        ds.write_parquet(out_path, filesystem=out_fs, partition_cols=[part.value], min_rows_per_file=MIN_ROWS_PER_FILE,
                         ray_remote_args={"num_cpus": IO_CPUS})
    return _actor_seconds(ds)


def _actor_seconds(ds: Any) -> tuple[float, float]:
    """Summed wall and CPU time of the classify operator's tasks, from Ray Data's stats (a DeveloperAPI)."""
    try:
        stack = [ds.get_stats_summary()]
        while stack:
            summary = stack.pop()
            for op in summary.operators_stats:
                if "ClassifyActor" in op.operator_name and op.wall_time is not None:
                    return float(op.wall_time.sum), float(op.cpu_time.sum if op.cpu_time else 0.0)
            stack += list(summary.parents)
    except Exception as exc:  # noqa: BLE001 - the stats API changes between Ray versions; the figures are optional
        logging.getLogger(__name__).debug("no Ray Data stats: %s", exc)
    return 0.0, 0.0


def _pack(model: Path) -> dict[str, bytes]:
    from models.ray_worker import pack_model_dir

    return pack_model_dir(model)


def _exists(fs: Any, path: str) -> bool:
    import pyarrow.fs as pafs

    return fs.get_file_info(path).type == pafs.FileType.Directory


def _default_backend() -> str:
    from models.backends import default_backend

    return default_backend().value


def _write_manifest(fs: Any, path: str, summary: RaySummary, input_path: str | Path) -> None:
    if not _exists(fs, path):
        fs.create_dir(path)
    body = json.dumps({**summary.to_dict(), "input": str(input_path)}, ensure_ascii=False, indent=1)
    with fs.open_output_stream(f"{path.rstrip('/')}/{MANIFEST}") as fh:
        fh.write(body.encode("utf-8"))
