"""Length-bucketed dynamic batching: sort windows by length and fill batches up to a token budget.

Padding is what makes naive batching slow on CPU; sorting by length keeps it near zero, and a token
budget (``batch_size × longest``) keeps memory flat whether the texts are titles or long news.

Example:
    >>> import numpy as np
    >>> [b.tolist() for b in token_budget_batches(np.array([5, 50, 6, 48]), max_tokens=100)]
    [[1, 3], [2, 0]]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["token_budget_batches", "pad_batch"]


def token_budget_batches(lengths: np.ndarray, *, max_tokens: int = 8192, max_batch: int = 128) -> list[np.ndarray]:
    """Group sequence indices into batches whose padded size stays within a token budget.

    Args:
        lengths: token count per sequence, ``(n,)``.
        max_tokens: budget per batch, counted as ``rows × longest row``.
        max_batch: most rows per batch.

    Returns:
        Index arrays, longest sequences first; each sequence appears in exactly one batch.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if max_tokens < 1 or max_batch < 1:
        raise ValueError("max_tokens and max_batch must be >= 1")
    order = np.argsort(-lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    n = len(order)
    while start < n:
        longest = max(int(lengths[order[start]]), 1)
        size = max(1, min(max_batch, max_tokens // longest))
        batches.append(order[start: start + size])
        start += size
    return batches


def pad_batch(seqs: Sequence[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id arrays into a matrix.

    Returns:
        ``(input_ids, attention_mask)``, both int64 ``(batch, longest)``.
    """
    longest = max((len(s) for s in seqs), default=1)
    ids = np.full((len(seqs), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), longest), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1
    return ids, mask
