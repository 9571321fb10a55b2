"""Fixtures of the evaluation tests.

- ``small_gold`` / ``small_rows``: eight hand-labelled documents and hand-made predictions whose metrics
  are computed by hand in the tests (see ``test_quality.py``);
- ``baseline_model`` / ``tiny_fast_model``: real models trained by the real training code on the models
  package's mini corpus (TF-IDF baseline; a 2-layer randomly initialised BERT built here, no network).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

MINI = Path(__file__).resolve().parents[1] / "models" / "fixtures" / "mini_corpus.jsonl"

#: id, text, source, date, gold labels, predicted labels (None = skipped by the prefilter), predicted-on score
SMALL: list[tuple[str, str, str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("d1", "公交车上几个刚下工的民工一身泥灰，旁边的人捂着鼻子换了座位，还嘀咕外地人就是不讲卫生。", "weibo", "2019-05-02",
     {"relevant": True, "stereotype": ["dirt"], "exclusion": ["discrimination"], "stance": "neutral"},
     {"relevant": True, "stereotype": ["dirt"], "stance": "neutral"}),
    ("d2", "工地老板年底卷款跑路，四十多名农民工的工钱一分没拿到，只好到劳动监察大队求助。", "news", "2020-01-15",
     {"relevant": True, "exclusion": ["employment"], "stance": "neutral"},
     {"relevant": True, "exclusion": ["employment"], "stance": "supportive"}),
    ("d3", "街道社工站每周六在城中村开设四点半课堂，给外来务工人员的孩子辅导作业。", "news", "2021-09-01",
     {"relevant": True, "practice": ["education", "partnership"], "stance": "supportive"},
     {"relevant": True, "practice": ["education"], "stance": "supportive"}),
    ("d4", "外地人太多了，挤占我们的医疗资源，早该控制人口。", "forum", "2018-03-08",
     {"relevant": True, "stereotype": ["burden"], "stance": "stigmatizing"},
     {"relevant": False}),
    ("d5", "今天上海气温回升，外滩游客明显增多，外地游客拍照排起了长队。", "weibo", "2022-04-10",
     {"relevant": False},
     {"relevant": True, "stance": "neutral"}),
    ("d6", "小区物业通知明天停水八小时，请各位业主提前储水。", "forum", "2022-06-30",
     {"relevant": False},
     None),
    ("d7", "积分落户门槛又提高了，在这干了十年的老乡还是拿不到户口，孩子上初中也成了难题。", "forum", "2023-07-20",
     {"relevant": True, "exclusion": ["hukou_welfare", "education"], "stance": "supportive"},
     {"relevant": True, "stereotype": ["dirt"], "exclusion": ["hukou_welfare"], "stance": "supportive"}),
    ("d8", "同乡会的老李帮工友们讨回了工伤赔偿，大家凑钱请他吃了顿饭。", "weibo", "2024-12-01",
     {"relevant": True, "exclusion": ["employment"], "practice": ["mutual_aid"], "stance": "supportive"},
     {"relevant": True, "exclusion": ["employment"], "practice": ["mutual_aid"], "stance": "neutral"}),
]


def _row(tax: Any, doc_id: str, text: str, pred: dict[str, Any] | None) -> dict[str, Any]:
    """A prediction row in the classify output shape; on-labels score 0.8 (0.3 for a missed relevance)."""
    row: dict[str, Any] = {"id": doc_id, "date": None, "city": None, "city_source": "none"}
    if pred is None:
        row.update({"relevant": False, "stereotype": [], "exclusion": [], "practice": [], "stance": None,
                    "scores": {}, "evidence": {}, "skip_reason": "prefilter: no migrant referent"})
        return row
    labels = tax.validate_labels(pred)
    row.update(labels)
    on: set[str] = set()
    for f in tax.gated_facets:
        value = labels[f.output_key]
        on.update(f.score_key(v) for v in ([value] if isinstance(value, str) else value or []))
    scores = {k: (0.8 if k in on else 0.1) for k in tax.score_keys()}
    scores["relevant"] = 0.8 if labels["relevant"] else 0.3
    row["scores"] = scores
    row["evidence"] = {k: [{"start": 0, "end": 4, "text": text[:4], "source": "occlusion"}] for k in on}
    row["skip_reason"] = None
    return row


@pytest.fixture(scope="session")
def small_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("gold") / "small_gold.jsonl"
    with p.open("w", encoding="utf-8") as fh:
        for doc_id, text, source, date, gold, _ in SMALL:
            fh.write(json.dumps({"id": doc_id, "text": text, "date": date, "city": None, "source": source,
                                 "outlet": None, "labels": gold}, ensure_ascii=False) + "\n")
    return p


@pytest.fixture(scope="session")
def small_rows() -> list[dict[str, Any]]:
    from models.taxonomy import load_taxonomy

    tax = load_taxonomy()
    return [_row(tax, doc_id, text, pred) for doc_id, text, _, _, _, pred in SMALL]


@pytest.fixture(scope="session")
def small_pred(tmp_path_factory: pytest.TempPathFactory, small_rows: list[dict[str, Any]]) -> Path:
    p = tmp_path_factory.mktemp("pred") / "small_pred.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in small_rows), encoding="utf-8")
    return p


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point ``STIGMASCOPE_HOME`` (model caches) at a temporary folder."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("stigmascope-home")
        mp.setenv("STIGMASCOPE_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def mini_corpus() -> Path:
    if not MINI.exists():
        pytest.skip("the models package's mini corpus fixture is missing")
    return MINI


@pytest.fixture(scope="session")
def baseline_model(tmp_path_factory: pytest.TempPathFactory, mini_corpus: Path) -> Path:
    """A TF-IDF + logistic-regression model trained on the mini corpus by ``models.train``."""
    from models.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("models") / "baseline"
    train_model(mini_corpus, out, config=TrainConfig(preset="baseline"), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_encoder(build_tiny_bert, mini_corpus: Path) -> Path:
    """A 2-layer, 32-wide BERT with a character vocabulary of the mini corpus (random weights, no network)."""
    texts = [json.loads(x)["text"] for x in mini_corpus.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts += [t for _, t, *_ in SMALL]
    return build_tiny_bert("".join(texts) + "query:0123456789abcdefghijklmnopqrstuvwxyz")


@pytest.fixture(scope="session")
def tiny_fast_model(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory, mini_corpus: Path) -> Path:
    """The fast preset (frozen encoder, trained heads) on the mini corpus with the tiny encoder."""
    from models.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("models") / "fast"
    train_model(mini_corpus, out, config=TrainConfig(preset="fast", base=str(tiny_encoder), epochs=30),
                progress=False)
    return out
