"""Classification metrics from counts: precision, recall, F1 per label, macro and micro per facet.

Everything here works on count arrays so that the same code gives the point estimate (weights of 1)
and every bootstrap resample at once (weights ``(n_boot, n_docs)``, see :mod:`evaluation.bootstrap`).

Conventions (the report states them):
- precision is undefined (NaN) when nothing was predicted, recall when there is no gold positive,
  F1 = 2·TP / (2·TP + FP + FN) when that denominator is positive, NaN when it is 0;
- a macro average is the mean F1 of the labels with gold support in the evaluation set (a label
  nobody wrote a positive for has no recall to average); NaN-valued labels are skipped;
- micro averages pool TP, FP and FN over a facet's labels.

Example:
    >>> import numpy as np
    >>> y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    >>> d = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool)
    >>> c = counts(y, d)
    >>> c.tp.tolist(), c.fp.tolist(), c.fn.tolist()
    ([1.0, 2.0], [1.0, 0.0], [1.0, 0.0])
    >>> [round(float(v), 3) for v in f1(c)]
    [0.5, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = [
    "Counts",
    "average_precision",
    "confusion_matrix",
    "counts",
    "f1",
    "macro",
    "micro_f1",
    "precision",
    "recall",
    "safe_div",
]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives, false negatives and true negatives per label.

    Each array has shape ``(n_keys,)`` for one evaluation or ``(n_boot, n_keys)`` for resamples.
    """

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    @property
    def support(self) -> np.ndarray:
        """Gold positives: TP + FN."""
        return self.tp + self.fn

    @property
    def predicted(self) -> np.ndarray:
        """Predicted positives: TP + FP."""
        return self.tp + self.fp

    def select(self, columns: Sequence[int]) -> Counts:
        """The counts of some labels only (last axis)."""
        cols = list(columns)
        return Counts(self.tp[..., cols], self.fp[..., cols], self.fn[..., cols], self.tn[..., cols])


def counts(y: np.ndarray, d: np.ndarray, applies: np.ndarray | None = None,
           weights: np.ndarray | None = None) -> Counts:
    """Count TP/FP/FN/TN per label, optionally over applicable rows and with document weights.

    Args:
        y: gold, boolean ``(n_docs, n_keys)``.
        d: decisions, boolean ``(n_docs, n_keys)``.
        applies: which (document, label) cells are scored, boolean ``(n_docs, n_keys)``; None = all.
        weights: document weights ``(n_docs,)`` or ``(n_boot, n_docs)`` (bootstrap multiplicities).

    Returns:
        :class:`Counts` with arrays ``(n_keys,)`` (no or 1-D weights) or ``(n_boot, n_keys)``.
    """
    y = np.asarray(y, dtype=bool)
    d = np.asarray(d, dtype=bool)
    if y.shape != d.shape:
        raise ValueError(f"gold {y.shape} and decisions {d.shape} differ in shape")
    a = np.ones_like(y) if applies is None else np.asarray(applies, dtype=bool)
    cells = [(y & d & a), (~y & d & a), (y & ~d & a), (~y & ~d & a)]
    if weights is None:
        tp, fp, fn, tn = (c.sum(axis=0).astype(np.float64) for c in cells)
    else:
        w = np.asarray(weights, dtype=np.float64)
        tp, fp, fn, tn = (w @ c.astype(np.float64) for c in cells)
    return Counts(tp, fp, fn, tn)


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 (no warnings)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def precision(c: Counts) -> np.ndarray:
    """TP / (TP + FP); NaN when nothing was predicted."""
    return safe_div(c.tp, c.tp + c.fp)


def recall(c: Counts) -> np.ndarray:
    """TP / (TP + FN); NaN when there is no gold positive."""
    return safe_div(c.tp, c.tp + c.fn)


def f1(c: Counts) -> np.ndarray:
    """2·TP / (2·TP + FP + FN); NaN when the label is neither in gold nor predicted."""
    return safe_div(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def f1_score_counts(tp: float, fp: float, fn: float, *, undefined: float = 0.0) -> float:
    """F1 of one label from scalar counts; ``undefined`` when there is nothing to find and nothing predicted.

    The scalar form for loops such as threshold search (``undefined=0.0`` makes "predict nothing" lose).
    """
    denom = 2 * tp + fp + fn
    return undefined if denom == 0 else 2 * tp / denom


def macro(values: np.ndarray, include: np.ndarray | None = None) -> np.ndarray:
    """Mean over the last axis, skipping NaN and labels not in ``include``.

    Args:
        values: per-label values ``(..., n_keys)``.
        include: boolean ``(n_keys,)``: labels that enter the mean (e.g. those with gold support).

    Returns:
        ``(...)``; NaN where no label enters.
    """
    v = np.asarray(values, dtype=np.float64)
    if include is not None:
        v = np.where(np.asarray(include, dtype=bool), v, np.nan)
    ok = ~np.isnan(v)
    n = ok.sum(axis=-1)
    total = np.where(ok, v, 0.0).sum(axis=-1)
    return safe_div(total, n)


def micro_f1(c: Counts) -> np.ndarray:
    """F1 of the counts pooled over the last axis (labels); shape drops that axis."""
    tp, fp, fn = c.tp.sum(axis=-1), c.fp.sum(axis=-1), c.fn.sum(axis=-1)
    return safe_div(2 * tp, 2 * tp + fp + fn)


def confusion_matrix(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Counts of (gold, predicted) pairs.

    Args:
        gold: gold label per document; pred: predicted label per document; labels: row/column order.

    Returns:
        ``(len(labels), len(labels))`` integer matrix, rows = gold, columns = predicted.

    Raises:
        ValueError: a value that is not in ``labels``.
    """
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in zip(gold, pred):
        if g not in index or p not in index:
            raise ValueError(f"label {g if g not in index else p!r} is not one of {list(labels)}")
        m[index[g], index[p]] += 1
    return m


def average_precision(scores: np.ndarray, y: np.ndarray) -> float:
    """Area under the precision-recall curve as a step function (scikit-learn's average precision).

    Args:
        scores: ``(n,)`` probabilities; y: ``(n,)`` gold 0/1.

    Returns:
        AP in [0, 1]; NaN when there is no positive.
    """
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return float("nan")
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, np.asarray(scores, dtype=np.float64)))
