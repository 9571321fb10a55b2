"""Training presets end to end on the mini corpus with a tiny encoder: fast, full (+ resume), baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models.layout import LabelLayout
from models.progress import Reporter
from models.taxonomy import load_taxonomy
from models.train import Preset, TrainConfig, train_model
from stigmascope.config import load_config
from stigmascope.errors import ConfigError, InputError

EXPECTED_FILES = {"config.json", "model.safetensors", "tokenizer.json", "taxonomy.yaml", "thresholds.json",
                  "error_rates.json", "training_config.json", "metrics.json", "README.md"}


def test_fast_model_directory(fast_model: Path) -> None:
    assert EXPECTED_FILES <= {p.name for p in fast_model.iterdir()}
    cfg = json.loads((fast_model / "config.json").read_text(encoding="utf-8"))
    keys = load_taxonomy().score_keys()
    assert cfg["kind"] == "transformer" and cfg["preset"] == "fast" and cfg["score_keys"] == keys
    assert cfg["window"]["max_length"] == 128  # capped at the tiny encoder's position embeddings
    thresholds = json.loads((fast_model / "thresholds.json").read_text(encoding="utf-8"))
    assert set(thresholds) == set(keys) and all(0.0 <= v <= 1.0 for v in thresholds.values())
    rates = json.loads((fast_model / "error_rates.json").read_text(encoding="utf-8"))
    assert rates["relevant"]["measured_on"] == "test"
    # the fixture's test split: 9 relevant, 3 not; rates are measured on the documents the prefilter passes
    gate = rates["relevant"]
    assert gate["n_pos"] + gate["n_neg"] + gate["n_skipped_by_prefilter"] == 12 and gate["n_pos"] == 9
    assert gate["n_neg"] == 1 and gate["n_skipped_by_prefilter"] == 2 and "prefilter passes" in gate["population"]
    assert gate["soft_tpr"] is not None and 0.0 <= gate["soft_fpr"] <= 1.0
    metrics = json.loads((fast_model / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test"]["n_docs"] == 12 and 0.0 <= metrics["test"]["macro_f1"] <= 1.0
    assert metrics["label_counts"]["train"]["relevant"] == 26
    assert metrics["history"] and metrics["history"][0]["epoch"] == 1
    card = (fast_model / "README.md").read_text(encoding="utf-8")
    assert "Test-split metrics" in card and "stereotype.dirt" in card and cfg["model_id"] in card
    assert not any(p.name.startswith(".") for p in fast_model.parent.iterdir())  # no staging leftovers


def test_embeddings_are_cached(tiny_encoder: Path, mini_corpus: Path, tmp_path: Path, isolated_home: Path) -> None:
    import sqlite3

    cfg = TrainConfig(preset="fast", base=str(tiny_encoder), epochs=2, max_length=64)
    train_model(mini_corpus, tmp_path / "a", config=cfg, progress=False)
    con = sqlite3.connect(isolated_home / "embeddings.sqlite")
    n = con.execute("SELECT count(*) FROM emb").fetchone()[0]
    train_model(mini_corpus, tmp_path / "b", config=cfg, progress=False)
    assert con.execute("SELECT count(*) FROM emb").fetchone()[0] == n >= 60


def test_baseline_model(baseline_model: Path) -> None:
    names = {p.name for p in baseline_model.iterdir()}
    assert {"vocab.json", "model.safetensors", "thresholds.json", "error_rates.json", "README.md"} <= names
    assert "tokenizer.json" not in names
    cfg = json.loads((baseline_model / "config.json").read_text(encoding="utf-8"))
    assert cfg["kind"] == "baseline" and cfg["preset"] == "baseline"


class _Interrupt(Exception):
    pass


class _StopAt(Reporter):
    """Interrupts training after a number of steps, like a killed process; records notes."""

    def __init__(self, stop_at: int | None) -> None:
        super().__init__(enabled=False)
        self.stop_at, self.notes = stop_at, []

    def note(self, message: str) -> None:
        self.notes.append(message)

    def task(self, description, total):  # noqa: ANN001, ANN201
        from contextlib import contextmanager

        @contextmanager
        def run():
            done = [0]

            def advance(n: int = 1) -> None:
                done[0] += n
                if self.stop_at is not None and "fine-tuning" in description and done[0] >= self.stop_at:
                    raise _Interrupt()
            yield advance
        return run()


@pytest.mark.slow
def test_full_preset_trains_and_resumes(tiny_encoder: Path, mini_corpus: Path, tmp_path: Path) -> None:
    from models.finetune import fit_full
    from models.trainset import load_labelled

    tax = load_taxonomy()
    lay = LabelLayout(tax)
    data = load_labelled(mini_corpus, tax)
    cfg = TrainConfig(preset="full", base=str(tiny_encoder), epochs=2, batch_size=8, checkpoint_every=2,
                      evals_per_epoch=1, max_length=48)
    ckpt = tmp_path / "ckpt"
    (tmp_path / "s1").mkdir()
    with pytest.raises(_Interrupt):
        fit_full(data, lay, cfg, tmp_path / "s1", _StopAt(3), checkpoint_dir=ckpt)
    assert (ckpt / "checkpoint.pt").exists()
    rep = _StopAt(None)
    (tmp_path / "s2").mkdir()
    fields = fit_full(data, lay, cfg, tmp_path / "s2", rep, checkpoint_dir=ckpt)
    assert any("resuming full fine-tuning from step 2" in n for n in rep.notes)
    steps = [h["step"] for h in fields["history"]["finetune"]]
    assert steps == [0, 5, 10]  # the fitted heads (step 0), then 36 docs / 8 = 5 steps per epoch, one eval each
    assert fields["pool_layers"] == [1, 2]  # the tiny encoder's two layers, concatenated
    assert not ckpt.exists()  # checkpoints are removed after success
    assert (tmp_path / "s2" / "model.safetensors").exists()


@pytest.mark.slow
def test_full_preset_model_dir(tiny_encoder: Path, mini_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "full"
    res = train_model(mini_corpus, out, config=TrainConfig(preset="full", base=str(tiny_encoder), epochs=1,
                                                           max_length=48), progress=False)
    cfg = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert cfg["preset"] == "full" and cfg["window"]["max_length"] == 48
    assert res["metrics"]["test"]["n_docs"] == 12
    history = res["metrics"]["history"]
    assert history["heads_on_frozen_encoder"] and history["finetune"][0]["step"] == 0


def test_unknown_label_in_training_data(tmp_path: Path, mini_corpus: Path) -> None:
    lines = mini_corpus.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[20])
    row["labels"]["stereotype"] = ["laziness"]
    lines[20] = json.dumps(row, ensure_ascii=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        train_model(bad, tmp_path / "out", config=TrainConfig(preset="baseline"), progress=False)
    msg = str(err.value)
    assert f"{bad}:21" in msg and "laziness" in msg and "--taxonomy" in msg
    assert not (tmp_path / "out").exists()


def test_too_little_data(tmp_path: Path, mini_corpus: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(mini_corpus.read_text(encoding="utf-8").splitlines()[:5]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="too few labelled documents"):
        train_model(small, tmp_path / "out", config=TrainConfig(preset="baseline"), progress=False)


@pytest.mark.parametrize("kwargs, msg", [
    ({"preset": "huge"}, "preset must be one of"),
    ({"pooling": "max"}, "pooling"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"backend": "tensorrt"}, "tensorrt"),
])
def test_config_validation(kwargs: dict, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        TrainConfig(**kwargs)


def test_preset_defaults_and_config_file(tmp_path: Path) -> None:
    assert TrainConfig().preset is Preset.fast and TrainConfig().max_length == 256
    assert TrainConfig(preset="full").epochs == 8 and TrainConfig(preset="full").patience == 6 and TrainConfig(preset="full").init_heads
    f = tmp_path / "train.toml"
    f.write_text('preset = "full"\nepochs = 2\n', encoding="utf-8")
    assert load_config(TrainConfig, f).epochs == 2
    f.write_text("epoch = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'epochs'"):
        load_config(TrainConfig, f)


def test_missing_training_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="training data not found"):
        train_model(tmp_path / "nope.jsonl", tmp_path / "out", progress=False)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("preset, given, layers, expected", [
    ("fast", None, 12, [6, 9, 12]),
    ("full", None, 12, [6, 9, 12]),
    ("fast", None, 2, [1, 2]),
    ("fast", [12], 12, None),          # the last layer alone is the plain pooled output
    ("fast", [4, 12], 12, [4, 12]),
])
def test_resolve_layers(preset: str, given, layers: int, expected) -> None:
    from types import SimpleNamespace

    from models.train import resolve_layers

    enc = SimpleNamespace(config=SimpleNamespace(num_hidden_layers=layers))
    assert resolve_layers(TrainConfig(preset=preset, pool_layers=given), enc) == expected


def test_resolve_layers_rejects_too_deep() -> None:
    from types import SimpleNamespace

    from models.train import resolve_layers

    with pytest.raises(ConfigError, match="beyond the encoder's 6 layers"):
        resolve_layers(TrainConfig(pool_layers=[8]), SimpleNamespace(config=SimpleNamespace(num_hidden_layers=6)))
