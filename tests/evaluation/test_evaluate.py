"""End to end: real models trained by the real code, evaluated through the engine and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluation.config import EvaluateConfig
from evaluation.evaluate import evaluate, evaluate_shift
from stigmascope.config import load_config
from stigmascope.errors import ConfigError

CFG = EvaluateConfig(bootstrap=200, shift=True, shift_repeats=10, shift_sample_size=40, shift_prevalences=(0.1, 0.5))


def _app():
    from stigmascope.cli import build_app

    return build_app()


@pytest.fixture(scope="module")
def two_models(baseline_model: Path, tiny_fast_model: Path, mini_corpus: Path,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("eval-two")
    m = evaluate(mini_corpus, models=[baseline_model, tiny_fast_model], out=out, config=CFG, progress=False)
    return m, out


@pytest.mark.slow
def test_two_models_end_to_end(two_models: tuple[dict, Path], mini_corpus: Path) -> None:
    m, out = two_models
    names = list(m["systems"])
    assert len(names) == 2 and names[0].startswith("baseline-") and names[1].startswith("fast-")
    assert m["gold"]["n_docs"] == 60
    for name in names:
        s = m["systems"][name]
        assert s["system"]["source"] == "model" and s["system"]["cascade"] is True
        assert 0.0 <= s["relevance"]["f1"] <= 1.0
        assert set(s["per_facet"]) == {"relevance", "stereotype", "exclusion", "practice", "stance"}
        assert "stance" in s["confusion"] and sum(map(sum, s["confusion"]["stance"]["matrix"])) == 44
        assert set(s["prevalence"]["per_key"]) >= {"relevant", "stance.supportive"}
        assert (out / s["files"]["predictions"]).exists()
        assert (out / s["files"]["reliability"]["stance"]).exists()
        listed = {x["id"] for e in s["errors"].values() for x in e["false_positives"]}
        assert s["system"]["evidence_docs"] == len(listed)  # evidence computed only for the listed FPs
        for e in s["errors"].values():
            for x in e["false_positives"]:
                assert all(span["source"] in ("lexicon", "occlusion") and span["text"] for span in x["evidence"])
    cmp = m["comparison"][0]
    assert (cmp["a"], cmp["b"]) == tuple(names)
    assert 0 < cmp["overall"]["p_value"] <= 1
    assert cmp["overall"]["diff"] == pytest.approx(cmp["overall"]["b"] - cmp["overall"]["a"], abs=1e-3)
    assert (out / "report.md").read_text(encoding="utf-8").count("## System:") == 2


@pytest.mark.slow
def test_metrics_agree_with_scikit_learn_on_the_written_predictions(two_models: tuple[dict, Path],
                                                                    mini_corpus: Path) -> None:
    """Recompute relevance and one label's F1 from the saved predictions with scikit-learn."""
    from sklearn.metrics import f1_score, precision_score

    m, out = two_models
    gold = {json.loads(x)["id"]: json.loads(x)["labels"] for x in mini_corpus.read_text(encoding="utf-8").splitlines()}
    for s in m["systems"].values():
        rows = [json.loads(x) for x in (out / s["files"]["predictions"]).read_text(encoding="utf-8").splitlines()]
        y = np.array([gold[r["id"]]["relevant"] for r in rows])
        d = np.array([r["relevant"] for r in rows])
        assert s["relevance"]["f1"] == pytest.approx(f1_score(y, d), abs=1e-4)
        if d.any():
            assert s["relevance"]["precision"] == pytest.approx(precision_score(y, d), abs=1e-4)
        rel = [i for i, r in enumerate(rows) if gold[r["id"]]["relevant"]]
        yg = np.array([gold[rows[i]["id"]].get("stance") == "supportive" for i in rel])
        dg = np.array([rows[i]["stance"] == "supportive" for i in rel])
        assert s["per_label"]["stance.supportive"]["f1"] == pytest.approx(f1_score(yg, dg), abs=1e-4)


