"""The Ray actor of a classification run: loads the model once, classifies batches with the local engine.

Each actor builds the same :class:`models.infer.Engine` as ``stigmascope classify`` (same loader, cascade,
batching and output rows) and turns each Ray Data batch of input records into a pyarrow table of output
rows (:func:`models.ray_io.rows_to_table`). The model comes either from a path every node can read
(shared storage) or from the object store (shipped by the driver, written once per node to a local cache).

Fault injection: when the environment variable :data:`CRASH_ENV` names a file that does not exist yet,
the first actor to receive a batch creates it and kills its own process with SIGKILL — a real worker
death, which Ray recovers from by restarting the actor and retrying its batch. Tests use it; you can use
it to check recovery on your own cluster.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from models.ray_io import Partitioning

__all__ = ["CRASH_ENV", "MODEL_CACHE_ENV", "ClassifyActor", "materialise_model", "pack_model_dir"]

CRASH_ENV = "STIGMASCOPE_RAY_CRASH_ONCE"
#: where a node keeps models shipped through the object store (default ``<tmp>/stigmascope-ray-models``)
MODEL_CACHE_ENV = "STIGMASCOPE_RAY_MODEL_CACHE"


def pack_model_dir(path: Path) -> dict[str, bytes]:
    """Every file of a model directory (relative path → bytes), to ship through the object store."""
    files: dict[str, bytes] = {}
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path)
        if f.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = f.read_bytes()
    return files


def materialise_model(files: dict[str, bytes], model_id: str, root: Path | None = None) -> Path:
    """Write a shipped model directory once per node (under a lock) and return its path.

    Args:
        files: from :func:`pack_model_dir`.
        model_id: names the cached copy (``<root>/<model_id>``).
        root: cache folder (default: ``$STIGMASCOPE_RAY_MODEL_CACHE`` or ``<tmp>/stigmascope-ray-models``).
    """
    import fcntl
    import hashlib
    import shutil
    import tempfile

    digest = hashlib.sha1(b"".join(k.encode() + hashlib.sha1(v).digest() for k, v in sorted(files.items())))
    base = root or Path(os.environ.get(MODEL_CACHE_ENV) or Path(tempfile.gettempdir()) / "stigmascope-ray-models")
    base.mkdir(parents=True, exist_ok=True)
    target = base / f"{model_id}-{digest.hexdigest()[:10]}"
    with (base / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several actors on one node: one writes, the others wait
        if (target / "config.json").exists():
            return target
        staging = base / f".{target.name}.staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        for rel, data in files.items():
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        staging.rename(target)
    return target


class ClassifyActor:
    """Ray Data callable class: one loaded engine per actor, ``__call__`` maps a batch to output rows.

    Args:
        model: the model directory as every worker sees it, or ``None`` with ``shipped``.
        shipped: ``[ObjectRef]`` of :func:`pack_model_dir` output (in a list so Ray does not resolve it on
            construction), with ``model_id``.
        model_id: the model's id (names the shipped copy).
        taxonomy: a taxonomy file the model must match.
        infer: keyword arguments of :class:`models.infer.InferConfig`.
        input_kind: ``"jsonl"`` (batches of ``text`` = one JSON line, ``path``) or ``"parquet"`` (batches of
            input columns and ``path``).
        partitioning: the partition column to add (``month``/``day``).
    """

    def __init__(self, *, model: str | None, shipped: list[Any] | None, model_id: str, taxonomy: str | None,
                 infer: dict[str, Any], input_kind: str, partitioning: str) -> None:
        import fcntl

        from models.infer import Engine, InferConfig
        from stigmascope.paths import home

        if shipped:
            import ray

            path = materialise_model(ray.get(shipped[0]), model_id)
        else:
            path = Path(str(model))
        # one load at a time per node: the first exports the ONNX encoder into the shared cache, the rest reuse it
        with (home() / f".ray-load-{model_id}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.engine = Engine.load(path, InferConfig(**infer), taxonomy=taxonomy)
        self.facets = [(h.facet.output_key, h.facet.kind.value) for h in self.engine.model.layout.heads]
        self.input_kind, self.partitioning = input_kind, Partitioning(partitioning)

    def _documents(self, batch: Any) -> list[dict[str, Any]]:
        from models.docsio import _record

        docs: list[dict[str, Any]] = []
        paths = batch.column("path").to_pylist()
        if self.input_kind == "jsonl":
            for raw, where in zip(batch.column("text").to_pylist(), paths):
                line = raw.lstrip("\ufeff")
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    from stigmascope.errors import InputError

                    raise InputError(f"not valid JSON ({exc.msg}) in line starting {line[:40]!r}; each line must be "
                                     "one JSON object", path=where) from None
                if not isinstance(row, dict):
                    from stigmascope.errors import InputError

                    raise InputError(f"expected a JSON object per line, got {line[:40]!r}", path=where)
                docs.append(_record(row, Path(where), None))
        else:
            cols = [c for c in batch.column_names if c != "path"]
            for row, where in zip(batch.select(cols).to_pylist(), paths):
                docs.append(_record(row, Path(where), None))
        return docs

    def __call__(self, batch: Any) -> Any:
        """Classify one batch (a pyarrow table) into a table of output rows (same row count, minus blank lines)."""
        from models.ray_io import rows_to_table

        _maybe_crash()
        rows = list(self.engine.classify(self._documents(batch)))
        return rows_to_table(rows, self.facets, self.partitioning)


def _maybe_crash() -> None:
    marker = os.environ.get(CRASH_ENV)
    if not marker:
        return
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # exactly one actor wins
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
