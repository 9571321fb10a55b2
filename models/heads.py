"""The multi-head classifier: an encoder, mean pooling, and one head per taxonomy facet.

Heads are sigmoid for binary and multi-label facets and softmax (labels + "none") for single-label
ones. Long documents arrive as several windows; window logits are pooled per document — max for sigmoid
units (a label present anywhere counts), mean for softmax units — in training and inference alike.
Gated facets are masked out of the loss for documents whose gold gate is false.

Example:
    >>> import torch
    >>> from models.taxonomy import load_taxonomy
    >>> from models.layout import LabelLayout
    >>> lay = LabelLayout(load_taxonomy())
    >>> heads = FacetHeads(lay, hidden=8)
    >>> logits = heads(torch.zeros(3, 8))                  # 3 windows
    >>> doc = pool_windows(logits, torch.tensor([0, 0, 1]), 2, lay)
    >>> logits_to_probs(doc, lay).shape
    torch.Size([2, 20])
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from models.layout import LabelLayout

__all__ = ["FacetHeads", "EncoderClassifier", "mean_pool", "pooled_embedding", "pool_windows", "pool_padded", "pad_windows",
           "logits_to_probs", "multihead_loss", "unit_layout", "imbalance_weights"]


def unit_layout(layout: LabelLayout) -> list[tuple[int, int]]:
    """``(start, end)`` of each head's units in the concatenated logit vector, in ``layout.heads`` order."""
    spans, start = [], 0
    for h in layout.heads:
        spans.append((start, start + h.n_out))
        start += h.n_out
    return spans


