"""Open the annotation database (SQLite by default, any SQLAlchemy URL such as PostgreSQL) and migrate it.

Writes go through :meth:`Database.write`: one transaction, committed on success, rolled back on any
error. On SQLite the file is in WAL mode (readers never block the writer), write transactions start with
``BEGIN IMMEDIATE`` (no lock-upgrade deadlocks between processes) and, inside one process, queue on a lock
instead of SQLite's sleeping busy handler, which keeps latency even under many concurrent annotators.

Example:
    >>> db = Database.open("annotations.sqlite")          # doctest: +SKIP
    >>> with db.write() as s:                              # doctest: +SKIP
    ...     s.add(Setting(key="k", value="v"))
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from annotation.config import AnnotateConfig
from annotation.schema import Setting
from stigmascope.errors import ConfigError

__all__ = ["MIGRATIONS_DIR", "Database", "database_url", "upgrade"]

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def database_url(db: str | Path) -> str:
    """A SQLAlchemy URL for a file path (SQLite) or a URL given as is (``postgresql+psycopg://…``)."""
    s = str(db)
    if "://" in s:
        return s
    return f"sqlite:///{Path(s).expanduser().resolve()}"


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with the Alembic migrations (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)


class Database:
    """An engine plus read and write sessions, with SQLite tuned for concurrent annotators.

    Args:
        url: a SQLAlchemy URL (see :func:`database_url`).
        config: server settings (``sqlite_synchronous``, ``pool_size``).
    """

    def __init__(self, url: str, config: AnnotateConfig | None = None) -> None:
        self.url = url
        self.config = config or AnnotateConfig()
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.Lock()
        kwargs: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            if url in ("sqlite://", "sqlite:///:memory:"):
                raise ConfigError("an in-memory SQLite database cannot be shared between requests; give a file")
            kwargs.update(connect_args={"timeout": 60, "check_same_thread": False},
                          pool_size=self.config.pool_size, max_overflow=10)
        else:
            kwargs.update(pool_size=self.config.pool_size, max_overflow=10)
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except Exception as exc:  # unknown dialect, missing driver: say what to install
            raise ConfigError(f"cannot open database {url!r}: {exc}. For PostgreSQL install a driver "
                              "(`pip install psycopg[binary]`) and use postgresql+psycopg://user@host/db") from exc
        if self.is_sqlite:
            self._tune_sqlite(self.engine)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)

    @classmethod
    def open(cls, db: str | Path, config: AnnotateConfig | None = None, *, migrate: bool = True) -> Database:
        """Open (and by default create or migrate) the database at a path or URL."""
        url = database_url(db)
        if migrate:
            if url.startswith("sqlite"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            upgrade(url)
        return cls(url, config)

    def _tune_sqlite(self, engine: Engine) -> None:
        sync = self.config.sqlite_synchronous

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (closed at the end, its objects stay readable; never blocks writers on WAL)."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is one transaction: committed on success, rolled back on error."""
        lock = self._write_lock if self.is_sqlite else None
        if lock is not None:
            lock.acquire()
        try:
            with self._writer() as session, session.begin():
                yield session
        finally:
            if lock is not None:
                lock.release()

    def transact(self, work: Callable[[Session], T], *, attempts: int = 4) -> T:
        """Run ``work(session)`` in a write transaction; retry when a unique constraint lost a race.

        On PostgreSQL two concurrent requests can both compute the same next version number; the loser
        gets an IntegrityError and runs again, seeing the winner's row. (SQLite serialises writers.)
        """
        for attempt in range(attempts):
            try:
                with self.write() as s:
                    return work(s)
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def setting(self, key: str, default: str | None = None) -> str | None:
        """Read one installation setting."""
        with self.read() as s:
            value = s.scalar(select(Setting.value).where(Setting.key == key))
        return default if value is None else value

    def secret_key(self) -> str:
        """The cookie-signing secret: from the config, else from the database (created on first use)."""
        if self.config.secret_key:
            return self.config.secret_key
        value = self.setting("secret_key")
        if value is None:
            def work(s: Session) -> str:
                row = s.get(Setting, "secret_key")
                if row is None:
                    row = Setting(key="secret_key", value=secrets.token_urlsafe(48))
                    s.add(row)
                return row.value
            value = self.transact(work)
        return value

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
