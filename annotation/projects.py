"""Projects: created from a taxonomy file, with members, settings, access rules and progress figures.

Example:
    >>> pid = create_project(db, "weibo-2024", overlap=2, strategy="uncertainty")   # doctest: +SKIP
    >>> add_member(db, "weibo-2024", "alice")                                         # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from annotation.auth import Principal
from annotation.db import Database
from annotation.schema import (
    Adjudication,
    Annotation,
    Assignment,
    AssignmentStatus,
    Document,
    Membership,
    ModelMode,
    Project,
    Strategy,
    User,
)
from models.taxonomy import Taxonomy, default_taxonomy_path, load_taxonomy, taxonomy_from_dict
from stigmascope.errors import ConfigError

__all__ = [
    "Forbidden",
    "NotFound",
    "ProjectStats",
    "add_member",
    "create_project",
    "default_guidelines_path",
    "project_by_name",
    "project_stats",
    "project_taxonomy",
    "require_project",
    "visible_projects",
]


class NotFound(LookupError):
    """The thing does not exist or this user may not know it does."""


class Forbidden(PermissionError):
    """The user may see the project but not do this."""


def default_guidelines_path() -> Path:
    """The annotators' guidelines of the default taxonomy (``annotation/GUIDELINES.md``)."""
    return Path(__file__).resolve().parent / "GUIDELINES.md"


def _guidelines_from_taxonomy(tax: Taxonomy) -> str:
    lines = [f"# {tax.name} {tax.version}", ""]
    for f in tax.facets:
        lines += [f"## {f.name_zh} · {f.name_en} (`{f.id}`, {f.kind.value})", "", f.definition, ""]
        for lab in f.labels:
            lines.append(f"- `{lab.id}` {lab.name_zh} · {lab.name_en}: {lab.definition}")
        lines.append("")
    return "\n".join(lines)


def create_project(db: Database, name: str, taxonomy: str | Path | None = None, *, overlap: int = 2,
                   max_overlap: int | None = None, strategy: Strategy | str = Strategy.sequential,
                   model_mode: ModelMode | str = ModelMode.hint, guidelines: str | Path | None = None) -> int:
    """Create a project and return its id.

    Args:
        name: a unique name (letters, digits, ``-``, ``_``, ``.``).
        taxonomy: the taxonomy file (default: the bundled codebook v1); a copy is kept in the project.
        overlap: k, the number of annotators each document goes to.
        max_overlap: how many annotators a document annotators disagreed on may get with the
            ``disagreement`` strategy (default ``overlap + 1``).
        strategy: which document comes next: ``sequential``, ``uncertainty`` or ``disagreement``.
        model_mode: how predictions show: ``off``, ``hint`` or ``prefill``.
        guidelines: a Markdown file shown with ``?`` (default: GUIDELINES.md for the default taxonomy,
            else a summary generated from the taxonomy's definitions).

    Raises:
        ConfigError: a bad name or setting, or a name already taken. TaxonomyError: a bad taxonomy file.
    """
    name = name.strip()
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError(f"project name {name!r}: use 1-100 letters, digits or - _ .")
    if not isinstance(overlap, int) or overlap < 1:
        raise ConfigError(f"--overlap must be a positive integer, got {overlap!r}")
    max_overlap = overlap + 1 if max_overlap is None else max_overlap
    if max_overlap < overlap:
        raise ConfigError(f"--max-overlap ({max_overlap}) must be at least --overlap ({overlap})")
    try:
        strategy, model_mode = Strategy(strategy), ModelMode(model_mode)
    except ValueError as exc:
        raise ConfigError(f"{exc}; strategies: {[s.value for s in Strategy]}, model modes: "
                          f"{[m.value for m in ModelMode]}") from None
    tax = load_taxonomy(taxonomy)
    if guidelines is not None:
        gp = Path(guidelines)
        if not gp.is_file():
            raise ConfigError(f"{gp}: guidelines file not found")
        text = gp.read_text(encoding="utf-8")
    elif taxonomy is None or Path(taxonomy).resolve() == default_taxonomy_path().resolve():
        text = default_guidelines_path().read_text(encoding="utf-8")
    else:
        text = _guidelines_from_taxonomy(tax)
    raw = json.loads(json.dumps(tax.raw, ensure_ascii=False, default=str))
    try:
        with db.write() as s:
            p = Project(name=name, taxonomy=raw, taxonomy_name=tax.name, taxonomy_version=tax.version,
                        guidelines=text, overlap=overlap, max_overlap=max_overlap, strategy=strategy.value,
                        model_mode=model_mode.value)
            s.add(p)
            s.flush()
            return p.id
    except IntegrityError:
        raise ConfigError(f"a project named {name!r} already exists") from None


