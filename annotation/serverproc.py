"""A real annotation server in a child process, on a free loopback port (for the load test and the tests).

Example:
    >>> with ServerProcess("annotations.sqlite") as srv:          # doctest: +SKIP
    ...     httpx.get(srv.url + "/api/health").json()
    {'ok': True}
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

__all__ = ["ServerProcess", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """Start ``stigmascope annotate serve`` as a child process and wait until it answers.

    Args:
        db: the database file or URL the server uses.
        port: the port (default: a free one).
        config: an optional server settings file.
        log: a file for the server's output (default: discarded).
    """

    def __init__(self, db: str | Path, *, port: int | None = None, config: str | Path | None = None,
                 log: str | Path | None = None) -> None:
        self.db, self.port, self.config, self.log = str(db), port or free_port(), config, log
        self.proc: subprocess.Popen[Any] | None = None
        self._log_fh: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Self:
        """Start the server and block until ``/api/health`` answers (RuntimeError after ``timeout`` s)."""
        import httpx

        cmd = [sys.executable, "-m", "stigmascope.cli", "annotate", "serve", "--db", self.db, "--host", "127.0.0.1",
               "--port", str(self.port)]
        if self.config:
            cmd += ["--config", str(self.config)]
        self._log_fh = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=self._log_fh, stderr=subprocess.STDOUT, env=env,
                                     cwd=str(Path(__file__).resolve().parents[1]))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"annotation server exited with status {self.proc.returncode} while starting"
                                   + (f"; see {self.log}" if self.log else ""))
            try:
                if httpx.get(self.url + "/api/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"annotation server did not answer on {self.url} within {timeout:.0f} s")

    def kill(self) -> None:
        """SIGKILL the server (no clean shutdown: what a crash or an OOM kill does)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        """Stop the server politely (SIGTERM, then SIGKILL after 15 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_fh not in (None, subprocess.DEVNULL):
            self._log_fh.close()
        self._log_fh = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
