"""Markdown and HTML reports from metrics (from predictions files: no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.config import EvaluateConfig
from evaluation.evaluate import evaluate
from evaluation.report import build_blocks, fmt, fmt_ci, render_html, render_markdown


@pytest.fixture(scope="module")
def metrics(small_gold: Path, small_pred: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("report")
    m = evaluate(small_gold, predictions=[small_pred], out=out, config=EvaluateConfig(bootstrap=200, shift=True,
                 shift_repeats=5, shift_sample_size=20), progress=False)
    return m, out


def test_files_written(metrics: tuple[dict, Path]) -> None:
    m, out = metrics
    names = {p.name for p in out.iterdir()}
    assert {"metrics.json", "report.md", "report.html", "predictions_small_pred.jsonl"} <= names
    assert {"small_pred_pr_stance.png", "small_pred_reliability_stereotype.png"} <= names
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 2000
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["schema"] == m["schema"]


def test_markdown_tables_hold_the_metrics(metrics: tuple[dict, Path]) -> None:
    m, out = metrics
    md = (out / "report.md").read_text(encoding="utf-8")
    s = m["systems"]["small_pred"]
    assert "# Evaluation on small_gold" in md
    assert f"| stereotype.dirt | 1 | 2 | {fmt_ci(0.5, s['per_label']['stereotype.dirt']['ci']['precision'])}" in md
    assert "| stigmatizing | 0 | 0 | 0 | 1 |" in md  # stance confusion row
    assert "Gated facets" in md and "gold-relevant" in md
    assert "FN d4" in md and "控制人口" in md  # worst errors with cue words
    assert "![reliability stance](small_pred_reliability_stance.png)" in md


def test_html_escapes_document_text(small_gold: Path, small_pred: Path) -> None:
    m = evaluate(small_gold, predictions=[small_pred], out=None, config=EvaluateConfig(bootstrap=0), progress=False)
    # a hostile document text ends up in the error list: it must be shown as text
    m["systems"]["small_pred"]["errors"]["relevant"]["false_positives"][0]["text"] = "<script>alert(1)</script>外地人"
    page = render_html(build_blocks(m))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;外地人" in page
    assert render_markdown(build_blocks(m)).count("| system |") == 1


def test_no_bootstrap_means_no_intervals(small_gold: Path, small_pred: Path) -> None:
    m = evaluate(small_gold, predictions=[small_pred], config=EvaluateConfig(bootstrap=0), progress=False)
    s = m["systems"]["small_pred"]
    assert "ci" not in s["per_label"]["relevant"] and "macro_f1_ci" not in s["overall"]
    assert m["scoring"]["intervals"].startswith("none")


@pytest.mark.parametrize("value, ci, expected", [(None, None, "—"), (0.5, None, "0.500"), (0.8333, [0.5, 1.0],
                                                 "0.833 [0.50, 1.00]"), (3, None, "3")])
def test_formatting(value: object, ci: list[float] | None, expected: str) -> None:
    assert fmt_ci(value, ci) == expected if ci is not None or value is None else fmt(value) == expected
