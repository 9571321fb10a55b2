"""The domain lexicon: categories, every term one token in context, stopwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.lexicon import Lexicon, LexiconCategory, default_domain_dict_path, load_stopwords
from nlp.segment import Segmenter
from stigmascope.errors import InputError

LEXICON = Lexicon.default()

# carrier sentences written for this test: a term must survive its neighbours
CARRIERS = ["{t}", "他们说{t}的问题很多", "关于{t}", "很多{t}都", "对{t}来说"]


def test_categories_and_required_terms() -> None:
    counts = LEXICON.categories()
    assert set(counts) == {c.value for c in LexiconCategory}
    assert all(n >= 10 for n in counts.values())
    assert {"农民工", "外来务工人员", "随迁子女", "新市民"} <= set(LEXICON.terms(LexiconCategory.migrant_group))
    assert {"积分落户", "居住证", "五证", "五证齐全"} <= set(LEXICON.terms("institution_policy"))
    assert {"低端人口", "乡巴佬", "盲流"} <= set(LEXICON.terms(LexiconCategory.stereotype_slur))
    assert {"城中村", "群租房"} <= set(LEXICON.terms(LexiconCategory.place))
    assert LEXICON.category_of("讨薪") is LexiconCategory.labour
    assert LEXICON.category_of("天气") is None
    assert "工友之家" in LEXICON and len(LEXICON) == sum(counts.values())


def test_every_entry_has_explicit_frequency() -> None:
    # the fast backend needs no jieba at load time only when every frequency is given
    assert all(e.freq is not None and e.freq >= 100 for e in LEXICON)


@pytest.mark.parametrize("term", LEXICON.terms())
def test_each_term_is_one_token_in_context(seg_rjieba: Segmenter, term: str) -> None:
    for carrier in CARRIERS:
        text = carrier.format(t=term)
        assert term in seg_rjieba.cut(text), text


def test_unknown_category_gets_a_hint(tmp_path: Path) -> None:
    p = tmp_path / "lex.tsv"
    p.write_text("term\tcategory\tfreq\n城中村\tplaces\t100\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lex.tsv:2 field 'category': unknown category 'places' \(did you mean 'place'\?\)"):
        Lexicon.from_tsv(p)


def test_duplicate_term_rejected(tmp_path: Path) -> None:
    p = tmp_path / "lex.tsv"
    p.write_text("term\tcategory\n城中村\tplace\n城中村\tplace\n", encoding="utf-8")
    with pytest.raises(InputError, match="listed twice"):
        Lexicon.from_tsv(p)


def test_default_path_is_the_segmenter_dictionary() -> None:
    assert default_domain_dict_path().name == "domain_dict.tsv"
    assert [e.word for e in Segmenter().entries] == LEXICON.terms()


def test_stopwords_from_stopwords_iso() -> None:
    words = load_stopwords()
    assert {"的", "了", "和", "是"} <= words
    assert "农民工" not in words
    assert len(words) > 500
    assert "自定义词" in load_stopwords(extra={"自定义词"})
    with pytest.raises(InputError, match="no list for language"):
        load_stopwords("xx")
