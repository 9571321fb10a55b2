"""Fixtures of the trends tests: a real model trained by the real code, a real corpus store ingested
and classified by the real pipeline, and a writer of classify-output files for synthetic predictions."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FEED = FIXTURES / "feed.jsonl"
MINI = Path(__file__).parents[1] / "models" / "fixtures" / "mini_corpus.jsonl"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point ``STIGMASCOPE_HOME`` at a temporary folder (no cached model of the user is found)."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("stigmascope-home-trends")
        mp.setenv("STIGMASCOPE_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF-IDF + logistic-regression model trained on the models' mini corpus (seconds)."""
    from models.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("trends-model") / "baseline"
    train_model(MINI, out, config=TrainConfig(preset="baseline"), progress=False)
    return out


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """The fixture feed ingested into a real corpus store and classified by ``model_dir``."""
    from corpora.ingest import ingest_paths
    from models.classify import classify
    from models.infer import InferConfig

    db = tmp_path_factory.mktemp("trends-store") / "corpus.duckdb"
    ingest_paths([FEED], db=db)
    classify(None, db=db, model=model_dir, config=InferConfig(evidence=True), progress=False)
    return db


@pytest.fixture(scope="session")
def pred_jsonl(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """The fixture feed classified into a classify-output JSON Lines file."""
    from models.classify import classify

    out = tmp_path_factory.mktemp("trends-pred") / "pred.jsonl"
    classify(FEED, out=out, model=model_dir, progress=False)
    return out


def write_predictions(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write classify-output rows (CONTRACTS.md) as ``.jsonl`` or ``.parquet`` with the real writer."""
    from models.docsio import PredictionWriter
    from models.taxonomy import load_taxonomy

    tax = load_taxonomy()
    facets = [(f.output_key, f.kind.value) for f in tax.facets]
    with PredictionWriter(path, facets) as w:
        for r in rows:
            w.write(r)
    return path


@functools.lru_cache(maxsize=1)
def _taxonomy() -> Any:
    from models.taxonomy import load_taxonomy

    return load_taxonomy()


def prediction_row(doc_id: str, date: str | None, city: str | None, *, relevant: bool, labels: list[str] = (),
                   scores: dict[str, float] | None = None, evidence: dict[str, Any] | None = None,
                   **extra: Any) -> dict[str, Any]:
    """One classify-output row for the default taxonomy from a list of predicted score keys."""
    from models.taxonomy import FacetKind

    tax = _taxonomy()
    row: dict[str, Any] = {"id": doc_id, "date": date, "city": city, "city_source": "metadata" if city else "none"}
    for f in tax.facets:
        mine = [k.split(".", 1)[1] for k in labels if k.split(".", 1)[0] == f.id and "." in k]
        if f.kind is FacetKind.binary:
            row[f.output_key] = relevant
        elif f.kind is FacetKind.multi_label:
            row[f.output_key] = mine if relevant else []
        else:
            row[f.output_key] = (mine[0] if mine else None) if relevant else None
    row["scores"] = scores if scores is not None else {}
    row["evidence"] = evidence or {}
    row["skip_reason"] = None if scores else "prefilter: no migrant referent"
    row.update(extra)
    return row


def dump_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def make_row() -> Any:
    """:func:`prediction_row`: build one classify-output row."""
    return prediction_row


@pytest.fixture(scope="session")
def write_preds() -> Any:
    """:func:`write_predictions`: write rows with the models stage's own writer."""
    return write_predictions


@pytest.fixture(scope="session")
def write_jsonl() -> Any:
    """:func:`dump_jsonl`: write rows as plain JSON Lines (for malformed inputs)."""
    return dump_jsonl
