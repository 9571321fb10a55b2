"""Reading a model directory's error rates, metrics and card (never its weights)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stigmascope.errors import ModelError
from trends.modelinfo import read_model_info


def test_reads_a_trained_model(model_dir: Path) -> None:
    info = read_model_info(model_dir)
    assert info.model_id == json.loads((model_dir / "config.json").read_text())["model_id"]
    assert set(info.error_rates) == set(info.taxonomy.score_keys())
    gate = info.rates("relevant")
    assert gate.n_pos + gate.n_neg > 0 and gate.measured_on == "test"
    assert info.metrics["test"]["relevance_f1"] == pytest.approx(info.metrics["test"]["per_label"]["relevant"]["f1"])
    assert info.card.startswith("# stigmascope model") and set(info.thresholds) == set(info.taxonomy.score_keys())
    # the models stage records the soft rates the probabilistic correction needs
    assert info.has_soft_rates and gate.soft_tpr is not None and 0 <= gate.soft_fpr <= gate.soft_tpr <= 1


def test_no_model_means_no_rates() -> None:
    info = read_model_info(None)
    assert info.path is None and info.model_id is None and info.rates("relevant").tpr is None


@pytest.mark.parametrize("edit, message", [
    (lambda r: r.pop("stereotype.dirt"), r"no error rates for \['stereotype.dirt'\]"),
    (lambda r: r["relevant"].update(tpr=1.4), r"relevant.tpr: expected a rate in \[0, 1\]"),
    (lambda r: r.__setitem__("relevant", [0.9, 0.1]), "must be an object"),
])
def test_bad_error_rates_name_the_file_and_key(model_dir: Path, tmp_path: Path, edit, message: str) -> None:
    bad = tmp_path / "model"
    shutil.copytree(model_dir, bad)
    rates = json.loads((bad / "error_rates.json").read_text())
    edit(rates)
    (bad / "error_rates.json").write_text(json.dumps(rates))
    with pytest.raises(ModelError, match=message) as err:
        read_model_info(bad)
    assert "error_rates.json" in str(err.value)


def test_missing_directory_and_files(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ModelError, match="model directory not found"):
        read_model_info(tmp_path / "nope")
    partial = tmp_path / "partial"
    shutil.copytree(model_dir, partial)
    (partial / "error_rates.json").unlink()
    with pytest.raises(ModelError, match="cannot be corrected"):
        read_model_info(partial)
    (partial / "taxonomy.yaml").unlink()
    with pytest.raises(ModelError, match="no taxonomy.yaml"):
        read_model_info(partial)
