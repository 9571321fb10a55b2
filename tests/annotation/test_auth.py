"""People: argon2 hashes, users, roles, sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from annotation import auth
from annotation.schema import LoginSession, Role, User
from stigmascope.errors import ConfigError


def test_hash_and_verify() -> None:
    h = auth.hash_password("一个足够长的口令 passphrase")
    assert h.startswith("$argon2id$")
    assert auth.verify_password(h, "一个足够长的口令 passphrase")
    assert not auth.verify_password(h, "一个足够长的口令 passphrasE")
    assert not auth.verify_password("not-a-hash", "anything")
    assert auth.hash_password("same password") != auth.hash_password("same password")  # salted


def test_create_user_rules(db) -> None:
    uid = auth.create_user(db, "新标注员.1", "long enough pw", role="annotator")
    with db.read() as s:
        u = s.get(User, uid)
    assert (u.name, u.role, u.active) == ("新标注员.1", "annotator", True)
    assert u.password_hash != "long enough pw"
    with pytest.raises(ConfigError, match="already exists"):
        auth.create_user(db, "新标注员.1", "long enough pw")
    with pytest.raises(ConfigError, match="too short"):
        auth.create_user(db, "x1", "short")
    with pytest.raises(ConfigError, match="unknown role"):
        auth.create_user(db, "x2", "long enough pw", role="superuser")
    with pytest.raises(ConfigError, match="user name"):
        auth.create_user(db, "bad name<script>", "long enough pw")


def test_authenticate_and_sessions(db) -> None:
    assert auth.authenticate(db, "ann1", "wrong password") is None
    assert auth.authenticate(db, "nobody", "annotator-pass-1") is None
    user = auth.authenticate(db, "ann1", "annotator-pass-1")
    assert user is not None and user.name == "ann1"
    token = auth.start_session(db, user, hours=1)
    who = auth.resolve_session(db, token)
    assert who is not None and (who.name, who.role) == ("ann1", Role.annotator)
    assert not who.can_review and not who.is_admin
    with db.read() as s:
        stored = s.scalars(select(LoginSession.id)).all()
    assert token not in stored and len(stored[0]) == 64  # only the hash is stored
    assert auth.resolve_session(db, token + "x") is None
    auth.end_session(db, who.session_id)
    assert auth.resolve_session(db, token) is None


def test_password_change_ends_sessions(db) -> None:
    user = auth.authenticate(db, "ann2", "annotator-pass-2")
    token = auth.start_session(db, user, hours=1)
    auth.set_password(db, "ann2", "a brand new password")
    assert auth.resolve_session(db, token) is None
    assert auth.authenticate(db, "ann2", "annotator-pass-2") is None
    assert auth.authenticate(db, "ann2", "a brand new password") is not None


def test_deactivated_user_is_refused(db) -> None:
    user = auth.authenticate(db, "ann3", "annotator-pass-3")
    token = auth.start_session(db, user, hours=1)
    with db.write() as s:
        s.scalar(select(User).where(User.name == "ann3")).active = False
    assert auth.resolve_session(db, token) is None
    assert auth.authenticate(db, "ann3", "annotator-pass-3") is None


def test_csrf_compare() -> None:
    assert auth.check_csrf_token("abc", "abc")
    assert not auth.check_csrf_token("abc", "abd")
    assert not auth.check_csrf_token(None, None) and not auth.check_csrf_token("", "")
