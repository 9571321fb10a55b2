"""Model directories: loading validates every file; corrupt or missing pieces give a clear ModelError."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.modeldir import load_model, validate_model_dir
from models.taxonomy import default_taxonomy_path
from stigmascope.errors import ModelError

TEXTS = ["工地老板拖欠农民工工资半年，工人们去讨薪。", "外地人素质太低，随地吐痰。"]


@pytest.fixture()
def model_copy(fast_model: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "model"
    shutil.copytree(fast_model, dest)
    return dest


def test_load_and_score_is_deterministic(fast_model: Path) -> None:
    a = load_model(fast_model, backend="torch")
    b = load_model(fast_model, backend="torch")
    assert a.kind == "transformer" and a.model_id.startswith("fast-")
    sa, sb = a.scorer.score(TEXTS), b.scorer.score(TEXTS)
    assert sa.shape == (2, 20) and ((sa >= 0) & (sa <= 1)).all()
    np.testing.assert_allclose(sa, sb, atol=1e-6)
    assert set(a.thresholds) == set(a.layout.keys)


def test_baseline_loads(baseline_model: Path) -> None:
    m = load_model(baseline_model)
    s = m.scorer.score(TEXTS)
    assert m.kind == "baseline" and s.shape == (2, 20)
    assert s[0, m.layout.index["relevant"]] > 0.5  # 农民工 appears in many relevant training texts


def _corrupt_weights(d: Path) -> None:
    data = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(b"\x00\x10garbage" + data[100:400])


def _drop(name: str):
    return lambda d: (d / name).unlink()


def _edit_json(name: str, fn):
    def edit(d: Path) -> None:
        obj = json.loads((d / name).read_text(encoding="utf-8"))
        (d / name).write_text(json.dumps(fn(obj)), encoding="utf-8")
    return edit


@pytest.mark.parametrize("damage, message", [
    (_corrupt_weights, "corrupt or truncated"),
    (_drop("thresholds.json"), "missing ['thresholds.json']"),
    (_drop("tokenizer.json"), "missing ['tokenizer.json']"),
    (_drop("config.json"), "no config.json"),
    (_edit_json("thresholds.json", lambda o: {**o, "relevant": 7}), "thresholds.json: needs a number in [0, 1]"),
    (_edit_json("config.json", lambda o: {**o, "format_version": 99}), "newer than this stigmascope"),
    (_edit_json("config.json", lambda o: {**o, "score_keys": o["score_keys"][:-1]}), "does not match"),
    (lambda d: (d / "error_rates.json").write_text("{not json", encoding="utf-8"), "not valid JSON"),
    (lambda d: (d / "taxonomy.yaml").write_text("facets: 3\n", encoding="utf-8"), "taxonomy.yaml"),
])
def test_damaged_directory(model_copy: Path, damage, message: str) -> None:
    damage(model_copy)
    with pytest.raises(ModelError) as err:
        load_model(model_copy)
    assert message in str(err.value)
    assert "stigmascope train" in str(err.value) or "upgrade stigmascope" in str(err.value)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model directory not found"):
        validate_model_dir(tmp_path / "nope")


def test_taxonomy_must_match(fast_model: Path, tmp_path: Path) -> None:
    text = default_taxonomy_path().read_text(encoding="utf-8")
    other = tmp_path / "tax.yaml"
    other.write_text(text.replace("      - id: burden\n", "      - id: laziness\n        name: {zh: 懒惰, en: laziness}\n"
                                  "      - id: burden\n"), encoding="utf-8")
    with pytest.raises(ModelError, match="different taxonomy"):
        load_model(fast_model, taxonomy=other)
    assert load_model(fast_model, taxonomy=default_taxonomy_path(), backend="torch").kind == "transformer"
