"""The inference engine: output rows per CONTRACTS.md, the cascade, bad input, backends, evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.cascade import EMPTY_REASON, SKIP_REASON
from models.infer import Engine, InferConfig

ROW_KEYS = {"id", "date", "city", "city_source", "relevant", "stereotype", "exclusion", "practice", "stance",
            "scores", "evidence", "skip_reason"}

DOCS = [
    {"id": "1", "text": "十几名农民工讨薪无果，包工头已经拖欠工资半年。", "date": "2024-01-05", "city": "深圳"},
    {"id": "2", "text": "市气象台发布暴雨黄色预警，提醒市民减少外出。", "date": "2024-01-06"},
    {"id": "3", "text": "   "},
    {"id": "4", "text": "外来务工人员子女入学难。" * 9000},  # ~100k characters
    {"id": "5", "text": "外地人素质太低了，在地铁上随地吐痰。", "city": None, "city_source": "text"},
]


@pytest.fixture(scope="module")
def engine(fast_model: Path) -> Engine:
    return Engine.load(fast_model, InferConfig(backend="torch"))


def test_rows_follow_the_contract(engine: Engine) -> None:
    rows = list(engine.classify(DOCS))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5"]
    for r in rows:
        assert set(r) == ROW_KEYS
        assert isinstance(r["relevant"], bool)
        assert all(isinstance(r[f], list) for f in ("stereotype", "exclusion", "practice"))
        assert r["stance"] is None or r["stance"] in {"stigmatizing", "neutral", "supportive"}
    assert rows[0]["date"] == "2024-01-05" and rows[0]["city"] == "深圳" and rows[0]["city_source"] == "metadata"
    assert rows[4]["city_source"] == "text" and rows[1]["city_source"] == "none"
    scored = rows[0]["scores"]
    assert list(scored) == engine.model.layout.keys and all(0.0 <= v <= 1.0 for v in scored.values())


def test_cascade_and_empty_text(engine: Engine) -> None:
    rows = engine.classify_chunk(DOCS[:3])
    assert rows[1]["skip_reason"] == SKIP_REASON and rows[1]["relevant"] is False and rows[1]["scores"] == {}
    assert rows[1]["stance"] is None and rows[1]["evidence"] == {}
    assert rows[2]["skip_reason"] == EMPTY_REASON and rows[2]["scores"] == {}
    assert rows[0]["skip_reason"] is None and rows[0]["scores"]


def test_without_cascade_every_text_is_scored(fast_model: Path) -> None:
    eng = Engine.load(fast_model, InferConfig(backend="torch", cascade=False, evidence=False))
    rows = eng.classify_chunk(DOCS[:3])
    assert rows[1]["skip_reason"] is None and len(rows[1]["scores"]) == 20
    assert rows[2]["skip_reason"] == EMPTY_REASON


def test_long_text_is_windowed(engine: Engine) -> None:
    row = engine.classify_chunk([DOCS[3]])[0]
    assert row["skip_reason"] is None and len(row["scores"]) == 20


def test_labels_follow_thresholds_and_gate(engine: Engine) -> None:
    rows = engine.classify_chunk(DOCS)
    lay, th = engine.model.layout, engine.model.thresholds
    for r in rows:
        if not r["scores"]:
            continue
        s = np.array([r["scores"][k] for k in lay.keys])
        expect = lay.to_labels(lay.decide(s[None, :], th))[0]
        assert {k: r[k] for k in expect} == expect
        if not r["relevant"]:
            assert r["stereotype"] == r["exclusion"] == r["practice"] == [] and r["stance"] is None


def test_evidence_spans_point_into_the_text(engine: Engine) -> None:
    rows = engine.classify_chunk(DOCS)
    for doc, r in zip(DOCS, rows):
        predicted = {k for k, v in r["scores"].items()} if r["relevant"] else set()
        for key, spans in r["evidence"].items():
            assert key in predicted
            for sp in spans:
                assert doc["text"][sp["start"]: sp["end"]] == sp["text"] and sp["source"] in ("lexicon", "occlusion")


def test_no_evidence_option(fast_model: Path) -> None:
    eng = Engine.load(fast_model, InferConfig(backend="torch", evidence=False))
    assert all(r["evidence"] == {} for r in eng.classify_chunk(DOCS))


@pytest.mark.parametrize("backend, tol", [("onnx", 1e-4), ("torch-int8", 0.15), ("onnx-int8", 0.15)])
def test_backends_agree_with_fp32(fast_model: Path, backend: str, tol: float) -> None:
    ref = Engine.load(fast_model, InferConfig(backend="torch", evidence=False)).classify_chunk(DOCS)
    got = Engine.load(fast_model, InferConfig(backend=backend, evidence=False)).classify_chunk(DOCS)
    for a, b in zip(ref, got):
        assert a["skip_reason"] == b["skip_reason"]
        for k in a["scores"]:
            assert abs(a["scores"][k] - b["scores"][k]) <= tol


def test_baseline_through_the_engine(baseline_model: Path) -> None:
    rows = Engine.load(baseline_model, InferConfig()).classify_chunk(DOCS)
    assert all(set(r) == ROW_KEYS for r in rows)
    assert rows[0]["relevant"] is True and rows[1]["skip_reason"] == SKIP_REASON


@pytest.mark.parametrize("kwargs", [{"backend": "gpu"}, {"chunk_size": 0}, {"evidence_units": 1}])
def test_infer_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        InferConfig(**kwargs)
