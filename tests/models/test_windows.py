"""Windows: focus long texts on migrant mentions, then cut overlapping token windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.windows import WindowSpec, focus_text, make_windows
from nlp.sentences import split_sentences


@pytest.fixture(scope="module")
def tok(tiny_encoder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_encoder))


def test_windows_cover_long_text_with_overlap(tok) -> None:
    spec = WindowSpec(max_length=32, stride=8, max_windows=50, focus=False)
    text = "农民工讨薪无果包工头拖欠工资" * 10  # 140 characters, one token each
    w = make_windows(tok, [text, "民工"], spec)
    assert w.n_docs == 2
    assert (w.lengths <= 32).all()
    first = [ids for ids, d in zip(w.ids, w.doc_index) if d == 0]
    assert all(ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id for ids in first)
    content = 30  # 32 minus [CLS] and [SEP]
    assert len(first) == -(-(140 - 8) // (content - 8))
    assert list(first[0][-9:-1]) == list(first[1][1:9])  # consecutive windows share `stride` tokens
    assert list(w.doc_index).count(1) == 1 and not w.truncated.any()


def test_max_windows_truncates_and_flags(tok) -> None:
    spec = WindowSpec(max_length=32, stride=0, max_windows=2, focus=False)
    w = make_windows(tok, ["外来务工人员" * 100_000], spec)  # 600k characters
    assert len(w.ids) == 2 and bool(w.truncated[0])


def test_prefix_and_empty_text(tok) -> None:
    spec = WindowSpec(max_length=32, stride=0, prefix="query: ", focus=False)
    w = make_windows(tok, ["", "民工"], spec)
    assert len(w.ids) == 2
    prefix_ids = tok("query: ", add_special_tokens=False)["input_ids"]
    assert list(w.ids[0]) == [tok.cls_token_id, *prefix_ids, tok.sep_token_id]
    assert list(w.ids[1][1: 1 + len(prefix_ids)]) == prefix_ids


def _passes(text: str) -> bool:
    return any(t in text for t in ("农民工", "外来务工人员"))


def test_focus_keeps_mention_sentences_and_neighbours() -> None:
    filler = ["今天市里召开经济工作会议。", "会议总结了全年的工作。", "与会代表进行了讨论。", "会议强调要扩大内需。"]
    text = "".join(filler * 5) + "会议提出要保障农民工工资按时足额发放。" + "".join(filler * 5)
    spec = WindowSpec(focus=True, focus_min_chars=100, focus_context=1)
    out = focus_text(text, spec, passes=_passes, split=split_sentences)
    assert "保障农民工工资按时足额发放" in out
    assert out.count("。") == 3  # the mention plus one neighbour on each side
    assert len(out) < 60


@pytest.mark.parametrize("text", ["外地人素质太低了。", "今天天气不错。" * 60])
def test_focus_leaves_short_or_mention_free_text(text: str) -> None:
    spec = WindowSpec(focus=True, focus_min_chars=300)
    assert focus_text(text, spec, passes=_passes, split=split_sentences) == text


@pytest.mark.parametrize("kwargs", [{"max_length": 8}, {"stride": 200, "max_length": 256}, {"max_windows": 0}])
def test_spec_rejects_bad_values(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        WindowSpec(**kwargs)
