"""Gold sets by path or shorthand, predictions files, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.gold import load_gold, read_predictions, system_from_predictions
from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError

TAX = load_taxonomy()


def test_bundled_test_split() -> None:
    from corpora.annotated import default_corpus_path, read_gold

    if not default_corpus_path().exists():
        pytest.skip("bundled corpus not built")
    gold = load_gold("bundled-test", TAX)
    expected = [d.id for d in read_gold(default_corpus_path(), TAX) if d.split == "test"]
    assert [d.id for d in gold.docs] == expected and len(expected) > 0
    assert gold.name == "bundled-test"


def test_gold_file(small_gold: Path) -> None:
    gold = load_gold(small_gold, TAX)
    assert [d.id for d in gold.docs] == [f"d{i}" for i in range(1, 9)]
    assert gold.docs[0].labels["stereotype"] == ["dirt"]


def test_missing_gold_file_names_the_shorthands(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="bundled-test"):
        load_gold(tmp_path / "nope.jsonl", TAX)


def test_bad_gold_label_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps({"id": "a", "text": "农民工讨薪", "labels": {"relevant": True}}, ensure_ascii=False) + "\n"
                 + json.dumps({"id": "b", "text": "外地人太多", "labels": {"relevant": True, "stereotype": ["dirty"]}},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2.*did you mean 'dirt'"):
        load_gold(p, TAX)


def test_empty_gold_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.jsonl"
    p.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        load_gold(p, TAX)


def test_predictions_jsonl_and_parquet_agree(small_rows: list[dict], small_pred: Path, tmp_path: Path) -> None:
    from models.docsio import PredictionWriter

    pq = tmp_path / "pred.parquet"
    with PredictionWriter(pq, [(f.output_key, f.kind.value) for f in TAX.facets]) as w:
        for r in small_rows:
            w.write(r)
    a, b = read_predictions(small_pred), read_predictions(pq)
    assert list(a) == list(b) == [f"d{i}" for i in range(1, 9)]
    for k in a:
        assert a[k]["scores"] == pytest.approx(b[k]["scores"])
        assert a[k]["evidence"] == b[k]["evidence"]
        assert a[k]["stereotype"] == list(b[k]["stereotype"]) and a[k]["stance"] == b[k]["stance"]
    assert system_from_predictions(pq).thresholds is None


@pytest.mark.parametrize("lines, match", [
    (['{"id": "a", "relevant": true}', "{oops"], r"pred.jsonl:2: not valid JSON"),
    (['{"relevant": true}'], r"pred.jsonl:1 field 'id'"),
    (['{"id": "a"}', '{"id": "a"}'], r"duplicate id 'a'"),
])
def test_bad_predictions(tmp_path: Path, lines: list[str], match: str) -> None:
    p = tmp_path / "pred.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=match):
        read_predictions(p)


def test_missing_predictions_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="stigmascope classify"):
        read_predictions(tmp_path / "none.jsonl")


@pytest.mark.real
def test_real_dev_shorthand(real_data_dir: Path) -> None:
    from evaluation.real_dev import labels_path, load_real_dev

    if not labels_path().exists():
        pytest.skip("the real-text dev labels are not written yet")
    gold = load_gold("real-dev", TAX)
    rows = load_real_dev()
    assert [d.id for d in gold.docs] == [r["id"] for r in rows] and len(rows) > 0
    assert gold.path is None and gold.name == "real-dev"
    assert all(d.labels == TAX.validate_labels(r["labels"]) for d, r in zip(gold.docs, rows))


@pytest.mark.real
def test_every_real_dev_label_finds_its_text(real_data_dir: Path) -> None:
    """Each key of the label file (Weibo reposts, hot-search titles, 新闻联播 items) joins exactly one text."""
    import json

    from evaluation.real_dev import iter_candidates, labels_path, load_real_dev

    keys = [json.loads(x)["key"] for x in labels_path().read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(keys) == len(set(keys))
    rows = load_real_dev()
    assert sorted(r["id"] for r in rows) == sorted(keys)
    cands = [c["key"] for c in iter_candidates() if c["key"].startswith("cctv:")]
    assert len(cands) == len(set(cands)) > 24_000  # one key per news item (titles repeat across days only)
    news = [r for r in rows if r["source"] == "news"]
    assert all("repaste" not in r["text"] and r["date"][4] == "-" for r in news)