def project_by_name(s: Session, name: str) -> Project:
    """The project with this name (ConfigError listing the projects when there is none)."""
    p = s.scalar(select(Project).where(Project.name == name))
    if p is None:
        names = s.scalars(select(Project.name).order_by(Project.name)).all()
        raise ConfigError(f"no project named {name!r}; projects: {list(names) or 'none yet (annotate create-project)'}")
    return p


def add_member(db: Database, project: str, user: str) -> bool:
    """Give ``user`` access to ``project``; False when they already had it."""
    with db.write() as s:
        p = project_by_name(s, project)
        u = s.scalar(select(User).where(User.name == user))
        if u is None:
            raise ConfigError(f"no user named {user!r}; create it with `stigmascope annotate create-user`")
        if s.get(Membership, (p.id, u.id)) is not None:
            return False
        s.add(Membership(project_id=p.id, user_id=u.id))
        return True


_TAXONOMIES: dict[tuple[int, str, Any], Taxonomy] = {}


def project_taxonomy(project: Project) -> Taxonomy:
    """The project's taxonomy, parsed once per process (a project's taxonomy never changes after creation;
    the key includes the creation time so a recreated project under a reused id is parsed anew)."""
    key = (project.id, project.name, project.created_at)
    tax = _TAXONOMIES.get(key)
    if tax is None:
        tax = taxonomy_from_dict(project.taxonomy, where=f"project {project.name} taxonomy")
        if len(_TAXONOMIES) > 256:
            _TAXONOMIES.clear()
        _TAXONOMIES[key] = tax
    return tax


def visible_projects(s: Session, who: Principal) -> list[Project]:
    """The projects a user may open: all for admins, their memberships for everyone else."""
    q = select(Project).order_by(Project.name)
    if not who.is_admin:
        q = q.join(Membership, Membership.project_id == Project.id).where(Membership.user_id == who.id)
    return list(s.scalars(q))


def require_project(s: Session, who: Principal, project_id: int, *, review: bool = False) -> Project:
    """The project if ``who`` may open it (and review it, when asked).

    Raises:
        NotFound: no such project, or the user is not a member (the two look the same).
        Forbidden: a member without the reviewer role asked for a reviewer page.
    """
    row = s.execute(select(Project, Membership.user_id).outerjoin(
        Membership, and_(Membership.project_id == Project.id, Membership.user_id == who.id))
        .where(Project.id == project_id)).first()  # one query: the project and whether who is a member
    if row is None or (not who.is_admin and row[1] is None):
        raise NotFound("no such project")
    p = row[0]
    if review and not who.can_review:
        raise Forbidden("only reviewers and admins may do this")
    return p


@dataclass(frozen=True)
class ProjectStats:
    """Progress figures of a project (and of one annotator in it)."""

    documents: int
    complete: int  #: documents with at least ``overlap`` annotators done
    annotations: int  #: current annotations (one per annotator and document)
    flagged: int
    disagreements: int
    adjudicated: int
    mine_done: int
    mine_pending: int
    mine_skipped: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def project_stats(s: Session, project: Project, user_id: int | None = None) -> ProjectStats:
    """Counts for the project page; the ``mine_*`` figures are for ``user_id``."""
    pid = project.id
    docs = s.scalar(select(func.count()).select_from(Document).where(Document.project_id == pid)) or 0
    complete = s.scalar(select(func.count()).select_from(Document).where(
        Document.project_id == pid, Document.n_done >= project.overlap)) or 0
    disagreements = s.scalar(select(func.count()).select_from(Document).where(
        Document.project_id == pid, Document.disagreement > 0)) or 0
    latest = (select(Annotation.document_id, Annotation.user_id, func.max(Annotation.version).label("v"))
              .where(Annotation.project_id == pid).group_by(Annotation.document_id, Annotation.user_id).subquery())
    n_ann = s.scalar(select(func.count()).select_from(latest)) or 0
    flagged = s.scalar(select(func.count(func.distinct(Annotation.document_id))).where(
        Annotation.project_id == pid, Annotation.flagged.is_(True))) or 0
    adjudicated = s.scalar(select(func.count(func.distinct(Adjudication.document_id))).where(
        Adjudication.project_id == pid)) or 0
    mine: dict[str, int] = {}
    if user_id is not None:
        rows = s.execute(select(Assignment.status, func.count()).where(
            Assignment.project_id == pid, Assignment.user_id == user_id).group_by(Assignment.status)).all()
        mine = {status: n for status, n in rows}
    return ProjectStats(documents=docs, complete=complete, annotations=n_ann, flagged=flagged,
                        disagreements=disagreements, adjudicated=adjudicated,
                        mine_done=mine.get(AssignmentStatus.done.value, 0),
                        mine_pending=mine.get(AssignmentStatus.pending.value, 0),
                        mine_skipped=mine.get(AssignmentStatus.skipped.value, 0))
