"""The annotation database: tables as SQLAlchemy 2 models (the Alembic migrations create them).

Integrity lives in the database where it can: unique (document, annotator, version) so a version is
never overwritten, unique submission ids so a retried request is never stored twice, check constraints
on roles, statuses and span offsets. Annotations and adjudications are append-only: a correction is a
new version; the newest version is the current one.

Only portable types are used (``JSON``, ``Text``, ``DateTime``), so the same models serve SQLite and
PostgreSQL. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Adjudication",
    "Annotation",
    "Assignment",
    "AssignmentStatus",
    "Base",
    "Document",
    "Draft",
    "LoginSession",
    "Membership",
    "ModelMode",
    "Prediction",
    "Project",
    "RejectedRecord",
    "Role",
    "Setting",
    "Strategy",
    "User",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """The current time as naive UTC (what every timestamp column holds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Role(str, Enum):
    """What a user may do: annotators label; reviewers also see agreement, adjudicate and export; admins
    manage users and projects and may do everything in every project."""

    admin = "admin"
    reviewer = "reviewer"
    annotator = "annotator"


class Strategy(str, Enum):
    """Which document an annotator gets next."""

    sequential = "sequential"  #: import order
    uncertainty = "uncertainty"  #: the model's least certain documents first (needs predictions)
    disagreement = "disagreement"  #: documents annotators disagreed on get one more annotator first


class ModelMode(str, Enum):
    """How the model's predictions appear on the labelling page."""

    off = "off"
    hint = "hint"  #: a small probability bar beside each label
    prefill = "prefill"  #: the form starts from the model's labels


class AssignmentStatus(str, Enum):
    pending = "pending"
    done = "done"
    skipped = "skipped"


NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def _in(column: str, enum: type[Enum]) -> str:
    return f"{column} IN ({', '.join(repr(e.value) for e in enum)})"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("overlap >= 1", name="overlap"),
        CheckConstraint("max_overlap >= overlap", name="max_overlap"),
        CheckConstraint(_in("strategy", Strategy), name="strategy"),
        CheckConstraint(_in("model_mode", ModelMode), name="model_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    taxonomy: Mapped[dict[str, Any]] = mapped_column(JSON)
    taxonomy_name: Mapped[str] = mapped_column(String(100))
    taxonomy_version: Mapped[str] = mapped_column(String(32))
    guidelines: Mapped[str] = mapped_column(Text, default="")
    overlap: Mapped[int] = mapped_column(Integer, default=2)
    max_overlap: Mapped[int] = mapped_column(Integer, default=3)
    strategy: Mapped[str] = mapped_column(String(16), default=Strategy.sequential.value)
    model_mode: Mapped[str] = mapped_column(String(16), default=ModelMode.hint.value)
    active_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Membership(Base):
    """Per-project access: annotators and reviewers see only the projects they are members of."""

    __tablename__ = "memberships"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("project_id", "ext_id", name="uq_documents_project_ext"),
        CheckConstraint("n_assigned >= 0", name="n_assigned"),
        Index("ix_documents_queue", "project_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str | None] = mapped_column(String(50), nullable=True)
    outlet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: token end offsets from the segmenter (spans snap to them); ``[]`` when unsegmented
    tokens: Mapped[list[Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer)
    #: annotators holding this document (pending or done; skips release it) — the claim counter
    n_assigned: Mapped[int] = mapped_column(Integer, default=0)
    n_done: Mapped[int] = mapped_column(Integer, default=0)
    uncertainty: Mapped[float | None] = mapped_column(Float, nullable=True)
    disagreement: Mapped[float | None] = mapped_column(Float, nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id", name="uq_assignments_doc_user"),
        CheckConstraint(_in("status", AssignmentStatus), name="status"),
        Index("ix_assignments_queue", "project_id", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.pending.value)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Annotation(Base):
    """One submitted version of one annotator's labels for one document (append-only)."""

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id", "version", name="uq_annotations_doc_user_version"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_annotations_project_user", "project_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    spans: Mapped[list[Any]] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: client-generated id of the submit request: a retried request finds its annotation, never a twin
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the model whose labels pre-filled the form, when they did
    prefilled_from: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Draft(Base):
    """The unsent state of a labelling form (autosaved; replaced on each save, deleted on submit)."""

    __tablename__ = "drafts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Prediction(Base):
    """A model's scores for a document (pre-annotation and uncertainty sampling)."""

    __tablename__ = "predictions"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    uncertainty: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Adjudication(Base):
    """A reviewer's gold label for a document (append-only versions; the newest is the gold)."""

    __tablename__ = "adjudications"
    __table_args__ = (
        UniqueConstraint("document_id", "version", name="uq_adjudications_doc_version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    spans: Mapped[list[Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Setting(Base):
    """Key/value settings of the installation (the cookie-signing secret lives here)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RejectedRecord(Base):
    """An imported record that was not stored, with why (never dropped silently)."""

    __tablename__ = "rejected_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(500))
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    field: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
