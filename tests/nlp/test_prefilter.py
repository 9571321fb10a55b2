"""Relevance prefilter: recall on migrant texts (also traditional), negatives, hits, term-file syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.prefilter import Prefilter, read_terms
from stigmascope.errors import ConfigError, InputError

PF = Prefilter.default()

# texts about migrants written for this test, many of which never say 农民工
POSITIVES = [
    "工地老板拖欠了三十多名农民工半年工资",
    "外来务工人员子女入学难的问题",
    "孩子没有本地户口，要交齐五证才能上公办小学",
    "城中村的群租房被清退了",
    "新市民积分落户政策出台",
    "留守儿童一年只见父母一面",
    "春运期间返乡的打工仔挤满了车站",
    "楼下装修师傅一身灰，物业不让坐客梯",
    "保洁阿姨的更衣室在楼梯间里",
    "厂里的年轻人下了班就去网吧",
    "一车刚下班的厂弟厂妹",
    "河南来的那几个小伙子住在出租屋",
    "那帮外地佬素质低",
    "外卖骑手被扣了钱",
    "新深圳人志愿队",
    "外來務工人員的隨遷子女",  # traditional characters
    "農民工討薪",
    "城中村改造",
]

NEGATIVES = [
    "今天上海气温回升，适合出游。",
    "央行宣布下调存款准备金率",
    "国足世预赛客场战平对手",
    "某明星官宣新剧定档",
    "火星探测器传回新照片",
    "苹果发布新款手机",
]


@pytest.mark.parametrize("text", POSITIVES)
def test_migrant_texts_pass(text: str) -> None:
    assert PF.passes(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_unrelated_texts_do_not_pass(text: str) -> None:
    assert not PF.passes(text)
    assert PF.hits(text) == []


def test_passes_many_matches_passes() -> None:
    texts = POSITIVES + NEGATIVES
    assert PF.passes_many(texts) == [PF.passes(t) for t in texts]
    assert PF.passes_many([]) == []


def test_hits_offsets_and_canonical_terms() -> None:
    text = "讨薪的农民工"
    hits = PF.hits(text)
    assert (3, 6, "农民工") in hits and (4, 6, "民工") in hits and (0, 2, "讨薪") in hits
    assert all(text[s:e] for s, e, _ in hits)
    trad = "外來務工人員"
    assert (0, 4, "外来务工") in PF.hits(trad)
    assert trad[0:4] == "外來務工"
    starts = [h[0] for h in PF.hits("外地人在工地")]
    assert starts == sorted(starts)


def test_term_file_sets_expand(tmp_path: Path) -> None:
    p = tmp_path / "terms.txt"
    p.write_text("# people\n农民工  # inline comment\n@prov = 河南 四川\n{prov}来的\n{prov}{prov}\n", encoding="utf-8")
    assert read_terms(p) == ["农民工", "河南来的", "四川来的", "河南河南", "河南四川", "四川河南", "四川四川"]
    pf = Prefilter.from_file(p, traditional=False)
    assert pf.passes("四川来的师傅") and not pf.passes("湖南来的师傅")


@pytest.mark.parametrize(
    ("text", "message"),
    [("{nope}来的\n", r"terms.txt:1: .*set \{nope\}, which is not defined"),
     ("农 民工\n", r"terms.txt:1: term '农 民工' contains whitespace")],
)
def test_term_file_errors(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "terms.txt"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_terms(p)


def test_no_terms_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least one term"):
        Prefilter([])
    with pytest.raises(InputError, match="not found"):
        read_terms(tmp_path / "missing.txt")


def test_traditional_variants_are_added() -> None:
    assert PF.variants["農民工"] == "农民工"
    assert len(PF.variants) > len(PF.terms)
    assert not Prefilter(["农民工"], traditional=False).passes("農民工")


def test_recall_on_bundled_corpus(repo_root: Path) -> None:
    from corpora.annotated import default_corpus_path, load_annotated

    if not default_corpus_path().exists():
        pytest.skip("bundled corpus not built yet (python -m corpora.annotated build)")
    df = load_annotated(as_pandas=True)
    rel = df[df["labels"].map(lambda labels: bool(labels["relevant"]))]
    recall = sum(PF.passes_many(rel["text"])) / len(rel)
    assert len(rel) > 100
    assert recall >= 0.98, f"prefilter recall {recall:.3f} on {len(rel)} relevant documents"


@pytest.mark.real
def test_pass_rate_on_hot_search_titles(real_data_dir: Path) -> None:
    path = real_data_dir / "weibo_hot_search" / "titles_unique_by_day.tsv"
    with open(path, encoding="utf-8") as fh:
        next(fh)
        titles = [line.rstrip("\n").split("\t", 1)[1] for _, line in zip(range(50_000), fh)]
    rate = sum(PF.passes_many(titles)) / len(titles)
    assert 0.001 < rate < 0.10, rate  # most hot topics are not about migrants; some are
