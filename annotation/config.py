"""Settings of the annotation server (one dataclass, loadable from TOML/YAML with ``--config``).

Example:
    >>> from stigmascope.config import load_config
    >>> load_config(AnnotateConfig, {"session_hours": 8}).session_hours
    8
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYNCHRONOUS", "AnnotateConfig"]

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")


@dataclass
class AnnotateConfig:
    """Settings of the annotation server.

    Attributes:
        session_hours: how long a sign-in lasts.
        cookie_secure: mark cookies ``Secure`` (set it when the tool is served over HTTPS behind a proxy;
            browsers drop Secure cookies on plain-HTTP loopback).
        sqlite_synchronous: SQLite ``PRAGMA synchronous`` in WAL mode. ``FULL`` (default) syncs the log on
            every commit, so an acknowledged annotation survives a process kill and a power cut; ``NORMAL``
            survives a process kill only.
        secret_key: the cookie-signing key; by default one is generated and kept in the database's
            ``settings`` table (so restarts keep people signed in).
        max_body_kb: the largest request body accepted.
        pool_size: database connections kept open.
    """

    session_hours: float = 12.0
    cookie_secure: bool = False
    sqlite_synchronous: str = "FULL"
    secret_key: str | None = None
    max_body_kb: int = 512
    pool_size: int = 20

    def __post_init__(self) -> None:
        if not 0 < float(self.session_hours) <= 24 * 30:
            raise ValueError(f"session_hours must be in (0, 720], got {self.session_hours!r}")
        self.sqlite_synchronous = str(self.sqlite_synchronous).upper()
        if self.sqlite_synchronous not in SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {SYNCHRONOUS}, got {self.sqlite_synchronous!r}")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ValueError("secret_key must be at least 32 characters (or leave it out to generate one)")
        if not isinstance(self.max_body_kb, int) or self.max_body_kb < 16:
            raise ValueError(f"max_body_kb must be an integer >= 16, got {self.max_body_kb!r}")
        if not isinstance(self.pool_size, int) or self.pool_size < 1:
            raise ValueError(f"pool_size must be a positive integer, got {self.pool_size!r}")
        if not isinstance(self.cookie_secure, bool):
            raise TypeError(f"cookie_secure must be true or false, got {self.cookie_secure!r}")
