"""What is evaluated: a gold set and one or more systems (a model directory or a predictions file).

Gold sets are named by a path or a shorthand: ``bundled-test`` / ``bundled-dev`` (splits of the
bundled annotated corpus) and ``real-dev`` (the real-text dev set, when ``../shared`` is present).
A system is a model directory (its predictions are made here, through the same inference engine as
``stigmascope classify``) or a predictions file written by ``classify --out``.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> gold = load_gold("bundled-test", load_taxonomy())            # doctest: +SKIP
    >>> sys = system_from_model(None, gold.docs)                     # doctest: +SKIP  (the default model)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from corpora.annotated import AnnotatedDoc
from models.taxonomy import Taxonomy
from stigmascope.errors import InputError

__all__ = [
    "SHORTHANDS",
    "GoldSet",
    "System",
    "add_evidence",
    "load_gold",
    "read_predictions",
    "system_from_model",
    "system_from_predictions",
]

SHORTHANDS = {"bundled-test": "test", "bundled-dev": "dev", "bundled-train": "train"}
REAL_DEV = "real-dev"


@dataclass
class GoldSet:
    """Gold documents and where they came from."""

    name: str
    path: str | None
    docs: list[AnnotatedDoc]


@dataclass
class System:
    """One system's predictions for the gold documents, with what is known about the model.

    Attributes:
        name: display name (model id, or the predictions file's stem).
        rows: prediction rows keyed by document id (CONTRACTS.md "Classifier output").
        source: ``"model"`` or ``"predictions"``.
        path: the model directory or predictions file.
        model_id, kind: from ``config.json`` (None for a predictions file).
        thresholds: per score key (None for a predictions file: ungated decisions then fall back to the rows).
        error_rates: the model's ``error_rates.json`` (None for a predictions file).
        settings: how the predictions were made (cascade, evidence, backend).
        engine: the inference engine that made them (None for a predictions file); used to compute
            evidence afterwards for the few documents the error analysis shows.
    """

    name: str
    rows: dict[str, dict[str, Any]]
    source: str
    path: str | None
    model_id: str | None = None
    kind: str | None = None
    thresholds: dict[str, float] | None = None
    error_rates: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    engine: Any = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (no rows)."""
        rates_on = sorted({str(v.get("measured_on")) for v in (self.error_rates or {}).values()
                           if isinstance(v, Mapping) and v.get("measured_on")})
        return {"name": self.name, "source": self.source, "path": self.path, "model_id": self.model_id,
                "kind": self.kind, "error_rates_measured_on": rates_on or None, **self.settings}


def load_gold(spec: str | Path, taxonomy: Taxonomy) -> GoldSet:
    """Load a gold set by path or shorthand (``bundled-test``, ``bundled-dev``, ``real-dev``).

    Raises:
        InputError: missing or malformed file (file, line, field named), or an empty set.
    """
    from corpora.annotated import default_corpus_path, read_gold

    s = str(spec)
    if s in SHORTHANDS:
        path = default_corpus_path()
        if not path.exists():
            raise InputError("the bundled annotated corpus is missing; build it with "
                             "`python -m corpora.annotated build`", path=str(path))
        docs = [d for d in read_gold(path, taxonomy) if d.split == SHORTHANDS[s]]
        name = s
    elif s == REAL_DEV:
        from evaluation.real_dev import load_real_dev

        rows = load_real_dev()
        docs = [AnnotatedDoc(id=r["id"], text=r["text"], date=r.get("date"), city=None,
                             source=str(r.get("source") or "unknown"), outlet=None,
                             labels=taxonomy.validate_labels(r["labels"], where=r["id"])) for r in rows]
        path, name = None, REAL_DEV
    else:
        path = Path(s)
        if not path.exists():
            raise InputError(f"gold file not found; give a JSON Lines file (id, text, labels) or one of "
                             f"{sorted([*SHORTHANDS, REAL_DEV])}", path=s)
        docs = list(read_gold(path, taxonomy))
        name = path.stem
    if not docs:
        where = "../shared/data/real is absent or the label file is missing" if s == REAL_DEV else "no documents"
        raise InputError(f"gold set {s!r} is empty ({where}); nothing to evaluate")
    return GoldSet(name=name, path=str(path) if path else None, docs=docs)


def read_predictions(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a ``classify --out`` file (``.jsonl`` or ``.parquet``) into rows keyed by id.

    Raises:
        InputError: missing file, bad JSON (line named), a row without ``id``, or a duplicate id.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("predictions file not found; write one with `stigmascope classify GOLD --out FILE`",
                         path=str(p))
    rows: dict[str, dict[str, Any]] = {}
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        for i, r in enumerate(pq.read_table(p).to_pylist(), 1):
            sc = r.get("scores")
            r["scores"] = dict(sc) if isinstance(sc, list) else (sc or {})
            ev = r.get("evidence")
            r["evidence"] = json.loads(ev) if isinstance(ev, str) and ev else (ev or {})
            _add_row(rows, r, p, i)
        return rows
    with p.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", path=str(p), line=lineno) from None
            if not isinstance(r, dict):
                raise InputError("expected a JSON object per line", path=str(p), line=lineno)
            _add_row(rows, r, p, lineno)
    return rows


def _add_row(rows: dict[str, dict[str, Any]], r: dict[str, Any], p: Path, line: int) -> None:
    if r.get("id") in (None, ""):
        raise InputError("prediction row has no id", path=str(p), line=line, field="id")
    key = str(r["id"])
    if key in rows:
        raise InputError(f"duplicate id {key!r}", path=str(p), line=line, field="id")
    rows[key] = r


def system_from_predictions(path: str | Path) -> System:
    """A system read from a predictions file (no thresholds or error rates known)."""
    p = Path(path)
    return System(name=p.stem, rows=read_predictions(p), source="predictions", path=str(p))


def system_from_model(model_dir: str | Path | None, docs: Sequence[AnnotatedDoc], *, taxonomy: str | Path | None = None,
                      cascade: bool = True, backend: str = "auto", progress: bool = True) -> System:
    """Classify the gold documents with a model directory (None: the default model) through the engine.

    Evidence is not computed here: :func:`add_evidence` adds it afterwards for the documents the error
    analysis lists (a few dozen instead of every relevant document).

    Args:
        model_dir: a model directory, or None for the default model (trained on first use).
        docs: the gold documents.
        taxonomy: a taxonomy file the model must match.
        cascade: run the prefilter as ``classify`` does (documents it skips count as "not relevant").
        backend: inference backend.

    Raises:
        ModelError: a missing or corrupt model directory.
    """
    from models.infer import Engine, InferConfig
    from models.progress import Reporter

    if model_dir is None:
        from models.default_model import ensure_default_model

        model_dir = ensure_default_model(taxonomy=taxonomy, progress=progress)
    engine = Engine.load(model_dir, InferConfig(backend=backend, cascade=cascade, evidence=False), taxonomy=taxonomy)
    rows: dict[str, dict[str, Any]] = {}
    inputs = [{"id": d.id, "text": d.text, "date": d.date, "city": d.city, "source": d.source} for d in docs]
    with Reporter(progress).task(f"classifying {len(docs)} gold documents with {engine.model_id}", len(docs)) as adv:
        for row in engine.classify(inputs, progress=adv):
            rows[row["id"]] = row
    m = engine.model
    return System(name=m.model_id, rows=rows, source="model", path=str(model_dir), model_id=m.model_id,
                  kind=m.kind, thresholds=dict(m.thresholds), error_rates=dict(m.error_rates),
                  settings={"cascade": cascade, "backend": getattr(m.scorer, "backend", backend)}, engine=engine)


def add_evidence(system: System, ev: Any, ids: Iterable[str]) -> int:
    """Compute evidence spans (lexicon cues and occlusion) for some documents of a model-backed system.

    Updates ``ev.evidence`` and the system's rows in place; documents without scores are skipped.

    Args:
        system: a system made by :func:`system_from_model` (a predictions file keeps its own evidence).
        ev: its :class:`evaluation.arrays.EvalArrays`.
        ids: document ids to explain.

    Returns:
        How many documents got evidence.
    """
    if system.engine is None:
        return 0
    wanted = set(ids)
    idx = [i for i, d in enumerate(ev.docs) if d.id in wanted and not ev.skipped[i]]
    if not idx:
        return 0
    keys = [ev.layout.positive_keys(ev.decisions[i], include_gate=True) for i in idx]
    found = system.engine.evidence_finder().find([ev.docs[i].text for i in idx], ev.scores[idx], keys)
    for i, spans in zip(idx, found):
        ev.evidence[i] = dict(spans)
        system.rows[ev.docs[i].id]["evidence"] = dict(spans)
    return len(idx)
