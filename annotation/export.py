"""Gold export: the project's resolved labels in the annotated-corpus format, with provenance.

One JSON object per line — ``{"id", "text", "date", "city", "source", "outlet", "labels": {…},
"evidence": {score_key: [{"start", "end", "text"}]}, "provenance": {…}}`` — which ``stigmascope train
--data FILE`` reads as it is (``corpora.annotated.read_gold``; documents without a split get one from a
hash of their id).

How a document's gold label is decided (``provenance.resolution``):

- ``adjudicated``: a reviewer's newest adjudication;
- ``unanimous``: at least ``min_annotators`` annotators (default 2) gave identical labels;
- ``single``: exactly one annotator, when ``min_annotators`` is 1;
- ``majority``: the majority vote per decision, only with ``majority=True`` and only without ties.
Anything else is left out and counted (``unresolved``) — adjudicate it first.

Example:
    >>> summary = export_gold(db, "weibo-2024", "gold.jsonl")     # doctest: +SKIP
    >>> summary["written"], summary["unresolved"]
    (180, 12)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from annotation.db import Database
from annotation.forms import positive_keys
from annotation.projects import project_by_name, project_taxonomy
from annotation.queue import current_annotations
from annotation.review import latest_adjudications, majority
from annotation.schema import Document, Project, User, utcnow

__all__ = ["export_gold", "gold_rows", "write_gold"]


def _iso(t: Any) -> str:
    return t.isoformat(timespec="seconds") + "Z"


def gold_rows(db: Database, project: Project | str, *, min_annotators: int = 2, majority_vote: bool = False,
              counts: dict[str, int] | None = None, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Yield the gold rows of a project in import order (see the module docstring for the rules).

    Args:
        project: a project or its name.
        min_annotators: annotators needed for an unadjudicated document to count as gold.
        majority_vote: resolve disagreements without ties by majority vote.
        counts: filled with ``written``, ``adjudicated``, ``unanimous``, ``single``, ``majority``,
            ``unresolved``, ``too_few`` (documents below ``min_annotators`` and not adjudicated).
    """
    if min_annotators < 1:
        raise ValueError("min_annotators must be at least 1")
    c = counts if counts is not None else {}
    for k in ("written", "adjudicated", "unanimous", "single", "majority", "unresolved", "too_few"):
        c.setdefault(k, 0)
    with db.read() as s:
        proj = project_by_name(s, project) if isinstance(project, str) else project
        tax = project_taxonomy(proj)
        ids = list(s.scalars(select(Document.id).where(Document.project_id == proj.id).order_by(Document.position)))
        names = dict(s.execute(select(User.id, User.name)).all())
    taxonomy_ref = f"{tax.name}@{tax.version}"
    exported_at = _iso(utcnow())
    for i in range(0, len(ids), batch):
        with db.read() as s:
            chunk = ids[i:i + batch]
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(chunk)))}
            anns = current_annotations(s, chunk)
            adjs = latest_adjudications(s, chunk)
            reviewers = {a.reviewer_id for a in adjs.values()}
            names.update(dict(s.execute(select(User.id, User.name).where(User.id.in_(list(reviewers)))).all())
                         if reviewers else {})
        for doc_id in chunk:
            doc, per, adj = docs[doc_id], anns.get(doc_id, {}), adjs.get(doc_id)
            if not per and adj is None:
                continue
            label_objs = [a.labels for a in per.values()]
            spans: list[dict[str, Any]]
            if adj is not None:
                resolution, labels, spans = "adjudicated", adj.labels, adj.spans
            elif len(per) < min_annotators:
                c["too_few"] += 1
                continue
            elif all(lo == label_objs[0] for lo in label_objs):
                resolution, labels = ("single" if len(per) == 1 else "unanimous"), label_objs[0]
                spans = [sp for a in per.values() for sp in a.spans]
            else:
                vote, ties = majority(tax, label_objs)
                if not majority_vote or ties:
                    c["unresolved"] += 1
                    continue
                resolution, labels = "majority", vote
                spans = [sp for a in per.values() for sp in a.spans]
            evidence: dict[str, list[dict[str, Any]]] = {}
            seen: set[tuple[str, int, int]] = set()
            on = set(positive_keys(tax, labels))
            for sp in sorted(spans, key=lambda d: (d["key"], d["start"], d["end"])):
                k = (sp["key"], sp["start"], sp["end"])
                if sp["key"] in on and k not in seen:
                    seen.add(k)
                    evidence.setdefault(sp["key"], []).append(
                        {"start": sp["start"], "end": sp["end"], "text": doc.text[sp["start"]:sp["end"]]})
            annotators = [{"user": names.get(u, str(u)), "version": a.version, "at": _iso(a.created_at),
                           "labels": a.labels, "flagged": a.flagged, **({"comment": a.comment} if a.comment else {})}
                          for u, a in sorted(per.items(), key=lambda kv: names.get(kv[0], ""))]
            provenance = {"project": proj.name, "taxonomy": taxonomy_ref, "resolution": resolution,
                          "adjudicated": adj is not None, "annotators": annotators,
                          "adjudicator": ({"user": names.get(adj.reviewer_id), "version": adj.version,
                                           "at": _iso(adj.created_at), **({"note": adj.note} if adj.note else {})}
                                          if adj is not None else None),
                          "exported_at": exported_at}
            c[resolution] += 1
            c["written"] += 1
            yield {"id": doc.ext_id, "text": doc.text, "date": doc.date, "city": doc.city, "source": doc.source,
                   "outlet": doc.outlet, "labels": tax.validate_labels(labels), "evidence": evidence,
                   "provenance": provenance}


def write_gold(rows: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    """Write rows as JSON Lines; returns how many."""
    n = 0
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def export_gold(db: Database, project: str, out: str | Path, *, min_annotators: int = 2,
                majority_vote: bool = False) -> dict[str, Any]:
    """Write a project's gold labels to ``out`` (JSON Lines; written to a temporary file, then renamed).

    Returns:
        The counts of :func:`gold_rows` plus ``path``.
    """
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".part")
    counts: dict[str, int] = {}
    with tmp.open("w", encoding="utf-8") as fh:
        write_gold(gold_rows(db, project, min_annotators=min_annotators, majority_vote=majority_vote,
                             counts=counts), fh)
    tmp.replace(p)
    return {**counts, "path": str(p)}