@pytest.mark.slow
def test_evaluating_the_saved_predictions_gives_the_same_point_figures(two_models: tuple[dict, Path],
                                                                       mini_corpus: Path) -> None:
    m, out = two_models
    name = next(iter(m["systems"]))
    again = evaluate(mini_corpus, predictions=[out / m["systems"][name]["files"]["predictions"]],
                     config=EvaluateConfig(bootstrap=200), progress=False)
    s1, s2 = m["systems"][name], next(iter(again["systems"].values()))
    assert s1["per_label"] == s2["per_label"]
    assert s1["overall"] == s2["overall"]  # same seed, same documents: same resamples too


@pytest.mark.slow
def test_cli_evaluate_two_models(baseline_model: Path, tiny_fast_model: Path, mini_corpus: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["evaluate", "--gold", str(mini_corpus), "--model", str(baseline_model),
                                      "--model", str(tiny_fast_model), "--out", str(tmp_path), "--bootstrap", "100",
                                      "--no-evidence", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "paired bootstrap p" in res.output and "60 documents" in res.output
    m = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert m["config"]["bootstrap"] == 100 and m["config"]["evidence"] is False
    assert len(m["comparison"]) == 1


def test_cli_evaluate_predictions(small_gold: Path, small_pred: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["evaluate", "--gold", str(small_gold), "--pred", str(small_pred),
                                      "--out", str(tmp_path), "--bootstrap", "100", "--quiet"])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert m["systems"]["small_pred"]["relevance"]["f1"] == pytest.approx(5 / 6, abs=1e-4)
    assert (tmp_path / "report.html").exists()


def test_cli_requires_gold() -> None:
    res = CliRunner().invoke(_app(), ["evaluate"])
    assert res.exit_code != 0 and isinstance(res.exception, ConfigError)
    assert "--gold is required" in str(res.exception)


def test_cli_agreement(small_gold: Path, tmp_path: Path) -> None:
    other = tmp_path / "second.jsonl"
    rows = [json.loads(x) for x in small_gold.read_text(encoding="utf-8").splitlines()]
    rows[0]["labels"]["stance"] = "stigmatizing"
    other.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "agreement.json"
    res = CliRunner().invoke(_app(), ["evaluate", "agreement", str(small_gold), str(other), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["facets"]["relevance"]["alpha"] == 1.0
    assert data["facets"]["stance"]["alpha"] < 1.0 and data["pairs"][0]["facets"]["stance"]["kappa"] < 1.0
    assert data["disagreements"] == {"stance.stigmatizing": ["d1"], "stance.neutral": ["d1"]}


def test_cli_shift_from_predictions(small_gold: Path, small_pred: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["evaluate", "shift", "--gold", str(small_gold), "--pred", str(small_pred),
                                      "--out", str(tmp_path), "--repeats", "5", "--quiet"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "shift.json").read_text(encoding="utf-8"))
    assert data["shift"]["keys"] == {}  # eight documents: no label has 6 positives and 6 negatives
    assert "relevant" in data["shift"]["skipped"]
    assert (tmp_path / "shift.md").exists()


@pytest.mark.slow
def test_shift_on_a_model(baseline_model: Path, mini_corpus: Path, tmp_path: Path) -> None:
    res = evaluate_shift(mini_corpus, model=baseline_model, out=tmp_path,
                         config=EvaluateConfig(shift_repeats=10, shift_sample_size=50, shift_prevalences=(0.1, 0.3)))
    assert "relevant" in res["shift"]["keys"]
    assert set(res["shift"]["summary"]["mae"]["0.1"]) >= {"cc", "acc", "pcc", "pacc", "acc_stored"}
    assert (tmp_path / "shift.png").read_bytes()[:4] == b"\x89PNG"


def test_help_starts_without_heavy_imports() -> None:
    code = ("import sys; from stigmascope.cli import main\n"
            "try:\n    main(['evaluate', '--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'sklearn', 'pandas', 'matplotlib', 'krippendorff') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=False)
    assert "--gold" in res.stdout
    assert "HEAVY []" in res.stdout


@pytest.mark.parametrize("overrides, match", [
    ({"bootstrap": 10}, "too few"),
    ({"level": 1.0}, "level"),
    ({"length_edges": [150, 50]}, "increasing"),
    ({"backend": "gpu"}, "backend"),
    ({"shift_prevalences": [0.0]}, "prevalences"),
    ({"bootstrapp": 100}, "did you mean 'bootstrap'"),
])
def test_config_validation(overrides: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(EvaluateConfig, overrides)
