"""A cache of window embeddings, keyed by encoder fingerprint + window settings + text hash.

The ``fast`` preset trains heads on a frozen encoder, so every document's embeddings are computed once
per encoder and reused across runs, seeds and taxonomies. Stored in one SQLite file under
``stigmascope.paths.home()/embeddings.sqlite``.

Example:
    >>> import numpy as np, tempfile, os
    >>> c = EmbeddingCache(os.path.join(tempfile.mkdtemp(), "e.sqlite"), namespace="enc-abc")
    >>> c.put_many({"一句话": np.ones((2, 4), np.float32)})
    >>> c.get_many(["一句话", "另一句"])["一句话"].shape
    (2, 4)
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = ["EmbeddingCache", "encoder_fingerprint", "default_cache_path"]


def default_cache_path() -> Path:
    """``stigmascope.paths.home()/embeddings.sqlite``."""
    from stigmascope.paths import home

    return home() / "embeddings.sqlite"


def encoder_fingerprint(name_or_path: str) -> str:
    """A short content hash of an encoder: config, tokenizer and weight files (sizes + first MiB).

    A hub name that is not a local folder is fingerprinted by its name.
    """
    p = Path(name_or_path)
    h = hashlib.sha1()
    if not p.is_dir():
        h.update(name_or_path.encode())
        return h.hexdigest()[:16]
    for f in sorted(p.iterdir()):
        if not f.is_file():
            continue
        h.update(f.name.encode())
        h.update(str(f.stat().st_size).encode())
        with f.open("rb") as fh:
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


class EmbeddingCache:
    """Window embeddings per text for one encoder + window setting (the ``namespace``).

    Args:
        path: the SQLite file (created if absent).
        namespace: encoder fingerprint and window settings, e.g. from :meth:`namespace_for`.
    """

    def __init__(self, path: str | Path, *, namespace: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.namespace = namespace
        with self._connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, n INTEGER, d INTEGER, data BLOB)")

    @staticmethod
    def namespace_for(fingerprint: str, settings: Mapping[str, Any]) -> str:
        """Namespace string from an encoder fingerprint and the window settings that shape embeddings."""
        blob = json.dumps(dict(settings), sort_keys=True, ensure_ascii=False)
        return f"{fingerprint}:{hashlib.sha1(blob.encode()).hexdigest()[:12]}"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.namespace}\x00{text}".encode()).hexdigest()

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """Cached embeddings ``(n_windows, hidden)`` for the texts that have them."""
        keys = {self._key(t): t for t in texts}
        out: dict[str, np.ndarray] = {}
        items = list(keys)
        with self._connect() as con:
            for i in range(0, len(items), 500):
                chunk = items[i: i + 500]
                q = f"SELECT key, n, d, data FROM emb WHERE key IN ({','.join('?' * len(chunk))})"
                for key, n, d, data in con.execute(q, chunk):
                    out[keys[key]] = np.frombuffer(data, dtype=np.float32).reshape(n, d).copy()
        return out

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        """Store embeddings per text (float32, ``(n_windows, hidden)``)."""
        rows = [(self._key(t), int(a.shape[0]), int(a.shape[1]), np.ascontiguousarray(a, dtype=np.float32).tobytes())
                for t, a in items.items()]
        with self._connect() as con:
            con.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?, ?)", rows)
