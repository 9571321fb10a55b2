"""Evidence: grouping occlusion units, and finding the span whose removal lowers a label's score most."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.evidence import EvidenceConfig, EvidenceFinder, group_units
from nlp.sentences import split_sentences

KEYS = ["relevant", "exclusion.employment"]


def _lexical_scorer(texts):
    """A transparent scorer: relevance from 农民工, employment from 欠薪/拖欠工资."""
    out = np.zeros((len(texts), 2))
    for i, t in enumerate(texts):
        out[i, 0] = 0.9 if "农民工" in t else 0.1
        out[i, 1] = 0.8 if ("拖欠工资" in t or "欠薪" in t) else 0.2
    return out


class _Cues:
    def find(self, text):
        i = text.find("拖欠工资")
        return {"exclusion.employment": [(i, i + 4, "拖欠工资")] if i >= 0 else []}


def _finder(units: int = 8) -> EvidenceFinder:
    return EvidenceFinder(_lexical_scorer, KEYS, EvidenceConfig(units=units, word_level_max_chars=10),
                          cue_matcher=_Cues(), split_sentences=split_sentences,
                          word_offsets=lambda t: [(i, i + 1) for i in range(len(t))])


def test_occlusion_finds_the_sentence() -> None:
    text = "今年春节前，市里开展了专项检查。一家工地拖欠工资三个月。四十多名农民工到劳动监察大队求助。监察大队当天立案。"
    scores = _lexical_scorer([text])
    ev = _finder().find([text], scores, [KEYS])[0]
    occ = {k: [s for s in v if s["source"] == "occlusion"] for k, v in ev.items()}
    assert occ["exclusion.employment"][0]["text"] == "一家工地拖欠工资三个月。"
    assert occ["relevant"][0]["text"] == "四十多名农民工到劳动监察大队求助。"
    assert occ["relevant"][0]["drop"] == 0.8
    lex = [s for s in ev["exclusion.employment"] if s["source"] == "lexicon"]
    assert lex == [{"start": text.find("拖欠工资"), "end": text.find("拖欠工资") + 4, "text": "拖欠工资", "source": "lexicon"}]


def test_no_evidence_without_predicted_labels() -> None:
    text = "一家工地拖欠工资三个月。"
    assert _finder().find([text], _lexical_scorer([text]), [[]]) == [{}]


def test_occlusion_needs_a_real_drop() -> None:
    text = "农民工很辛苦，工作很累。农民工很努力，值得尊重。"  # removing either sentence keeps 农民工
    ev = _finder().find([text], _lexical_scorer([text]), [["relevant"]])[0]
    assert "relevant" not in ev


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=60), st.integers(2, 12))
def test_group_units_cover_in_order(lengths: list[int], n: int) -> None:
    spans, pos = [], 0
    for length in lengths:
        spans.append((pos, pos + length))
        pos += length
    groups = group_units(spans, n)
    assert len(groups) == min(n, len(spans))
    assert groups[0][0] == 0 and groups[-1][1] == pos
    assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))
