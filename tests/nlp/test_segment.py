"""Segmenter: expected tokens (domain words, traditional text after t2s), offsets, batching, config."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.segment import Backend, Segmenter, SegmenterConfig, segment_file, segment_lines, spans_of
from stigmascope.errors import ConfigError, InputError

# sentences written for these tests, with the tokens the domain dictionary must give
SENTENCES = [
    ("很多随迁子女只能去打工子弟学校", ["很多", "随迁子女", "只能", "去", "打工子弟学校"]),
    ("外来务工人员子女放学后有人辅导", ["外来务工人员", "子女", "放学", "后", "有人", "辅导"]),
    ("工地老板拖欠了三十多名农民工半年工资", ["工地", "老板", "拖欠", "了", "三十多名", "农民工", "半年", "工资"]),
    ("积分落户的门槛越来越高", ["积分落户", "的", "门槛", "越来越", "高"]),
    ("他们把外地人叫作低端人口", ["他们", "把", "外地人", "叫作", "低端人口"]),
    ("孩子要交齐五证齐全才能上公办小学", ["孩子", "要", "交齐", "五证齐全", "才能", "上", "公办", "小学"]),
    ("新市民在城中村租房", ["新市民", "在", "城中村", "租房"]),
    ("地铁上那几个民工身上一股味", ["地铁", "上", "那", "几个", "民工", "身上", "一股味"]),
    ("城中村的群租房被清退了", ["城中村", "的", "群租房", "被", "清退", "了"]),
    ("留守儿童和流动儿童", ["留守儿童", "和", "流动儿童"]),
    ("新生代农民工进城务工", ["新生代农民工", "进城务工"]),
    ("居住证和暂住证", ["居住证", "和", "暂住证"]),
]

# the same dictionary words written in traditional characters, segmented after OpenCC t2s
TRADITIONAL = [
    ("外來務工人員的隨遷子女", ["外来务工人员", "的", "随迁子女"]),
    ("農民工討薪", ["农民工", "讨薪"]),
    ("積分落戶政策", ["积分落户", "政策"]),
    ("他們把外地人叫作低端人口", ["他们", "把", "外地人", "叫作", "低端人口"]),
    ("城中村的群租房", ["城中村", "的", "群租房"]),
]

# without the domain dictionary jieba splits the domain words: the dictionary is what joins them
WITHOUT_DOMAIN_DICT = [
    ("积分落户", ["积分", "落户"]),
    ("低端人口", ["低端", "人口"]),
    ("随迁子女", ["随迁", "子女"]),
    ("五证齐全", ["五证", "齐全"]),
]


@pytest.mark.parametrize(("text", "tokens"), SENTENCES)
def test_domain_words_are_single_tokens(seg: Segmenter, text: str, tokens: list[str]) -> None:
    assert seg.cut(text) == tokens


@pytest.mark.parametrize(("text", "tokens"), TRADITIONAL)
def test_traditional_text_after_t2s(seg: Segmenter, text: str, tokens: list[str]) -> None:
    import opencc

    assert seg.cut(opencc.OpenCC("t2s").convert(text)) == tokens


@pytest.fixture(scope="module")
def plain() -> Segmenter:
    return Segmenter(SegmenterConfig(backend="jieba", domain_dict=False))


@pytest.mark.parametrize(("text", "tokens"), WITHOUT_DOMAIN_DICT)
def test_without_domain_dictionary(plain: Segmenter, text: str, tokens: list[str]) -> None:
    assert plain.cut(text) == tokens
    assert plain.entries == []


def test_backend_auto_prefers_rjieba() -> None:
    pytest.importorskip("rjieba")
    assert Segmenter().backend is Backend.rjieba
    assert Segmenter(SegmenterConfig(backend="jieba")).backend is Backend.jieba


def test_auto_falls_back_to_jieba_without_rjieba(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_rjieba(name: str, *args: object, **kwargs: object) -> object:
        if name == "rjieba":
            raise ImportError("No module named 'rjieba'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rjieba)
    seg = Segmenter(SegmenterConfig(backend="auto"))
    assert seg.backend is Backend.jieba
    assert seg.cut("积分落户") == ["积分落户"]
    with pytest.raises(ConfigError, match="rjieba"):
        Segmenter(SegmenterConfig(backend="rjieba"))


@pytest.mark.parametrize("text", ["", " ", "农民工", "外来务工人员\n随迁子女", "他说：“走吧！”  好的\r\n再见"])
def test_tokens_concatenate_to_text_and_offsets_match(seg: Segmenter, text: str) -> None:
    tokens = seg.cut(text)
    assert "".join(tokens) == text
    offsets = seg.offsets(text)
    assert [text[s:e] for s, e in offsets] == tokens
    assert all(e > s for s, e in offsets)


def test_offsets_values(seg: Segmenter) -> None:
    assert seg.offsets("新市民在城中村租房") == [(0, 3), (3, 4), (4, 7), (7, 9)]
    assert spans_of([]) == []


def test_cut_many_equals_cut(seg: Segmenter) -> None:
    texts = [t for t, _ in SENTENCES] + ["", "a\x1eb 中文", "长" * 700 + "农民工"]
    assert seg.cut_many(texts) == [seg.cut(t) for t in texts]
    assert seg.cut_many(iter(texts[:3])) == [seg.cut(t) for t in texts[:3]]


def test_instances_are_isolated(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("好景常在 5000 l\n", encoding="utf-8")
    with_word = Segmenter(SegmenterConfig(backend="jieba", user_dicts=[extra]))
    without = Segmenter(SegmenterConfig(backend="jieba"))
    assert with_word.cut("好景常在") == ["好景常在"]
    assert without.cut("好景常在") != ["好景常在"]
    import jieba

    assert "好景常在" not in jieba.lcut("好景常在")  # jieba's global tokenizer is untouched


def test_user_dict_formats_and_order(tmp_path: Path) -> None:
    tsv = tmp_path / "words.tsv"
    tsv.write_text("# comment\nterm\tfreq\tpos\n打工人\t3000\tn\n", encoding="utf-8")
    txt = tmp_path / "words.txt"
    txt.write_text("蛇皮袋 n\n", encoding="utf-8")  # no frequency: jieba suggests one
    for backend in ("jieba", "rjieba"):
        if backend == "rjieba":
            pytest.importorskip("rjieba")
        seg = Segmenter(SegmenterConfig(backend=backend, domain_dict=False, user_dicts=[tsv, txt]))
        assert seg.cut("打工人扛着蛇皮袋") == ["打工人", "扛着", "蛇皮袋"]
        assert [(e.word, e.freq, e.tag) for e in seg.entries] == [("打工人", 3000, "n"), ("蛇皮袋", None, "n")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "pkuseg"}, "unknown segmenter backend 'pkuseg'"),
        ({"user_dicts": ["/nonexistent/dict.txt"]}, "user dictionary not found"),
        ({"hmm": "yes"}, "'hmm' must be true or false"),
        ({"batch_chars": 0}, "'batch_chars' must be a positive integer"),
    ],
)
def test_config_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SegmenterConfig(**kwargs)


def test_config_from_mapping_rejects_unknown_keys() -> None:
    from stigmascope.config import load_config

    cfg = load_config(SegmenterConfig, {"backend": "jieba", "hmm": False})
    assert cfg.backend is Backend.jieba and cfg.hmm is False
    with pytest.raises(ConfigError, match="did you mean 'user_dicts'"):
        load_config(SegmenterConfig, {"user_dict": ["x"]})


def test_cut_rejects_non_strings(seg: Segmenter) -> None:
    with pytest.raises(TypeError, match="expects a str"):
        seg.cut(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="item 1"):
        seg.cut_many(["好", None])  # type: ignore[list-item]


def test_hmm_off_keeps_unknown_words_apart(plain: Segmenter) -> None:
    on = plain
    off = Segmenter(SegmenterConfig(backend="jieba", domain_dict=False, hmm=False))
    assert on.cut("他来到了网易杭研大厦") == ["他", "来到", "了", "网易", "杭研", "大厦"]
    assert off.cut("他来到了网易杭研大厦") == ["他", "来到", "了", "网易", "杭", "研", "大厦"]


def test_segment_lines_streams_and_drops_whitespace(seg: Segmenter) -> None:
    lines = ["新市民在城中村租房\n", "农民工 讨薪\r\n", "\n"]
    assert list(segment_lines(lines, seg, batch_size=2)) == ["新市民 在 城中村 租房", "农民工 讨薪", ""]
    assert list(segment_lines(["农民工 讨薪"], seg, keep_whitespace=True)) == ["农民工   讨薪"]


def test_segment_file_reports_bad_utf8(tmp_path: Path, seg: Segmenter) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes("农民工\n".encode() + b"\xff\xfe\n")
    out = io.StringIO()
    with pytest.raises(InputError, match=r"bad.txt:2: not valid UTF-8"):
        segment_file(bad, out, seg)
    good = tmp_path / "good.txt"
    good.write_text("\ufeff积分落户\n外来务工人员\n", encoding="utf-8")
    out = io.StringIO()
    assert segment_file(good, out, seg) == 2
    assert out.getvalue() == "积分落户\n外来务工人员\n"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("农民工城中村外来务工人员的了。，！？ \n\r\tab1.-_%#&+") + ["\u3400", "𠀀"]),
               max_size=40))
def test_every_character_lands_in_one_token(text: str) -> None:
    seg = _shared()
    tokens = seg.cut(text)
    assert "".join(tokens) == text
    assert all(tokens)


_SHARED: list[Segmenter] = []


def _shared() -> Segmenter:
    if not _SHARED:
        _SHARED.append(Segmenter())
    return _SHARED[0]
