"""Run the annotation server (what ``stigmascope annotate serve`` calls).

Example:
    >>> serve("annotations.sqlite", host="127.0.0.1", port=8765)     # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from annotation.config import AnnotateConfig

__all__ = ["DEFAULT_DB", "DEFAULT_PORT", "is_loopback", "serve"]

DEFAULT_DB = "annotations.sqlite"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db: str | Path = DEFAULT_DB, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          config: AnnotateConfig | None = None, log_level: str = "info") -> None:
    """Migrate the database and serve the app until interrupted.

    Args:
        db: SQLite file or database URL.
        host, port: where to listen (loopback by default; put HTTPS in front before opening it up).
        config: server settings.
    """
    import uvicorn

    from annotation.app import create_app
    from annotation.db import Database

    cfg = config or AnnotateConfig()
    database = Database.open(db, cfg)
    app = create_app(database, cfg)
    if not is_loopback(host) and not cfg.cookie_secure:
        print(f"warning: serving on {host} over plain HTTP: passwords and session cookies cross the network "
              "unencrypted. Put an HTTPS proxy in front and set cookie_secure = true.", file=sys.stderr)
    print(f"annotation server on http://{host}:{port}  (database {database.url})", file=sys.stderr)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, server_header=False,
                    timeout_graceful_shutdown=5)
    finally:
        database.dispose()
