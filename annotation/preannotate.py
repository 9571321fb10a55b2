"""The model in the loop: store a classifier's predictions as pre-annotations and rank by uncertainty.

Predictions come from a model directory (run here with :class:`models.infer.Engine`), from a file of
classifier output (``stigmascope classify … --out PRED.jsonl``) or from the corpus store's
``predictions`` table. Each document gets an uncertainty in [0, 1] that the ``uncertainty`` queue
sorts by:

- a sigmoid key with probability ``p`` and threshold ``t``: ``1 - |p - t| / max(t, 1 - t)`` (1 at the
  threshold, 0 at certainty);
- a single-label facet: ``1 - (p1 - p2)``, one minus the margin of its top two labels;
- gated facets count in proportion to the gate's probability (stance does not matter for a text that
  is surely irrelevant); the document's uncertainty is the largest of these.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> round(uncertainty(load_taxonomy(), {"relevant": 0.5}), 2)
    1.0
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from annotation.db import Database
from annotation.projects import project_by_name, project_taxonomy
from annotation.schema import Document, Prediction, utcnow
from models.taxonomy import FacetKind, LabelError, Taxonomy
from stigmascope.errors import InputError

__all__ = ["import_predictions", "labels_from_row", "predict_project", "store_predictions", "uncertainty"]


def uncertainty(tax: Taxonomy, scores: Mapping[str, float], thresholds: Mapping[str, float] | None = None
                ) -> float | None:
    """A document's uncertainty in [0, 1] from its scores (None when there are no scores)."""
    if not scores:
        return None
    th = thresholds or {}

    def sig(key: str) -> float | None:
        if key not in scores:
            return None
        p, t = float(scores[key]), float(th.get(key, 0.5))
        t = min(max(t, 1e-6), 1 - 1e-6)
        return max(0.0, 1.0 - abs(p - t) / max(t, 1 - t))

    gate = tax.gate
    p_gate = float(scores.get(gate.output_key, 1.0)) if gate is not None else 1.0
    best = 0.0
    for f in tax.facets:
        weight = p_gate if f.applies_to_gate else 1.0
        if f.kind is FacetKind.single_label:
            ps = sorted((float(scores[f.score_key(lab)]) for lab in f.label_ids if f.score_key(lab) in scores),
                        reverse=True)
            u = (1.0 - (ps[0] - ps[1])) if len(ps) >= 2 else None
            us = [u] if u is not None else []
        else:
            us = [u for lab in f.label_ids if (u := sig(f.score_key(lab))) is not None]
        if us:
            best = max(best, weight * max(us))
    return round(min(best, 1.0), 6)


def labels_from_row(tax: Taxonomy, row: Mapping[str, Any]) -> dict[str, Any]:
    """The label object of a classifier-output row (``{"relevant": …, "stereotype": [...], …}``)."""
    return tax.validate_labels({f.output_key: row.get(f.output_key) for f in tax.facets})


def store_predictions(db: Database, project: str, model: str, rows: Iterable[Mapping[str, Any]], *,
                      thresholds: Mapping[str, float] | None = None, batch: int = 1000) -> dict[str, int]:
    """Save prediction rows (classifier output shape, ``id`` = the document's id) for a project's documents.

    The project's ``active_model`` becomes ``model``; documents' ``uncertainty`` is recomputed from it.

    Returns:
        ``{"stored": n, "unknown_ids": n}``: documents given a prediction (a repeated id: the last row
        wins), and rows whose id is not a document of the project.
    """
    with db.read() as s:
        proj = project_by_name(s, project)
        tax = project_taxonomy(proj)
        ids = dict(s.execute(select(Document.ext_id, Document.id).where(Document.project_id == proj.id)).all())
    counts = {"stored": 0, "unknown_ids": 0}
    buf: dict[int, tuple[dict[str, Any], dict[str, Any], float | None]] = {}  # a later row for a document wins
    done: set[int] = set()

    def flush() -> None:
        if not buf:
            return
        with db.write() as s:
            existing = {p.document_id: p for p in s.scalars(select(Prediction).where(
                Prediction.model == model, Prediction.document_id.in_(list(buf))))}
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(list(buf))))}
            for doc_id, (scores, labels, unc) in buf.items():
                pred = existing.get(doc_id)
                if pred is None:
                    s.add(Prediction(document_id=doc_id, model=model, scores=scores, labels=labels, uncertainty=unc))
                else:
                    pred.scores, pred.labels, pred.uncertainty, pred.created_at = scores, labels, unc, utcnow()
                docs[doc_id].uncertainty = unc
        done.update(buf)
        counts["stored"] = len(done)
        buf.clear()

    for i, row in enumerate(rows, 1):
        doc_id = ids.get(str(row.get("id")))
        if doc_id is None:
            counts["unknown_ids"] += 1
            continue
        try:
            labels = labels_from_row(tax, row)
        except LabelError as exc:
            raise InputError(f"prediction row {i}: {exc}; was it made with this project's taxonomy?") from None
        scores = {k: float(v) for k, v in (row.get("scores") or {}).items()}
        unc = uncertainty(tax, scores, thresholds) if scores else 0.0  # skipped by the prefilter: certain
        buf[doc_id] = (scores, labels, unc)
        if len(buf) >= batch:
            flush()
    flush()
    with db.write() as s:
        project_by_name(s, project).active_model = model
    return counts


def import_predictions(db: Database, project: str, path: str | Path, *, model: str | None = None,
                       model_dir: str | Path | None = None) -> dict[str, int]:
    """Load classifier output (``PRED.jsonl`` or ``.parquet``) as the project's pre-annotations.

    Args:
        model: the name to keep them under (default: the file name).
        model_dir: the model directory that made them, to read its ``thresholds.json`` for uncertainty.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("predictions file not found", path=str(p))
    thresholds = None
    if model_dir is not None:
        tp = Path(model_dir) / "thresholds.json"
        if tp.is_file():
            thresholds = json.loads(tp.read_text(encoding="utf-8"))
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        rows: Iterable[Mapping[str, Any]] = [
            {**r, "scores": dict(r["scores"]) if isinstance(r.get("scores"), list) else r.get("scores")}
            for r in pq.read_table(p).to_pylist()]
    else:
        rows = list(_jsonl(p))
    return store_predictions(db, project, model or p.stem, rows, thresholds=thresholds)


def _jsonl(p: Path) -> Iterable[dict[str, Any]]:
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON ({exc.msg})", path=str(p), line=lineno) from None


def predict_project(db: Database, project: str, model_dir: str | Path, *, batch: int = 256,
                    progress: bool = False) -> dict[str, int]:
    """Run a model directory over the project's documents and store the predictions.

    Raises:
        ModelError: the model directory is missing, corrupt or made with another taxonomy.
    """
    from models.infer import Engine, InferConfig

    with db.read() as s:
        proj = project_by_name(s, project)
        docs = [{"id": d.ext_id, "text": d.text} for d in s.scalars(
            select(Document).where(Document.project_id == proj.id).order_by(Document.position))]
    engine = Engine.load(model_dir, InferConfig(evidence=False))
    rows = []
    for i in range(0, len(docs), batch):
        rows.extend(engine.classify_chunk(docs[i:i + batch]))
    return store_predictions(db, project, engine.model_id, rows, thresholds=engine.model.thresholds)
