"""Speed of the evaluation's heavy parts, against the obvious alternative, in one run.

1. Bootstrap intervals of per-label precision/recall/F1: multinomial weights × count matrices (this
   package) vs. a loop over resamples calling scikit-learn's ``precision_recall_fscore_support`` on
   the resampled rows — the same resamples, so the intervals must agree exactly.
2. Agreement (alpha per facet and label, kappa per pair) on a long table of three annotators.
3. The prevalence-shift study on one system.

Data: the gold labels of the bundled annotated corpus (all splits); predictions are simulated from
them (each cell flipped: 10 % of positives missed, 5 % of negatives added, scores drawn around the
decision) — speed does not depend on how good the predictions are, and no model is needed.

Run: ``python -m evaluation.bench [--boot 1000] [--repeat 3]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

__all__ = ["main"]


def _data(seed: int) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from corpora.annotated import default_corpus_path, read_gold
    from models.layout import LabelLayout
    from models.taxonomy import load_taxonomy

    tax = load_taxonomy()
    lay = LabelLayout(tax)
    docs = list(read_gold(default_corpus_path(), tax))
    y, mask = lay.encode([d.labels for d in docs])
    y = y > 0.5
    rng = np.random.default_rng(seed)
    d = np.where(y, rng.random(y.shape) > 0.10, rng.random(y.shape) < 0.05)
    s = np.clip(np.where(d, 0.75, 0.2) + 0.15 * rng.standard_normal(y.shape), 0, 1)
    return lay, y, d, s, mask


def _sklearn_loop(y: np.ndarray, d: np.ndarray, applies: np.ndarray, idx: np.ndarray) -> np.ndarray:
    from sklearn.metrics import precision_recall_fscore_support

    out = np.full((len(idx), y.shape[1]), np.nan)
    for b, rows in enumerate(idx):
        for j in range(y.shape[1]):
            r = rows[applies[rows, j]]
            yt, yp = y[r, j], d[r, j]
            if yt.any() or yp.any():
                out[b, j] = precision_recall_fscore_support(yt, yp, average="binary", zero_division=0)[2]
    return out


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a short table and return the figures."""
    from evaluation.agreement import agreement, long_table
    from evaluation.arrays import EvalArrays
    from evaluation.bootstrap import resample_weights
    from evaluation.metrics import counts, f1
    from evaluation.shift import ShiftConfig, shift_study

    ap = argparse.ArgumentParser(prog="python -m evaluation.bench")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    ap.add_argument("--loop-boot", type=int, default=30, help="resamples timed for the scikit-learn loop")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    lay, y, d, s, applies = _data(args.seed)
    n, k = y.shape
    w = resample_weights(n, args.boot, seed=args.seed)
    t_vec, f_vec = _best(lambda: f1(counts(y, d, applies, w)), args.repeat)
    # the loop on the first resamples only (it is slow), as index arrays reproducing the same multiplicities
    idx = np.stack([np.repeat(np.arange(n), row) for row in w[: args.loop_boot]])
    t_loop, f_loop = _best(lambda: _sklearn_loop(y, d, applies, idx), 1)
    same = np.allclose(np.nan_to_num(f_vec[: args.loop_boot], nan=-1), np.nan_to_num(f_loop, nan=-1))
    loop_per_resample = t_loop / args.loop_boot
    vec_per_resample = t_vec / args.boot

    tax = lay.taxonomy
    rng = np.random.default_rng(args.seed)
    anns = []
    objs = lay.to_labels(y)
    noisy = lay.to_labels(d)
    for i in range(n):
        anns.append((f"doc{i}", "A", objs[i]))
        anns.append((f"doc{i}", "B", noisy[i]))
        if rng.random() < 0.5:
            anns.append((f"doc{i}", "C", objs[i] if rng.random() < 0.8 else noisy[i]))
    t_table, table = _best(lambda: long_table(anns, tax), 1)
    t_agree, agr = _best(lambda: agreement(table, tax), 1)

    from corpora.annotated import AnnotatedDoc

    docs = [AnnotatedDoc(id=str(i), text="", date=None, city=None, source="news", outlet=None, labels={})
            for i in range(n)]
    cells = np.ones_like(y)
    if lay.gate_column is not None:
        cells[np.ix_(~y[:, lay.gate_column], lay.gated_mask)] = False
    ev = EvalArrays(lay, docs, y, s, d, d, cells, np.zeros(n, bool), [{}] * n, [None] * n, True)
    cfg = ShiftConfig(repeats=100, sample_size=200)
    t_shift, study = _best(lambda: shift_study(ev, cfg), 1)

    figures = {
        "docs": n, "keys": k, "bootstrap_resamples": args.boot,
        "bootstrap_vectorised_s": round(t_vec, 3),
        "bootstrap_sklearn_loop_s_per_resample": round(loop_per_resample, 4),
        "bootstrap_vectorised_s_per_resample": round(vec_per_resample, 6),
        "bootstrap_speedup": round(loop_per_resample / vec_per_resample, 1),
        "bootstrap_results_identical": bool(same),
        "agreement_annotations": len(anns), "agreement_long_rows": len(table),
        "long_table_s": round(t_table, 2), "agreement_s": round(t_agree, 2),
        "agreement_alpha_relevance": agr["facets"]["relevance"]["alpha"],
        "shift_keys": len(study["keys"]), "shift_samples": len(study["keys"]) * len(cfg.prevalences) * cfg.repeats,
        "shift_s": round(t_shift, 2),
    }
    print(f"evaluation bench on {n} documents x {k} labels (bundled corpus gold, simulated predictions)")
    print(f"  bootstrap F1, {args.boot} resamples: {t_vec:.3f} s vectorised; scikit-learn loop "
          f"{loop_per_resample * 1000:.1f} ms/resample -> {figures['bootstrap_speedup']}x faster "
          f"(identical results: {same})")
    print(f"  agreement: {len(anns)} annotations ({len(table)} long rows): table {t_table:.2f} s, "
          f"alpha+kappa {t_agree:.2f} s")
    print(f"  shift study: {figures['shift_samples']} samples over {len(study['keys'])} labels in {t_shift:.2f} s")
    return figures


if __name__ == "__main__":  # pragma: no cover
    main()
