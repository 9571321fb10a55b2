"""Where stigmascope keeps what it builds once and reuses: the converted default encoder, the default
model trained on the bundled corpus. Override with the ``STIGMASCOPE_HOME`` environment variable."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The cache folder (``$STIGMASCOPE_HOME`` or ``~/.cache/stigmascope``), created on first use."""
    root = Path(os.environ.get("STIGMASCOPE_HOME") or Path.home() / ".cache" / "stigmascope")
    root.mkdir(parents=True, exist_ok=True)
    return root


def encoders_dir() -> Path:
    """Folder of converted encoders (``home()/encoders``)."""
    p = home() / "encoders"
    p.mkdir(parents=True, exist_ok=True)
    return p


def models_dir() -> Path:
    """Folder of cached trained models (``home()/models``)."""
    p = home() / "models"
    p.mkdir(parents=True, exist_ok=True)
    return p
