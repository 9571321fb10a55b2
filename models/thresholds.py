"""Per-label decision thresholds tuned on the dev split, and error rates measured on held-out data.

Thresholds: for each score key, the cut that maximises that key's F1 on dev (ties broken toward the
default), over documents the key applies to (gated keys: gold-relevant documents only). A key with
fewer than ``min_pos`` dev positives keeps its default (0.5 for sigmoid keys; 0.0 — plain argmax — for
single-label keys).

Error rates (``error_rates.json``, read by the time-series stage to correct shares): per key, the
true-positive and false-positive rates of the key's own decision, on the gold-relevant documents for
gated keys and all documents for the gate; and the soft rates (``soft_tpr``/``soft_fpr``: the mean score
of gold positives / negatives) that the probabilistic correction (PACC) needs. Documents the relevance
prefilter skips (``skipped``) are decided as ``classify`` decides them (not relevant, no labels) when
thresholds are tuned; the error rates are measured on the documents the prefilter passes — the population
the time-series stage corrects (it counts skipped documents as not relevant and corrects the rest).

Example:
    >>> import numpy as np
    >>> from models.taxonomy import load_taxonomy
    >>> from models.layout import LabelLayout
    >>> lay = LabelLayout(load_taxonomy())
    >>> best_f1_threshold(np.array([.9, .8, .3, .2]), np.array([1, 1, 0, 0]))[0] > 0.3
    True
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from models.layout import LabelLayout
from models.metrics import f1_score_counts

__all__ = ["tune_thresholds", "best_f1_threshold", "error_rates", "cross_fitted_error_rates", "GRID"]

#: candidate thresholds for sigmoid keys
GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def best_f1_threshold(p: np.ndarray, y: np.ndarray, grid: np.ndarray = GRID, default: float = 0.5
                      ) -> tuple[float, float]:
    """The threshold in ``grid`` maximising F1 of ``p >= t`` against ``y`` (ties: nearest ``default``).

    Returns:
        ``(threshold, f1)``.
    """
    y = np.asarray(y) > 0.5
    best_t, best_f = default, -1.0
    for t in grid:
        d = p >= t
        f = f1_score_counts(int((d & y).sum()), int((d & ~y).sum()), int((~d & y).sum()))
        if f > best_f + 1e-12 or (abs(f - best_f) <= 1e-12 and abs(t - default) < abs(best_t - default)):
            best_t, best_f = float(t), f
    return best_t, max(best_f, 0.0)


def _key_rows(layout: LabelLayout, y: np.ndarray, mask: np.ndarray, col: int) -> np.ndarray:
    return mask[:, col] if layout.gated_mask[col] else np.ones(len(y), dtype=bool)


def tune_thresholds(scores: np.ndarray, y: np.ndarray, mask: np.ndarray, layout: LabelLayout, *,
                    min_pos: int = 3, skipped: np.ndarray | None = None
                    ) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Tune one threshold per score key on dev.

    Args:
        scores: dev probabilities ``(n_docs, n_keys)``.
        y: dev gold ``(n_docs, n_keys)``; mask: loss mask (False for gated keys of non-relevant docs).
        min_pos: fewest dev positives needed to tune a key.
        skipped: ``(n_docs,)`` True where the prefilter skips the document (never positive for any key).

    Returns:
        ``(thresholds {key: t}, details {key: {threshold, source, dev_f1, n_pos}})``.
    """
    off = np.zeros(len(y), dtype=bool) if skipped is None else np.asarray(skipped, dtype=bool)
    thresholds: dict[str, float] = {}
    details: dict[str, dict[str, Any]] = {}
    for h in layout.heads:
        for c in h.columns:
            key = layout.keys[c]
            rows = _key_rows(layout, y, mask, c)
            yk = y[rows, c]
            n_pos = int(yk.sum())
            default = 0.0 if h.softmax else 0.5
            if n_pos < min_pos or n_pos == len(yk):
                thresholds[key] = default
                details[key] = {"threshold": default, "source": f"default (dev positives {n_pos} < {min_pos})"
                                if n_pos < min_pos else "default (no dev negatives)", "n_pos": n_pos}
                continue
            if h.softmax:
                block = scores[rows][:, list(h.columns)]
                is_best = block.argmax(axis=1) == list(h.columns).index(c)
                p = np.where(is_best & ~off[rows], scores[rows, c], -1.0)
                t, f = best_f1_threshold(p, yk, grid=np.concatenate([[0.0], GRID[GRID <= 0.8]]), default=0.0)
            else:
                t, f = best_f1_threshold(np.where(off[rows], -1.0, scores[rows, c]), yk)
            thresholds[key] = t
            details[key] = {"threshold": t, "source": "dev", "dev_f1": round(f, 4), "n_pos": n_pos}
    return thresholds, details


