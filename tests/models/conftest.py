"""Fixtures of the model tests: a tiny randomly initialised BERT built here (no network), the mini
corpus, an isolated cache folder, and models trained once per session by the real training code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini_corpus.jsonl"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point ``STIGMASCOPE_HOME`` (embedding cache, ONNX exports, models) at a temporary folder."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("stigmascope-home")
        mp.setenv("STIGMASCOPE_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def mini_corpus() -> Path:
    return MINI


@pytest.fixture(scope="session")
def tiny_encoder(build_tiny_bert) -> Path:
    """A 2-layer, 32-wide BERT with a character WordPiece vocabulary of the fixture texts."""
    texts = [json.loads(line)["text"] for line in MINI.read_text(encoding="utf-8").splitlines() if line.strip()]
    extra = "的了是在有人这个们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感"
    return build_tiny_bert("".join(texts) + extra + "query:abcdefghijklmnopqrstuvwxyz0123456789…")


@pytest.fixture(scope="session")
def fast_model(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained with the fast preset on the mini corpus (tiny encoder)."""
    from models.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("models") / "fast"
    train_model(MINI, out, config=TrainConfig(preset="fast", base=str(tiny_encoder), epochs=30), progress=False)
    return out


@pytest.fixture(scope="session")
def baseline_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF-IDF + logistic-regression model trained on the mini corpus."""
    from models.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("models") / "baseline"
    train_model(MINI, out, config=TrainConfig(preset="baseline"), progress=False)
    return out
