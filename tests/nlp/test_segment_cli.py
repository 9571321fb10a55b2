"""``stigmascope segment``: stdin, files, options, errors (CliRunner and a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from stigmascope.cli import build_app

runner = CliRunner()


def test_stdin() -> None:
    result = runner.invoke(build_app(), ["segment"], input="很多随迁子女只能去打工子弟学校\n积分落户\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "很多 随迁子女 只能 去 打工子弟学校\n积分落户\n"


def test_dash_file_and_options(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("积分落户\n低端人口\n", encoding="utf-8")
    out = runner.invoke(build_app(), ["segment", str(src), "--backend", "jieba", "--no-domain-dict"])
    assert out.exit_code == 0, out.output
    assert out.stdout == "积分 落户\n低端 人口\n"
    extra = tmp_path / "mine.txt"
    extra.write_text("好景常在 5000\n", encoding="utf-8")
    out = runner.invoke(build_app(), ["segment", "-", "--user-dict", str(extra)], input="好景常在\n")
    assert out.stdout == "好景常在\n"


def test_errors_are_one_line() -> None:
    from stigmascope.cli import main

    proc = subprocess.run([sys.executable, "-c", "from stigmascope.cli import main; main(['segment', '/no/such'])"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: /no/such: input file not found; pass an existing file or '-' for standard input"
    assert callable(main)


def test_subprocess_streams_stdin() -> None:
    proc = subprocess.run([sys.executable, "-m", "stigmascope", "segment", "--backend", "rjieba"],
                          input="外来务工人员\n农民工 讨薪\n", capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "外来务工人员\n农民工 讨薪\n"
