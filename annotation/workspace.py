"""What the labelling page starts from: the document, the form's initial state and where it came from.

The initial state is, in order: the annotator's autosaved draft (newer than their last submission), their
newest submitted version, the model's labels (when the project pre-fills), or an empty form. The page
also gets the model's probabilities as hints, the annotator's version history, and the document to go
back to with ``U`` (their previous submission in the project).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from annotation.auth import Principal
from annotation.db import Database
from annotation.forms import empty_labels, form_spec
from annotation.projects import project_stats, project_taxonomy
from annotation.schema import Annotation, AssignmentStatus, Draft, ModelMode, Prediction
from annotation.submit import Conflict, load_assignment

__all__ = ["label_context"]


def label_context(db: Database, who: Principal, project_id: int, document_id: int) -> dict[str, Any]:
    """Everything the labelling page needs, as plain data (``page`` goes to ``label.js`` as JSON).

    Raises:
        NotFound: see :func:`annotation.submit.load_assignment`. Conflict: the user skipped the document.
    """
    with db.read() as s:
        project, doc, asg = load_assignment(s, who, project_id, document_id)
        if asg.status == AssignmentStatus.skipped.value:
            raise Conflict("you skipped this document; it has gone to another annotator")
        tax = project_taxonomy(project)
        versions = list(s.scalars(select(Annotation).where(
            Annotation.document_id == doc.id, Annotation.user_id == who.id).order_by(Annotation.version)))
        draft = s.get(Draft, (doc.id, who.id))
        pred = None
        if project.active_model and project.model_mode != ModelMode.off.value:
            pred = s.get(Prediction, (doc.id, project.active_model))
        previous = s.scalar(select(Annotation.document_id).where(
            Annotation.project_id == project.id, Annotation.user_id == who.id, Annotation.document_id != doc.id)
            .order_by(Annotation.id.desc()).limit(1))
        stats = project_stats(s, project, who.id)
    latest = versions[-1] if versions else None
    prefilled_from = None
    if draft is not None and (latest is None or draft.updated_at >= latest.created_at):
        state, origin = dict(draft.state), "draft"
    elif latest is not None:
        state = {"labels": latest.labels, "spans": latest.spans, "flagged": latest.flagged,
                 "comment": latest.comment or ""}
        origin = f"version {latest.version}"
    elif pred is not None and project.model_mode == ModelMode.prefill.value:
        state = {"labels": pred.labels, "spans": [], "flagged": False, "comment": ""}
        origin, prefilled_from = f"model {pred.model}", pred.model
    else:
        state, origin = {"labels": empty_labels(tax), "spans": [], "flagged": False, "comment": ""}, "new"
    state["labels"] = tax.validate_labels(state.get("labels") or {})
    page = {
        "project_id": project.id, "document_id": doc.id, "text": doc.text, "tokens": doc.tokens,
        "form": form_spec(tax), "state": state, "origin": origin, "prefilled_from": prefilled_from,
        "hints": pred.scores if pred is not None and project.model_mode == ModelMode.hint.value else {},
        "status": asg.status, "version": latest.version if latest else 0,
        "submit_url": f"/api/projects/{project.id}/documents/{doc.id}/annotations",
        "draft_url": f"/api/projects/{project.id}/documents/{doc.id}/draft",
        "skip_url": f"/api/projects/{project.id}/documents/{doc.id}/skip",
        "next_url": f"/projects/{project.id}/label",
        "back_url": f"/projects/{project.id}/label/{previous}" if previous is not None else None,
        "mode": "label",
    }
    return {"project": project, "document": doc, "taxonomy": tax, "page": page, "stats": stats,
            "versions": versions, "origin": origin, "prediction": pred,
            "done": asg.status == AssignmentStatus.done.value}
