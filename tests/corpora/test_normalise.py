"""Tests for corpora.normalise: each step on real-looking posts, script detection, config validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora.normalise import NormaliseConfig, Normalised, Normaliser, PhraseMode, Script, ScriptDetector
from stigmascope.config import load_config
from stigmascope.errors import ConfigError


@pytest.fixture(scope="module")
def norm() -> Normaliser:
    return Normaliser()


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        # Traditional → Simplified, Taiwan phrases mapped (tw2sp)
        ("這家工廠的農民工薪水太低了", "这家工厂的农民工薪水太低了"),
        ("我們在網路上看到這個軟體", "我们在网络上看到这个软件"),
        ("臺灣台北的外籍移工", "台湾台北的外籍移工"),
        # Cantonese markers → hk2s (characters, no Taiwan phrase mapping)
        ("佢哋喺工地做嘢，好辛苦", "佢哋喺工地做嘢，好辛苦"),
        # a stray traditional character in simplified text
        ("这个厂的待遇很優秀", "这个厂的待遇很优秀"),
        # full-width ASCII → half-width; Chinese punctuation kept
        ("工资ＡＢＣ１２３元，还有５０％奖金！", "工资ABC123元,还有50%奖金!".replace(",", "，").replace("!", "！")),
        ("联系邮箱：ｗｏｒｋｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", "联系邮箱：worker@example.com"),
        ("全角　空格", "全角 空格"),
        # HTML tags, comments, entities
        ("<p>讨薪&nbsp;成功</p><br/>工人们很高兴", "讨薪 成功\n工人们很高兴"),
        ("<!--repaste.body.begin-->欠薪&amp;工伤", "欠薪&工伤"),
        ("老板说&quot;明天发&quot;", '老板说"明天发"'),
        # URLs
        ("详情见 http://t.cn/A6abcXyz 转发扩散", "详情见 转发扩散"),
        ("官网www.example.gov.cn/notice?id=3有通知", "官网 有通知"),
        # emoji codes
        ("又被拖欠工资了[泪][泪]", "又被拖欠工资了"),
        ("厉害了[doge]我的哥", "厉害了我的哥"),
        # whitespace and zero-width characters
        ("农民工\u200b讨薪   新闻\t\t报道", "农民工讨薪 新闻 报道"),
        ("第一段\n\n\n  第二段  ", "第一段\n第二段"),
        ("", ""),
    ],
)
def test_normalise_text(norm: Normaliser, raw: str, text: str) -> None:
    assert norm.normalise(raw).text == text


@pytest.mark.parametrize(
    ("raw", "text", "mentions", "hashtags", "emojis"),
    [
        ("@章立凡 @袁裕来律师 再去武大，已无牌坊！", "再去武大，已无牌坊！", ["章立凡", "袁裕来律师"], [], []),
        ("回复@张三:说得对", "回复 说得对", ["张三"], [], []),
        ("#农民工讨薪# 老板跑路了[怒]", "农民工讨薪 老板跑路了", [], ["农民工讨薪"], ["怒"]),
        ("#農民工討薪#", "农民工讨薪", [], ["农民工讨薪"], []),
        ("邮件发到 a.b@example.com", "邮件发到 a.b@example.com", [], [], []),
        ("#春运# #返乡# 车票难买", "春运 返乡 车票难买", [], ["春运", "返乡"], []),
    ],
)
def test_mentions_hashtags_emojis(norm: Normaliser, raw: str, text: str, mentions: list[str],
                                  hashtags: list[str], emojis: list[str]) -> None:
    out = norm.normalise(raw)
    assert (out.text, out.mentions, out.hashtags, out.emojis) == (text, mentions, hashtags, emojis)


@pytest.mark.parametrize(
    ("raw", "text", "quoted"),
    [
        ("太惨了//@李四: 农民工太难了 //@王五：转发", "太惨了", "@李四: 农民工太难了 //@王五: 转发"),
        ("//@小王:支持讨薪", "", "@小王: 支持讨薪"),
        ("轉發//@老張: 這個工廠欠薪", "转发", "@老張: 这个工厂欠薪"),
        ("没有转发链，只有 // 斜杠", "没有转发链，只有 // 斜杠", None),
        ("支持！／／＠工友之家：今晚有活动", "支持！", "@工友之家: 今晚有活动"),
    ],
)
def test_repost_chain(norm: Normaliser, raw: str, text: str, quoted: str | None) -> None:
    out = norm.normalise(raw)
    assert (out.text, out.quoted) == (text, quoted)


@pytest.mark.parametrize(
    ("raw", "script"),
    [
        ("农民工讨薪", "simplified"),
        ("農民工討薪", "traditional"),
        ("这个产品很優秀", "mixed"),
        ("中国人", "simplified"),  # no distinctive characters: valid simplified
        ("hello 123", "none"),
        ("", "none"),
        ("臺灣的外籍移工", "traditional"),
        ("皇后大道東的工人們", "traditional"),
    ],
)
def test_script_of_raw_text(norm: Normaliser, raw: str, script: str) -> None:
    assert norm.normalise(raw).script == script


def test_script_detector_counts_one_stray_character_in_a_long_text_as_simplified() -> None:
    det = ScriptDetector()
    text = "这家工厂的农民工们反映，老板已经拖欠了他们三个月的工资，劳动监察大队已经介入调查處理。"
    assert det.detect(text) is Script.simplified
    assert det.has_traditional(text)


def test_steps_can_be_switched_off() -> None:
    cfg = NormaliseConfig(t2s=False, hashtags=False, emoji_codes=False, mentions=False, repost_split=False)
    out = Normaliser(cfg).normalise("#農民工# @張三 [淚]//@李四: 轉發")
    assert out.text == "#農民工# @張三 [淚]//@李四: 轉發"
    assert (out.quoted, out.mentions, out.hashtags, out.emojis) == (None, [], [], [])


def test_phrase_mode_off_converts_characters_only() -> None:
    assert Normaliser(NormaliseConfig(phrases="off")).normalise("網路軟體").text == "网路软体"
    assert Normaliser(NormaliseConfig(phrases=PhraseMode.tw)).normalise("網路軟體").text == "网络软件"


def test_config_is_validated_and_loadable() -> None:
    with pytest.raises(ValueError, match="phrases must be one of"):
        NormaliseConfig(phrases="taiwan")
    with pytest.raises(ValueError, match="urls must be true or false"):
        NormaliseConfig(urls="yes")  # type: ignore[arg-type]
    cfg = load_config(NormaliseConfig, {"html": False, "phrases": "hk"})
    assert cfg.html is False and cfg.phrases is PhraseMode.hk
    with pytest.raises(ConfigError, match="did you mean 'hashtags'"):
        load_config(NormaliseConfig, {"hashtag": False})


def test_result_is_frozen_and_input_checked(norm: Normaliser) -> None:
    out = norm.normalise("测试")
    assert isinstance(out, Normalised)
    with pytest.raises(AttributeError):
        out.text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="expects str"):
        norm.normalise(None)  # type: ignore[arg-type]


def test_converters_are_created_lazily_per_instance() -> None:
    a, b = Normaliser(), Normaliser()
    assert a._converters == {} and b._converters == {}
    a.normalise("農民工")
    assert set(a._converters) == {"tw2sp"} and b._converters == {}


_WEIBO_ALPHABET = st.sampled_from(list("农民工讨薪打工深圳廣州臺灣的了在 \n\t@#[]/:：泪ＡＢ１２，。！") + ["//@", "http://t.cn/x "])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WEIBO_ALPHABET, max_size=40).map("".join))
def test_normalising_twice_changes_nothing_more(text: str) -> None:
    n = Normaliser()
    once = n.normalise(text)
    again = n.normalise(once.text)
    assert again.text == once.text
    assert "\u200b" not in once.text and "  " not in once.text and once.text == once.text.strip()
