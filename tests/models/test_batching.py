"""Length-bucketed dynamic batching."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.batching import pad_batch, token_budget_batches


def test_batches_sorted_by_length_within_budget() -> None:
    lengths = np.array([10, 200, 12, 190, 11, 180])
    batches = token_budget_batches(lengths, max_tokens=400)
    assert [b.tolist() for b in batches] == [[1, 3], [5, 2], [4, 0]]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 512), min_size=1, max_size=200), st.integers(16, 4096), st.integers(1, 64))
def test_every_sequence_once_and_budget_kept(lengths: list[int], budget: int, max_batch: int) -> None:
    arr = np.array(lengths)
    batches = token_budget_batches(arr, max_tokens=budget, max_batch=max_batch)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= max_batch
        assert len(b) == 1 or len(b) * arr[b].max() <= budget


def test_pad_batch() -> None:
    ids, mask = pad_batch([np.array([5, 6, 7]), np.array([8])], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
