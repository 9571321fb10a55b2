from __future__ import annotations

from pathlib import Path

import pytest

from models.encoders import default_encoder_dir, encoder_info, resolve_encoder
from stigmascope.errors import ModelError


def test_default_is_converted_once_and_cached(tmp_path, monkeypatch):
    path = resolve_encoder(None, quiet=True)
    assert Path(path) == default_encoder_dir()
    info = encoder_info(path)
    assert info["pooling"] == "mean" and info["prefix"] == "query: "
    assert 90_000 < info["pieces_kept"] < info["pieces_total"] == 250002
    before = (Path(path) / "model.safetensors").stat().st_mtime
    assert resolve_encoder("default", quiet=True) == path
    assert (Path(path) / "model.safetensors").stat().st_mtime == before


def test_local_folder_passes_through(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert resolve_encoder(str(tmp_path)) == str(tmp_path)


def test_local_folder_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        resolve_encoder(str(tmp_path))


def test_hub_names_pass_through_untouched():
    assert resolve_encoder("hfl/chinese-roberta-wwm-ext") == "hfl/chinese-roberta-wwm-ext"