class FacetHeads(nn.Module):
    """One linear head per facet on a shared (optionally projected) document embedding.

    Args:
        layout: the taxonomy's column layout.
        hidden: embedding size of the encoder.
        head_hidden: size of a shared hidden layer before the heads (0: heads read the embedding).
        dropout: dropout on the embedding during training.
    """

    def __init__(self, layout: LabelLayout, hidden: int, *, head_hidden: int = 0, dropout: float = 0.1) -> None:
        super().__init__()
        self.hidden, self.head_hidden = hidden, head_hidden
        # fixed input standardisation (set from training embeddings by the fast preset; identity otherwise)
        self.register_buffer("in_shift", torch.zeros(hidden))
        self.register_buffer("in_scale", torch.ones(hidden))
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Sequential(nn.Linear(hidden, head_hidden), nn.GELU()) if head_hidden else nn.Identity()
        width = head_hidden or hidden
        self.heads = nn.ModuleDict({h.facet.id: nn.Linear(width, h.n_out) for h in layout.heads})
        self.order = [h.facet.id for h in layout.heads]

    def set_standardization(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Standardise inputs per dimension (``(emb - mean) / std``), e.g. with training statistics."""
        self.in_shift.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.in_scale.copy_(torch.as_tensor(np.maximum(std, 1e-6), dtype=torch.float32))

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        """Logits ``(..., n_units)`` from embeddings ``(..., hidden)``."""
        z = self.proj(self.dropout((emb - self.in_shift) / self.in_scale))
        return torch.cat([self.heads[f](z) for f in self.order], dim=-1)


def mean_pool(last_hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token states over real tokens: ``(b, t, h)``, ``(b, t)`` → ``(b, h)``."""
    m = attention_mask.unsqueeze(-1).to(last_hidden.dtype)
    return (last_hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def pooled_embedding(encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                     pooling: str = "mean", layers: Sequence[int] | None = None) -> torch.Tensor:
    """Window embeddings from an encoder: pooled last layer, or pooled chosen layers concatenated.

    Args:
        encoder: a ``transformers`` encoder.
        input_ids, attention_mask: ``(b, t)``.
        pooling: ``"mean"`` over real tokens or ``"cls"`` (first token).
        layers: hidden-state indices to pool and concatenate (0 = embeddings, L = last layer); None = last.

    Returns:
        ``(b, hidden × len(layers))``.
    """
    if not layers:
        states = [encoder(input_ids=input_ids, attention_mask=attention_mask)[0]]
    else:
        out = encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        states = [out.hidden_states[i] for i in layers]
    parts = [mean_pool(h, attention_mask) if pooling == "mean" else h[:, 0] for h in states]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


class EncoderClassifier(nn.Module):
    """Encoder + pooling + facet heads, trained end to end by the ``full`` preset.

    Args:
        encoder: a ``transformers`` encoder (``AutoModel``) returning ``last_hidden_state``.
        heads: the facet heads.
        pooling: ``"mean"`` (e5 and sentence encoders) or ``"cls"``.
        layers: hidden states to pool and concatenate (see :func:`pooled_embedding`); None = last layer.
    """

    def __init__(self, encoder: nn.Module, heads: FacetHeads, pooling: str = "mean",
                 layers: Sequence[int] | None = None) -> None:
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        self.encoder, self.heads, self.pooling, self.layers = encoder, heads, pooling, layers

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Window embeddings ``(b, hidden × n_layers)`` from padded ids and mask ``(b, t)``."""
        return pooled_embedding(self.encoder, input_ids, attention_mask, pooling=self.pooling, layers=self.layers)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Window logits ``(b, n_units)``."""
        return self.heads(self.embed(input_ids, attention_mask))


def pool_windows(logits: torch.Tensor, doc_index: torch.Tensor, n_docs: int, layout: LabelLayout) -> torch.Tensor:
    """Pool window logits into document logits: max for sigmoid units, mean for softmax units.

    Args:
        logits: ``(n_windows, n_units)``.
        doc_index: document of each window, ``(n_windows,)``.
        n_docs: number of documents.

    Returns:
        ``(n_docs, n_units)``.
    """
    if logits.shape[0] == n_docs and bool((doc_index == torch.arange(n_docs, device=doc_index.device)).all()):
        return logits
    units = logits.shape[1]
    idx = doc_index.view(-1, 1).expand(-1, units)
    mx = torch.full((n_docs, units), float("-inf"), dtype=logits.dtype, device=logits.device)
    mx = mx.scatter_reduce(0, idx, logits, reduce="amax", include_self=True)
    mean = torch.zeros((n_docs, units), dtype=logits.dtype, device=logits.device)
    mean = mean.scatter_reduce(0, idx, logits, reduce="mean", include_self=False)
    soft = torch.zeros(units, dtype=torch.bool, device=logits.device)
    for h, (s, e) in zip(layout.heads, unit_layout(layout)):
        if h.softmax:
            soft[s:e] = True
    return torch.where(soft, mean, mx)


def pad_windows(emb: np.ndarray, doc_index: np.ndarray, n_docs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Arrange window embeddings per document: ``(n_docs, max_windows, hidden)`` and a window mask
    ``(n_docs, max_windows)`` (for fast vectorised pooling when embeddings are fixed)."""
    counts = np.bincount(doc_index, minlength=n_docs)
    width = max(int(counts.max()) if len(counts) else 1, 1)
    padded = np.zeros((n_docs, width, emb.shape[1]), dtype=np.float32)
    wmask = np.zeros((n_docs, width), dtype=bool)
    slot = np.arange(len(doc_index)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[doc_index]
    padded[doc_index, slot] = emb
    wmask[doc_index, slot] = True
    return torch.from_numpy(padded), torch.from_numpy(wmask)


def pool_padded(logits: torch.Tensor, wmask: torch.Tensor, layout: LabelLayout) -> torch.Tensor:
    """:func:`pool_windows` for padded logits ``(n_docs, max_windows, n_units)`` → ``(n_docs, n_units)``."""
    m = wmask.unsqueeze(-1)
    mx = logits.masked_fill(~m, float("-inf")).amax(dim=1)
    mean = (logits * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
    soft = torch.zeros(logits.shape[-1], dtype=torch.bool)
    for h, (s, e) in zip(layout.heads, unit_layout(layout)):
        if h.softmax:
            soft[s:e] = True
    return torch.where(soft, mean, mx)


def logits_to_probs(doc_logits: torch.Tensor, layout: LabelLayout) -> torch.Tensor:
    """Per-key probabilities ``(n_docs, n_keys)`` in ``layout.keys`` order (softmax "none" dropped)."""
    out = torch.zeros((doc_logits.shape[0], layout.n_keys), dtype=doc_logits.dtype, device=doc_logits.device)
    for h, (s, e) in zip(layout.heads, unit_layout(layout)):
        cols = list(h.columns)
        if h.softmax:
            out[:, cols] = torch.softmax(doc_logits[:, s:e], dim=-1)[:, : len(cols)]
        else:
            out[:, cols] = torch.sigmoid(doc_logits[:, s:e])
    return out


def multihead_loss(doc_logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, layout: LabelLayout, *,
                   pos_weight: torch.Tensor | None = None, class_weight: dict[str, torch.Tensor] | None = None
                   ) -> torch.Tensor:
    """Summed facet losses, gated facets masked for documents whose gold gate is false.

    Args:
        doc_logits: ``(n_docs, n_units)``.
        y: 0/1 targets ``(n_docs, n_keys)`` (see ``LabelLayout.encode``).
        mask: loss mask ``(n_docs, n_keys)``.
        pos_weight: positive-class weight per key ``(n_keys,)`` for sigmoid keys (imbalance).
        class_weight: per softmax facet id, class weights ``(n_out,)``.

    Returns:
        A scalar: binary cross-entropy averaged over unmasked (doc, key) cells plus each softmax
        facet's cross-entropy averaged over its unmasked documents.
    """
    total = doc_logits.new_zeros(())
    for h, (s, e) in zip(layout.heads, unit_layout(layout)):
        cols = list(h.columns)
        m = mask[:, cols[0]]
        if not bool(m.any()):
            continue
        if h.softmax:
            block = y[:, cols]
            target = torch.where(block.max(dim=1).values > 0, block.argmax(dim=1),
                                 torch.full_like(block.argmax(dim=1), h.n_out - 1))
            w = class_weight.get(h.facet.id) if class_weight else None
            total = total + nn.functional.cross_entropy(doc_logits[m, s:e], target[m], weight=w)
        else:
            pw = pos_weight[cols] if pos_weight is not None else None
            bce = nn.functional.binary_cross_entropy_with_logits(doc_logits[:, s:e], y[:, cols], pos_weight=pw,
                                                                 reduction="none")
            total = total + bce[m].mean()
    return total


def imbalance_weights(y: np.ndarray, mask: np.ndarray, layout: LabelLayout, *, cap: float = 10.0
                      ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Class-imbalance weights from training targets.

    Returns:
        ``(pos_weight (n_keys,), {softmax facet id: class weights (n_out,)})``: ``neg/pos`` per sigmoid key
        and inverse class frequency per softmax facet, both clipped to ``[1/cap, cap]``.
    """
    pos = (y * mask).sum(0)
    neg = ((1 - y) * mask).sum(0)
    pw = np.clip(neg / np.maximum(pos, 1.0), 1.0, cap).astype(np.float32)
    cw: dict[str, torch.Tensor] = {}
    for h in layout.heads:
        if not h.softmax:
            continue
        m = mask[:, h.columns[0]]
        counts = np.concatenate([y[m][:, list(h.columns)].sum(0), [float((y[m][:, list(h.columns)].sum(1) == 0).sum())]])
        present = counts > 0
        w = np.ones(h.n_out, dtype=np.float32)
        if present.any():
            w[present] = counts[present].sum() / (present.sum() * counts[present])
        cw[h.facet.id] = torch.tensor(np.clip(w, 1.0 / cap, cap), dtype=torch.float32)
    return torch.tensor(pw), cw


def heads_config(heads: FacetHeads) -> dict[str, Any]:
    """What is needed to rebuild the heads (saved in the model's ``config.json``)."""
    return {"hidden": heads.hidden, "head_hidden": heads.head_hidden, "dropout": heads.dropout.p}
