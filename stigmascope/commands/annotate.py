"""CLI commands of the annotation tool: ``stigmascope annotate create-user | set-password | create-project |
add-member | import | predict | export | agreement | serve`` (registered by :func:`register`).

Each command parses its arguments and calls a plain function of :mod:`annotation`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

if TYPE_CHECKING:  # pragma: no cover
    from annotation.db import Database

DEFAULT_DB = "annotations.sqlite"
_DB_HELP = "Annotation database: a SQLite file (created if missing) or a URL such as postgresql+psycopg://…"


def _password(password_stdin: bool) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _open(db: str) -> Database:
    from annotation.db import Database

    return Database.open(db)


def register(app: typer.Typer) -> None:
    """Add the ``annotate`` command group to the app."""
    ann = typer.Typer(help="The annotation web tool: users, projects, import, pre-annotation, export, server.",
                      no_args_is_help=True)
    app.add_typer(ann, name="annotate")

    @ann.command("create-user")
    def create_user_cmd(
        name: str = typer.Argument(..., help="User name (letters, digits, . _ - @)."),
        role: str = typer.Option("annotator", "--role", help="admin | reviewer | annotator"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first "
                                            "line of standard input (else prompt twice)."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Create a user (the first one should be an admin)."""
        from annotation.auth import create_user

        uid = create_user(_open(db), name, _password(password_stdin), role=role)
        typer.echo(f"user {name} ({role}) created, id {uid}")

    @ann.command("set-password")
    def set_password_cmd(
        name: str = typer.Argument(..., help="User name."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Change a user's password (signs them out everywhere)."""
        from annotation.auth import set_password

        set_password(_open(db), name, _password(password_stdin))
        typer.echo(f"password of {name} changed; their sessions are closed")

    @ann.command("create-project")
    def create_project_cmd(
        name: str = typer.Argument(..., help="Project name."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: codebook v1)."),
        overlap: int = typer.Option(2, "--overlap", "-k", help="Annotators per document."),
        max_overlap: Optional[int] = typer.Option(None, "--max-overlap", help="Annotators a disputed document may "
                                                  "get with --strategy disagreement (default k+1)."),
        strategy: str = typer.Option("sequential", "--strategy", help="sequential | uncertainty | disagreement"),
        model_mode: str = typer.Option("hint", "--model-mode", help="off | hint | prefill: how predictions show."),
        guidelines: Optional[Path] = typer.Option(None, "--guidelines", help="Markdown guidelines (default: "
                                                  "annotation/GUIDELINES.md for the default taxonomy)."),
        members: Optional[List[str]] = typer.Option(None, "--member", help="Add this user (repeatable)."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Create a project from a taxonomy file."""
        from annotation.projects import add_member, create_project

        database = _open(db)
        pid = create_project(database, name, taxonomy, overlap=overlap, max_overlap=max_overlap, strategy=strategy,
                             model_mode=model_mode, guidelines=guidelines)
        for user in members or []:
            add_member(database, name, user)
        typer.echo(f"project {name} created (id {pid}, overlap {overlap}, {strategy})"
                   + (f"; members: {', '.join(members)}" if members else ""))

    @ann.command("add-member")
    def add_member_cmd(
        project: str = typer.Argument(..., help="Project name."),
        users: List[str] = typer.Argument(..., help="User names."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Give users access to a project."""
        from annotation.projects import add_member

        database = _open(db)
        for user in users:
            added = add_member(database, project, user)
            typer.echo(f"{user}: {'added to' if added else 'already in'} {project}")

    @ann.command("import")
    def import_cmd(
        project: str = typer.Argument(..., help="Project name."),
        file: Optional[Path] = typer.Argument(None, help="Documents: .jsonl/.csv/.tsv/.parquet with id and text "
                                              "(date, city, source, outlet kept). Omit with --store."),
        store: Optional[Path] = typer.Option(None, "--store", help="Import from the corpus store (DuckDB)."),
        limit: Optional[int] = typer.Option(None, "--limit", help="--store: at most this many documents."),
        sample_seed: Optional[int] = typer.Option(None, "--sample-seed", help="--store: a seeded random sample."),
        source: Optional[str] = typer.Option(None, "--source", help="--store: only this source."),
        city: Optional[str] = typer.Option(None, "--city", help="--store: only this city."),
        since: Optional[str] = typer.Option(None, "--since", help="--store: date >= YYYY-MM-DD."),
        until: Optional[str] = typer.Option(None, "--until", help="--store: date <= YYYY-MM-DD."),
        no_segment: bool = typer.Option(False, "--no-segment", help="Skip segmentation (spans snap to characters)."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Import documents into a project from a file or the corpus store."""
        from annotation.importer import import_file, import_store
        from stigmascope.errors import InputError

        if (file is None) == (store is None):
            raise InputError("give either a FILE or --store STORE.duckdb")
        database = _open(db)
        if file is not None:
            rep = import_file(database, project, file, segment=not no_segment)
        else:
            rep = import_store(database, project, store, limit=limit, sample_seed=sample_seed, source=source,
                               city=city, since=since, until=until, segment=not no_segment)
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(rep.reasons.items())) or "none"
        typer.echo(f"{rep.imported} documents imported into {project}; {rep.already_present} already there; "
                   f"{rep.rejected} rejected ({reasons}) — rejections are kept in the rejected_records table")

    @ann.command("predict")
    def predict_cmd(
        project: str = typer.Argument(..., help="Project name."),
        model: Optional[Path] = typer.Option(None, "--model", help="Run this model directory over the documents."),
        predictions: Optional[Path] = typer.Option(None, "--predictions", help="Or load classifier output "
                                                   "(stigmascope classify --out PRED.jsonl)."),
        name: Optional[str] = typer.Option(None, "--name", help="--predictions: the model's name."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Store a model's predictions: pre-annotations and the uncertainty queue."""
        from annotation.preannotate import import_predictions, predict_project
        from stigmascope.errors import InputError

        database = _open(db)
        if (model is None) == (predictions is None):
            raise InputError("give either --model DIR or --predictions PRED.jsonl")
        if model is not None:
            res = predict_project(database, project, model)
        else:
            res = import_predictions(database, project, predictions, model=name)
        typer.echo(f"{res['stored']} predictions stored for {project}; {res['unknown_ids']} rows with ids not in "
                   "the project")

    @ann.command("export")
    def export_cmd(
        project: str = typer.Argument(..., help="Project name."),
        out: Path = typer.Option(..., "--out", help="Gold JSON Lines to write (reads with `stigmascope train "
                                 "--data`)."),
        min_annotators: int = typer.Option(2, "--min-annotators", help="Annotators an unadjudicated document needs."),
        majority: bool = typer.Option(False, "--majority", help="Resolve untied disagreements by majority vote."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Write the project's gold labels (adjudicated or agreed) with provenance."""
        from annotation.export import export_gold

        res = export_gold(_open(db), project, out, min_annotators=min_annotators, majority_vote=majority)
        typer.echo(f"{res['written']} gold documents written to {res['path']} ({res['adjudicated']} adjudicated, "
                   f"{res['unanimous']} unanimous, {res['single']} single, {res['majority']} majority); left out: "
                   f"{res['unresolved']} unresolved disagreements, {res['too_few']} with too few annotators")

    @ann.command("agreement")
    def agreement_cmd(
        project: str = typer.Argument(..., help="Project name."),
        json_out: bool = typer.Option(False, "--json", help="Print everything as JSON."),
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
    ) -> None:
        """Krippendorff's alpha per facet and label, Cohen's kappa per annotator pair."""
        from annotation.review import agreement_report

        res = agreement_report(_open(db), project)
        if json_out:
            import json

            typer.echo(json.dumps(res, ensure_ascii=False, indent=2))
            return
        typer.echo(f"{res['documents_multi']} documents with 2+ annotators; annotators: {', '.join(res['annotators'])}")
        for facet, c in res["facets"].items():
            typer.echo(f"  {facet:<12} alpha {c['alpha'] if c['alpha'] is not None else 'n/a':>6}  "
                       f"units {c['n_units']:>4}  observed {c['percent_agreement']}")

    @ann.command("serve")
    def serve_cmd(
        db: str = typer.Option(DEFAULT_DB, "--db", help=_DB_HELP),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8765, "--port", help="Port."),
        config: Optional[Path] = typer.Option(None, "--config", help="Server settings (TOML/YAML): session_hours, "
                                              "cookie_secure, sqlite_synchronous, …"),
    ) -> None:
        """Serve the annotation web tool."""
        from annotation.config import AnnotateConfig
        from annotation.server import serve
        from stigmascope.config import load_config

        serve(db, host=host, port=port, config=load_config(AnnotateConfig, config))
