"""Shared test fixtures: paths to bundled data, the optional real-text folder, and a tiny BERT builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """``../shared/data/real`` beside the checkout; tests that need it skip when it is absent."""
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is not present (a user's clone has no shared/ folder)")
    return REAL


@pytest.fixture(scope="session")
def build_tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A builder of 2-layer, 32-wide BERTs (random weights, no network) whose WordPiece vocabulary is the
    characters of the text it is given; returns the saved folder (model + fast tokenizer)."""

    def build(chars: str) -> Path:
        import torch
        from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
        from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

        vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted({c for c in chars if c.strip()})]
        tk = Tokenizer(models.WordPiece(vocab={t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
        tk.normalizer = normalizers.BertNormalizer(lowercase=False, handle_chinese_chars=True)
        tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
                                                          special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
        tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                      sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
        out = tmp_path_factory.mktemp("tiny-bert")
        tok.save_pretrained(str(out))
        torch.manual_seed(0)
        cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)
        BertModel(cfg).save_pretrained(str(out))
        return out

    return build
