"""The default model: keyed by corpus + taxonomy + encoder + code, trained once on first use, reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import corpora.annotated
import models.encoders
from models.default_model import default_model_dir, default_model_key, ensure_default_model
from models.taxonomy import default_taxonomy_path


@pytest.fixture()
def small_default(monkeypatch: pytest.MonkeyPatch, mini_corpus: Path, tiny_encoder: Path, tmp_path: Path) -> Path:
    """The default model's inputs pointed at the mini corpus and the tiny encoder, in a fresh home."""
    monkeypatch.setenv("STIGMASCOPE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(corpora.annotated, "default_corpus_path", lambda: mini_corpus)
    monkeypatch.setattr(models.encoders, "resolve_encoder", lambda name=None, quiet=False: str(tiny_encoder))
    return tmp_path


def test_key_depends_on_taxonomy(small_default: Path) -> None:
    k1 = default_model_key()
    assert k1 == default_model_key() and len(k1) == 12
    other = small_default / "tax.yaml"
    other.write_text(default_taxonomy_path().read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert default_model_key(other) != k1
    assert default_model_dir().name == f"default-{k1}"


def test_trained_once_then_reused(small_default: Path) -> None:
    first = ensure_default_model(progress=False)
    stamp = (first / "config.json").stat().st_mtime_ns
    model_id = json.loads((first / "config.json").read_text(encoding="utf-8"))["model_id"]
    again = ensure_default_model(progress=False)
    assert again == first and (again / "config.json").stat().st_mtime_ns == stamp
    assert model_id.startswith("fast-")
    (first / "thresholds.json").unlink()  # a broken cache is rebuilt, not used
    rebuilt = ensure_default_model(progress=False)
    assert (rebuilt / "thresholds.json").exists()


def test_classify_without_model_uses_default(small_default: Path) -> None:
    from models.classify import classify
    from models.infer import InferConfig

    feed = small_default / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "text": "农民工讨薪无果"}, ensure_ascii=False) + "\n", encoding="utf-8")
    s = classify(feed, out=small_default / "p.jsonl", progress=False, config=InferConfig(evidence=False))
    assert s["docs"] == 1 and s["model_id"] == json.loads(
        (default_model_dir() / "config.json").read_text(encoding="utf-8"))["model_id"]


def test_missing_corpus_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from stigmascope.errors import ModelError

    monkeypatch.setattr(corpora.annotated, "default_corpus_path", lambda: tmp_path / "corpus.jsonl")
    with pytest.raises(ModelError, match="python -m corpora.annotated build"):
        default_model_key()


@pytest.mark.slow
def test_real_default_model_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real first-use path: bundled corpus, bundled encoder (minutes on two cores)."""
    if not corpora.annotated.default_corpus_path().exists():
        pytest.skip("the bundled corpus is not built yet (python -m corpora.annotated build)")
    from models.classify import classify

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (
        {"id": "1", "text": "包工头拖欠农民工工资半年，工人们多次讨薪无果。"},
        {"id": "2", "text": "今天天气晴朗，适合出游。"})), encoding="utf-8")
    s = classify(feed, out=tmp_path / "p.jsonl", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert s["docs"] == 2 and rows[1]["skip_reason"] == "prefilter: no migrant referent"
    assert rows[0]["relevant"] is True and "employment" in rows[0]["exclusion"]
