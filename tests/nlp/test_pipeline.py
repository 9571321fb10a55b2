"""spaCy pipeline: segmenter tokenizer, span groups, nlp.pipe, save/load and config round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from nlp.pipeline import build_pipeline
from nlp.segment import SegmenterConfig


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


TOKENS = [
    ("外来务工人员的随迁子女", ["外来务工人员", "的", "随迁子女"]),
    ("他们把外地人叫作低端人口", ["他们", "把", "外地人", "叫作", "低端人口"]),
    ("农民工 讨薪", ["农民工", "讨薪"]),  # a single space becomes the token's trailing whitespace
]


@pytest.mark.parametrize(("text", "tokens"), TOKENS)
def test_tokens(nlp, text: str, tokens: list[str]) -> None:
    doc = nlp(text)
    assert [t.text for t in doc] == tokens
    assert doc.text == text


def test_span_groups(nlp) -> None:
    doc = nlp("街道联合社工机构在城中村开设四点半课堂，外来务工人员子女放学后有人辅导。")
    assert [(s.text, s.label_) for s in doc.spans["migrant_referent"]] == [("外来务工人员", "migrant_referent")]
    assert [(s.text, s.label_) for s in doc.spans["place"]] == [("城中村", "place")]
    cues = {(s.text, s.label_) for s in doc.spans["cues"]}
    assert {("社工机构", "practice.partnership"), ("城中村", "exclusion.segregation"),
            ("四点半课堂", "practice.education"), ("外来务工人员", "relevant")} <= cues
    assert all(s.start_char < s.end_char for s in doc.spans["cues"])


def test_pipe_batches_equal_single_calls(nlp) -> None:
    texts = ["外地人素质太低", "今天上海气温回升", "工地老板拖欠农民工工资"] * 5
    docs = list(nlp.pipe(texts, batch_size=4))
    assert [len(d.spans["migrant_referent"]) for d in docs] == [1, 0, 1] * 5
    single = [nlp(t) for t in texts]
    assert [[t.text for t in d] for d in docs] == [[t.text for t in d] for d in single]


def test_match_inside_a_compound_token_spans_the_token(nlp) -> None:
    doc = nlp("工地老板拖欠农民工工资")
    assert [t.text for t in doc][-1] == "农民工工资"
    assert [(s.text, s.label_) for s in doc.spans["migrant_referent"]] == [("农民工工资", "migrant_referent")]


def test_tokenizer_pipe(nlp) -> None:
    texts = ["农民工讨薪", "新市民"]
    assert [[t.text for t in d] for d in nlp.tokenizer.pipe(texts, batch_size=1)] == [["农民工", "讨薪"], ["新市民"]]


def test_without_matchers() -> None:
    bare = build_pipeline(matchers=False)
    assert bare.pipe_names == []
    assert "migrant_referent" not in bare("农民工").spans


def test_segmenter_config_reaches_the_tokenizer() -> None:
    plain = build_pipeline(segmenter_config=SegmenterConfig(backend="jieba", domain_dict=False), matchers=False)
    assert [t.text for t in plain("积分落户")] == ["积分", "落户"]
    assert plain.config["nlp"]["tokenizer"]["backend"] == "jieba"


def test_save_and_load_round_trip(nlp, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.pipe_names == nlp.pipe_names
    text = "孩子要交齐五证齐全才能上学，城中村的随迁子女"
    a, b = nlp(text), loaded(text)
    assert [t.text for t in a] == [t.text for t in b]
    for key in ("migrant_referent", "place", "cues"):
        assert [(s.start_char, s.end_char, s.label_) for s in a.spans[key]] == \
               [(s.start_char, s.end_char, s.label_) for s in b.spans[key]]


def test_saved_dictionary_does_not_need_the_original_file(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("好景常在 5000 l\n", encoding="utf-8")
    nlp = build_pipeline(segmenter_config=SegmenterConfig(user_dicts=[extra]), matchers=False)
    nlp.to_disk(tmp_path / "pipe")
    extra.unlink()
    loaded = spacy.load(tmp_path / "pipe")
    assert [t.text for t in loaded("好景常在")] == ["好景常在"]


def test_recreate_from_config(nlp) -> None:
    from spacy.util import load_model_from_config

    again = load_model_from_config(nlp.config, auto_fill=True)
    assert again.pipe_names == nlp.pipe_names
    assert [t.text for t in again("外来务工人员的随迁子女")] == ["外来务工人员", "的", "随迁子女"]


def test_bytes_round_trip_of_tokenizer(nlp) -> None:
    data = nlp.tokenizer.to_bytes()
    other = build_pipeline(segmenter_config=SegmenterConfig(domain_dict=False), matchers=False)
    other.tokenizer.from_bytes(data)
    assert [t.text for t in other("积分落户")] == ["积分落户"]
