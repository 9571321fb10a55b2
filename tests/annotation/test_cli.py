"""`stigmascope annotate …`: each command end to end through the CLI, and errors as one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stigmascope.cli import build_app

DOCS = Path(__file__).parent / "fixtures" / "docs.jsonl"


@pytest.fixture
def run(tmp_path: Path):
    runner, app, db = CliRunner(), build_app(), str(tmp_path / "cli.sqlite")

    def invoke(*args: str, input: str | None = None):
        res = runner.invoke(app, ["annotate", *args, "--db", db], input=input)
        assert res.exit_code == 0, res.output + repr(res.exception)
        return res.output

    invoke.db = db
    return invoke


def test_annotate_commands(run, tmp_path: Path) -> None:
    assert "user boss (admin) created" in run("create-user", "boss", "--role", "admin", "--password-stdin",
                                                input="a boss password\n")
    run("create-user", "wang", "--password-stdin", input="wang password 1\n")
    out = run("create-project", "cli-p", "--overlap", "1", "--strategy", "uncertainty", "--member", "wang")
    assert "project cli-p created" in out and "members: wang" in out
    assert "wang: already in cli-p" in run("add-member", "cli-p", "wang")
    out = run("import", "cli-p", str(DOCS))
    assert "12 documents imported into cli-p; 0 already there; 4 rejected" in out
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "t-001", "relevant": True, "exclusion": ["employment"], "stance": "neutral",
                                "scores": {"relevant": 0.55}}) + "\n", encoding="utf-8")
    assert "1 predictions stored for cli-p; 0 rows" in run("predict", "cli-p", "--predictions", str(pred),
                                                           "--name", "m1")
    # label one document through the library, then export and agreement from the CLI
    from annotation.auth import Principal
    from annotation.db import Database
    from annotation.schema import Role
    from annotation.submit import claim, submit_annotation

    db = Database.open(run.db)
    who = Principal(2, "wang", Role.annotator, "s", "c")
    d = claim(db, who, 1)
    submit_annotation(db, who, 1, d, {"submission_id": uuid.uuid4().hex,
                                      "labels": {"relevant": True, "exclusion": ["employment"], "stance": "neutral"}})
    db.dispose()
    gold = tmp_path / "gold.jsonl"
    out = run("export", "cli-p", "--out", str(gold), "--min-annotators", "1")
    assert "1 gold documents written" in out and "1 single" in out
    assert json.loads(gold.read_text(encoding="utf-8"))["id"] == "t-001"   # uncertainty queue: t-001 first
    assert "0 documents with 2+ annotators" in run("agreement", "cli-p")


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "e.sqlite")
    res = subprocess.run([sys.executable, "-m", "stigmascope.cli", "annotate", "import", "nope", str(DOCS), "--db", db],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error: no project named 'nope'")
    assert len(res.stderr.strip().splitlines()) == 1
    res = subprocess.run([sys.executable, "-m", "stigmascope.cli", "annotate", "create-user", "x", "--password-stdin",
                          "--db", db], input="short\n", capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 2 and "password too short" in res.stderr
