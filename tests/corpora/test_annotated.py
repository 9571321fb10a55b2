"""The bundled annotated corpus: validity, size, stratified splits, loading, and the builder."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from corpora.annotated import _positive_keys, build_corpus, check_part, default_corpus_path, load_annotated, read_gold
from models.taxonomy import load_taxonomy
from stigmascope.errors import InputError


@pytest.fixture(scope="module")
def docs():
    return list(read_gold(default_corpus_path(), load_taxonomy()))


def test_corpus_meets_the_issue_bars(docs):
    tax = load_taxonomy()
    assert len(docs) >= 2500
    sources = Counter(d.source for d in docs)
    assert sources["news"] >= 700 and sources["weibo"] >= 900 and sources["forum"] >= 400
    keys = Counter(k for d in docs for k in _positive_keys(tax, d.labels))
    assert keys["not_relevant"] >= 500
    for key in tax.score_keys():
        assert keys[key] >= 50, key
    assert len({d.city for d in docs if d.city}) >= 30
    years = {int(str(d.date)[:4]) for d in docs}
    assert min(years) >= 2010 and max(years) <= 2025


def test_every_label_is_in_every_split(docs):
    tax = load_taxonomy()
    per = {s: Counter() for s in ("train", "dev", "test")}
    for d in docs:
        per[d.split].update(_positive_keys(tax, d.labels))
    for key in tax.score_keys():
        total = sum(per[s][key] for s in per)
        for s in ("dev", "test"):
            assert per[s][key] >= 0.10 * total, (key, s, per[s][key], total)


def test_ids_unique_and_relevant_docs_have_a_stance(docs):
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        if d.labels["relevant"]:
            assert d.labels["stance"] is not None, d.id
        else:
            assert not d.labels["stereotype"] and d.labels["stance"] is None, d.id


def test_load_annotated_gives_dataset_dict_and_pandas(docs):
    ds = load_annotated()
    assert set(ds) == {"train", "dev", "test"}
    assert sum(len(ds[s]) for s in ds) == len(docs)
    first = json.loads(ds["test"][0]["labels"])
    assert "relevant" in first
    df = load_annotated(as_pandas=True)
    assert len(df) == len(docs) and set(df["split"]) == {"train", "dev", "test"}


def test_build_keeps_existing_splits_and_is_deterministic(tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    rows = [{"id": f"x-{i}", "text": f"第{i}篇：工地上的老乡又被拖欠了工钱。", "date": "2020-01-0{}".format(1 + i % 9),
             "city": None, "source": "weibo", "outlet": "微博",
             "labels": {"relevant": True, "exclusion": ["employment"] if i % 2 else [], "stance": "neutral"}}
            for i in range(40)]
    (parts / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "corpus.jsonl"
    counts = build_corpus(parts, out)
    assert sum(counts.values()) == 40 and counts["train"] > counts["dev"] > 0
    first = {json.loads(line)["id"]: json.loads(line)["split"] for line in out.read_text(encoding="utf-8").splitlines()}
    (parts / "b.jsonl").write_text(json.dumps({**rows[0], "id": "y-1"}, ensure_ascii=False), encoding="utf-8")
    build_corpus(parts, out)
    second = {json.loads(line)["id"]: json.loads(line)["split"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert all(second[k] == v for k, v in first.items()) and "y-1" in second


@pytest.mark.parametrize("line,message", [
    ('{"id": "a", "text": "x", "date": "2020-01-01", "source": "news", "labels": {"relevant": true, "stereotype": ["dirty"]}}',
     "did you mean 'dirt'"),
    ('{"id": "a", "text": "x", "date": "2020-01-01", "source": "tv", "labels": {"relevant": false}}', "source must be one of"),
    ('{"id": "a", "date": "2020-01-01", "source": "news", "labels": {"relevant": false}}', "field 'text'"),
    ('{"id": "a", "text": "x", "date": "2020/01/01", "source": "news", "labels": {"relevant": false}}', "YYYY-MM-DD"),
    ('{"id": "a", "text": "x", "date": "2020-01-01", "source": "news", "labels": {"relevant": false}', "not valid JSON"),
])
def test_check_part_errors_name_file_line_and_field(tmp_path, line, message):
    f = tmp_path / "part.jsonl"
    f.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        check_part(f)
    assert "part.jsonl" in str(err.value)
