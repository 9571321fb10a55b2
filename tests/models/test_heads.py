"""Facet heads: window pooling, probabilities, the masked multi-head loss, imbalance weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.heads import FacetHeads, imbalance_weights, logits_to_probs, multihead_loss, pool_windows, unit_layout
from models.layout import LabelLayout
from models.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def lay() -> LabelLayout:
    return LabelLayout(load_taxonomy())


def test_unit_layout_and_head_shapes(lay: LabelLayout) -> None:
    spans = unit_layout(lay)
    assert spans[0] == (0, 1) and spans[-1] == (17, 21)
    heads = FacetHeads(lay, hidden=8, head_hidden=4)
    assert heads(torch.zeros(5, 8)).shape == (5, 21)


def test_pooling_max_for_sigmoid_mean_for_softmax(lay: LabelLayout) -> None:
    logits = torch.zeros(3, 21)
    logits[0, 0], logits[1, 0] = -2.0, 3.0       # relevant: max over the doc's two windows
    logits[0, 17], logits[1, 17] = 1.0, 3.0      # stance unit 0: mean
    pooled = pool_windows(logits, torch.tensor([0, 0, 1]), 2, lay)
    assert pooled[0, 0].item() == 3.0
    assert pooled[0, 17].item() == 2.0
    assert pooled[1].abs().sum().item() == 0.0


def test_probs_drop_none_class(lay: LabelLayout) -> None:
    doc = torch.zeros(1, 21)
    doc[0, 20] = 5.0  # "none" of stance dominates
    p = logits_to_probs(doc, lay)[0]
    stance = list(lay.heads[-1].columns)
    assert p[stance].sum().item() < 0.05
    assert p[0].item() == pytest.approx(0.5)


def test_loss_ignores_gated_facets_of_irrelevant_docs(lay: LabelLayout) -> None:
    tax = load_taxonomy()
    y, m = lay.encode([tax.validate_labels({"relevant": False})])
    yt, mt = torch.from_numpy(y), torch.from_numpy(m)
    a = torch.zeros(1, 21)
    b = a.clone()
    b[0, 1:] = torch.randn(20) * 5  # change only gated units
    assert multihead_loss(a, yt, mt, lay).item() == pytest.approx(multihead_loss(b, yt, mt, lay).item())
    c = a.clone()
    c[0, 0] = 4.0  # the gate itself is always trained
    assert multihead_loss(c, yt, mt, lay).item() > multihead_loss(a, yt, mt, lay).item()


def test_imbalance_weights(lay: LabelLayout) -> None:
    tax = load_taxonomy()
    labels = [tax.validate_labels({"relevant": True, "stereotype": ["dirt"], "stance": "neutral"})] + \
        [tax.validate_labels({"relevant": True, "stance": "neutral"})] * 3 + [tax.validate_labels({"relevant": False})]
    y, m = lay.encode(labels)
    pw, cw = imbalance_weights(y, m, lay, cap=10)
    assert pw[lay.index["stereotype.dirt"]].item() == pytest.approx(3.0)
    assert pw[lay.index["relevant"]].item() == pytest.approx(1.0)  # 4 positives, 1 negative: floor 1
    assert pw[lay.index["stereotype.burden"]].item() == pytest.approx(4.0)  # no positives: neg / 1
    assert cw["stance"].shape == (4,)
    np.testing.assert_allclose(cw["stance"].numpy()[[0, 2, 3]], [1.0, 1.0, 1.0])


@pytest.mark.parametrize("doc_index", [[0, 0, 1, 2, 2, 2, 3], [0, 1, 2], [0, 0, 0]])
def test_padded_pooling_equals_scatter_pooling(lay: LabelLayout, doc_index: list[int]) -> None:
    from models.heads import pad_windows, pool_padded

    rng = np.random.default_rng(1)
    di = np.array(doc_index)
    logits = rng.normal(size=(len(di), 21)).astype(np.float32)
    n = int(di.max()) + 1
    padded, wmask = pad_windows(logits, di, n)
    assert padded.shape == (n, int(np.bincount(di).max()), 21)
    a = pool_padded(padded, wmask, lay)
    b = pool_windows(torch.from_numpy(logits), torch.from_numpy(di), n, lay)
    assert torch.allclose(a, b)
