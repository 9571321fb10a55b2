"""People: users with roles, argon2 password hashes, sign-in sessions and CSRF tokens.

A sign-in creates a server-side session: the browser's cookie holds a random token signed with the
installation's secret (itsdangerous); the database keeps only the token's SHA-256, the user and the
session's CSRF token. Signing out deletes the row, so a copied cookie stops working at once.

Example:
    >>> from annotation.auth import create_user                    # doctest: +SKIP
    >>> create_user(db, "alice", "a long passphrase", role="admin")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from annotation.db import Database
from annotation.schema import LoginSession, Role, User, utcnow
from stigmascope.errors import ConfigError

__all__ = [
    "MIN_PASSWORD",
    "Principal",
    "authenticate",
    "check_csrf_token",
    "create_user",
    "end_session",
    "hash_password",
    "resolve_session",
    "set_password",
    "start_session",
    "verify_password",
]

MIN_PASSWORD = 10
_DUMMY_HASH: str | None = None


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request."""

    id: int
    name: str
    role: Role
    session_id: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def can_review(self) -> bool:
        """Reviewers and admins see agreement, adjudicate and export."""
        return self.role in (Role.admin, Role.reviewer)


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password (salted; parameters in the hash string)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (constant-time; False for any malformed hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise ConfigError(f"user name {name!r}: use 1-64 letters, digits or . _ - @")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password too short ({len(password)} characters); use at least {MIN_PASSWORD}")


def create_user(db: Database, name: str, password: str, *, role: Role | str = Role.annotator) -> int:
    """Create a user and return its id.

    Raises:
        ConfigError: a bad name, a short password, an unknown role, or a name already taken.
    """
    name = _check_name(name)
    try:
        role = Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r}; use one of {[r.value for r in Role]}") from None
    _check_password(password)
    digest = hash_password(password)
    try:
        with db.write() as s:
            user = User(name=name, password_hash=digest, role=role.value, active=True)
            s.add(user)
            s.flush()
            return user.id
    except IntegrityError:
        raise ConfigError(f"a user named {name!r} already exists") from None


def set_password(db: Database, name: str, password: str) -> None:
    """Change a user's password and sign out all of their sessions."""
    _check_password(password)
    digest = hash_password(password)
    with db.write() as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise ConfigError(f"no user named {name!r}")
        user.password_hash = digest
        s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def authenticate(db: Database, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same work whether or not the name exists)."""
    global _DUMMY_HASH
    with db.read() as s:
        user = s.scalar(select(User).where(User.name == name.strip()))
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        verify_password(_DUMMY_HASH, password)  # spend the same time: no user-name oracle
        return None
    return user if verify_password(user.password_hash, password) else None


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, user: User, *, hours: float) -> str:
    """Create a session for ``user``; returns the raw token (to be signed into the cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.write() as s:
        s.execute(delete(LoginSession).where(LoginSession.expires_at < now))
        s.add(LoginSession(id=_token_id(token), user_id=user.id, csrf=secrets.token_urlsafe(32), created_at=now,
                           expires_at=now + dt.timedelta(hours=hours)))
    return token


def resolve_session(db: Database, token: str) -> Principal | None:
    """The principal of a session token, or None when unknown, expired or the user is deactivated."""
    sid = _token_id(token)
    with db.read() as s:
        row = s.execute(select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                        .where(LoginSession.id == sid)).first()
    if row is None:
        return None
    sess, user = row
    if sess.expires_at < utcnow() or not user.active:
        return None
    return Principal(id=user.id, name=user.name, role=Role(user.role), session_id=sid, csrf=sess.csrf)


def end_session(db: Database, session_id: str) -> None:
    """Sign out: delete the session."""
    with db.write() as s:
        s.execute(delete(LoginSession).where(LoginSession.id == session_id))


def check_csrf_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token (False when either is missing)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
