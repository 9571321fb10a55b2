"""The ``stigmascope`` command line: one Typer app; each command parses arguments and calls a plain
function from the package that does the work (so tests call the same functions).

Command modules live in :mod:`stigmascope.commands`, one per stage; each exposes ``register(app)``.
Heavy libraries are imported inside the commands, so ``stigmascope --help`` starts fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

COMMAND_MODULES = ("corpus", "nlp", "model", "trends", "evaluate", "annotate", "pipeline")


def build_app() -> typer.Typer:
    """Build the CLI app with every stage's commands registered."""
    app = typer.Typer(
        name="stigmascope",
        help="Measure how Chinese news and social media talk about rural-to-urban migrants (农民工).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    @app.callback()
    def _root() -> None:
        """Measure how Chinese news and social media talk about rural-to-urban migrants (农民工).

        The main job: `stigmascope run INPUT... --out DIR` (ingest, classify, per-city trends, report).
        """

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"stigmascope.commands.{name}")
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``stigmascope`` script."""
    from stigmascope.errors import StigmascopeError

    app = build_app()
    try:
        app(args=argv if argv is not None else sys.argv[1:], standalone_mode=True)
    except StigmascopeError as exc:  # user-facing errors: one clear line, no traceback
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