def error_rates(scores: np.ndarray, y: np.ndarray, mask: np.ndarray, layout: LabelLayout,
                thresholds: Mapping[str, float], *, measured_on: str, skipped: np.ndarray | None = None
                ) -> dict[str, dict[str, Any]]:
    """True- and false-positive rates per score key on held-out documents.

    Args:
        scores: held-out probabilities ``(n_docs, n_keys)``; y, mask: gold and loss mask.
        thresholds: the model's thresholds.
        measured_on: where the documents come from (recorded in every entry, e.g. ``"test"``).
        skipped: ``(n_docs,)`` True where the prefilter skips the document: left out of the rates (the
            time series counts such documents as not relevant and corrects only the others).

    Returns:
        ``{key: {tpr, fpr, soft_tpr, soft_fpr, n_pos, n_neg, measured_on, population}}``; a rate is
        ``None`` when its denominator is zero.
    """
    off = np.zeros(len(y), dtype=bool) if skipped is None else np.asarray(skipped, dtype=bool)
    dec = layout.decide(scores, thresholds, gate=False)
    dec[off] = False
    sc = np.where(off[:, None], 0.0, scores)
    return _rates(dec, y, mask, layout, measured_on, scores=sc, skipped=off)


def cross_fitted_error_rates(scores: np.ndarray, y: np.ndarray, mask: np.ndarray, layout: LabelLayout, *,
                             folds: int = 5, seed: int = 0, min_pos: int = 3, skipped: np.ndarray | None = None
                             ) -> dict[str, dict[str, Any]]:
    """Error rates on dev with thresholds cross-fitted: tuned on k-1 folds, applied to the held-out fold.

    Used when there is no test split, so the rates are not measured on the data the thresholds fit.
    """
    n = len(y)
    off = np.zeros(n, dtype=bool) if skipped is None else np.asarray(skipped, dtype=bool)
    rng = np.random.default_rng(seed)
    fold = rng.permutation(n) % max(2, min(folds, n))
    dec = np.zeros_like(y, dtype=bool)
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        th, _ = tune_thresholds(scores[tr], y[tr], mask[tr], layout, min_pos=min_pos, skipped=off[tr])
        dec[te] = layout.decide(scores[te], th, gate=False)
    dec[off] = False
    return _rates(dec, y, mask, layout, f"dev ({folds}-fold cross-fitted thresholds)",
                  scores=np.where(off[:, None], 0.0, scores), skipped=off)


def _rates(dec: np.ndarray, y: np.ndarray, mask: np.ndarray, layout: LabelLayout, measured_on: str, *,
           scores: np.ndarray, skipped: np.ndarray) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for c, key in enumerate(layout.keys):
        n_skip = int((_key_rows(layout, y, mask, c) & skipped).sum())
        rows = _key_rows(layout, y, mask, c) & ~skipped
        g, d, p = y[rows, c] > 0.5, dec[rows, c], scores[rows, c]
        n_pos, n_neg = int(g.sum()), int((~g).sum())
        out[key] = {
            "tpr": round(float((d & g).sum() / n_pos), 4) if n_pos else None,
            "fpr": round(float((d & ~g).sum() / n_neg), 4) if n_neg else None,
            "soft_tpr": round(float(p[g].mean()), 4) if n_pos else None,
            "soft_fpr": round(float(p[~g].mean()), 4) if n_neg else None,
            "n_pos": n_pos,
            "n_skipped_by_prefilter": n_skip,
            "n_neg": n_neg,
            "measured_on": measured_on,
            "population": ("gold-relevant documents" if layout.gated_mask[c] else "all documents")
            + (" the prefilter passes" if skipped.any() else ""),
        }
    return out
