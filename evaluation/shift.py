"""Prevalence-shift study: the evidence behind the trends' corrected shares.

A per-city time series meets label prevalences far from the test split's. To see how plain and
corrected shares behave there, for every score key with enough gold positives and negatives in its
population, and for each target prevalence π:

1. split the key's documents in two halves, stratified by gold (a *calibration* half and a *sample* half);
2. measure tpr/fpr and soft rates on the calibration half;
3. draw ``sample_size`` documents with replacement from the sample half, ``round(π·m)`` of them gold
   positive — a set whose true prevalence is known;
4. estimate its prevalence with CC, ACC, PCC and PACC (and ACC with the model's stored rates, when given);

repeated ``repeats`` times with fresh splits. Reported: mean signed error (bias) and mean absolute error
per method and π, per key and averaged over keys.

Example:
    >>> res = shift_study(ev, prevalences=(0.05, 0.2, 0.5), repeats=50)      # doctest: +SKIP
    >>> res["summary"]["mae"]["0.05"]["cc"], res["summary"]["mae"]["0.05"]["acc"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from evaluation.arrays import EvalArrays
from evaluation.quantify import adjusted_count, hard_rates, rates_from_error_file, soft_rates

__all__ = ["SHIFT_METHODS", "ShiftConfig", "shift_study"]

SHIFT_METHODS = ("cc", "acc", "pcc", "pacc", "acc_stored")


@dataclass(frozen=True)
class ShiftConfig:
    """Settings of the prevalence-shift study.

    Attributes:
        prevalences: target true prevalences, each in (0, 1).
        sample_size: documents per drawn sample.
        repeats: samples (each with a fresh calibration/sample split) per key and prevalence.
        min_class: fewest gold positives and negatives a key needs in its population to be studied.
        seed: random seed.
    """

    prevalences: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
    sample_size: int = 200
    repeats: int = 200
    min_class: int = 6
    seed: int = 13

    def __post_init__(self) -> None:
        if not self.prevalences or not all(0.0 < p < 1.0 for p in self.prevalences):
            raise ValueError(f"prevalences must be a non-empty list of numbers in (0, 1), got {self.prevalences}")
        if self.sample_size < 10:
            raise ValueError(f"sample_size must be at least 10, got {self.sample_size}")
        if self.repeats < 1:
            raise ValueError(f"repeats must be at least 1, got {self.repeats}")
        if self.min_class < 2:
            raise ValueError(f"min_class must be at least 2 (one per half), got {self.min_class}")


def _split(g: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    cal = np.zeros(len(g), dtype=bool)
    for cls in (True, False):
        idx = rng.permutation(np.flatnonzero(g == cls))
        cal[idx[: len(idx) // 2]] = True
    return cal, ~cal


def _study_key(d: np.ndarray, s: np.ndarray, g: np.ndarray, stored: tuple[float | None, float | None],
               cfg: ShiftConfig, rng: np.random.Generator) -> dict[str, dict[str, list[float]]]:
    """Errors per prevalence and method for one key: ``{pi: {method: [errors]}}``."""
    m = cfg.sample_size
    out: dict[str, dict[str, list[float]]] = {f"{p:g}": {k: [] for k in SHIFT_METHODS} for p in cfg.prevalences}
    for _ in range(cfg.repeats):
        cal, smp = _split(g, rng)
        tpr, fpr = hard_rates(d[cal], g[cal])
        stpr, sfpr = soft_rates(s[cal], g[cal])
        pos, neg = np.flatnonzero(smp & g), np.flatnonzero(smp & ~g)
        for p in cfg.prevalences:
            k = int(round(p * m))
            idx = np.concatenate([rng.choice(pos, k, replace=True), rng.choice(neg, m - k, replace=True)])
            true = k / m
            cc, pcc = float(d[idx].mean()), float(s[idx].mean())
            row = out[f"{p:g}"]
            row["cc"].append(cc - true)
            row["pcc"].append(pcc - true)
            row["acc"].append(float(adjusted_count(cc, tpr, fpr)) - true)
            row["pacc"].append(float(adjusted_count(pcc, stpr, sfpr)) - true)
            if stored[0] is not None and stored[1] is not None:
                row["acc_stored"].append(float(adjusted_count(cc, stored[0], stored[1])) - true)
    return out


def shift_study(ev: EvalArrays, config: ShiftConfig | None = None, *,
                error_rates: Mapping[str, Any] | None = None, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the prevalence-shift study on one system's predictions for a gold set.

    Args:
        ev: aligned gold and predictions (ungated decisions and scores are used).
        config: study settings.
        error_rates: the model's ``error_rates.json`` (adds ``acc_stored``).
        keys: restrict to these score keys (default: every key with enough positives and negatives).

    Returns:
        ``{"config", "keys": {key: {"n_pos", "n_neg", "bias": {pi: {method}}, "mae": {pi: {method}}}},
        "skipped": {key: reason}, "summary": {"bias": {pi: {method}}, "mae": {pi: {method}},
        "mae_all": {method}}}``; prevalences are keyed as strings (``"0.05"``).
    """
    cfg = config or ShiftConfig()
    rng = np.random.default_rng(cfg.seed)
    per_key: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    pooled: dict[str, dict[str, list[float]]] = {f"{p:g}": {k: [] for k in SHIFT_METHODS} for p in cfg.prevalences}
    for c, key in enumerate(ev.keys):
        if keys is not None and key not in keys:
            continue
        rows = ev.applies[:, c]
        g = ev.y[rows, c]
        n_pos, n_neg = int(g.sum()), int((~g).sum())
        if min(n_pos, n_neg) < cfg.min_class:
            skipped[key] = f"{n_pos} positives / {n_neg} negatives (< {cfg.min_class})"
            continue
        stored = rates_from_error_file(error_rates, key) if error_rates else (None, None)
        errs = _study_key(ev.raw_decisions[rows, c], ev.scores[rows, c], g, stored, cfg, rng)
        entry: dict[str, Any] = {"n_pos": n_pos, "n_neg": n_neg, "bias": {}, "mae": {}}
        for p, by_method in errs.items():
            entry["bias"][p] = {m: round(float(np.mean(v)), 4) for m, v in by_method.items() if v}
            entry["mae"][p] = {m: round(float(np.mean(np.abs(v))), 4) for m, v in by_method.items() if v}
            for m, v in by_method.items():
                if v:
                    pooled[p][m].append(float(np.mean(v)))
        per_key[key] = entry
    summary: dict[str, Any] = {"bias": {}, "mae": {}, "mae_all": {}}
    for p in pooled:
        summary["bias"][p] = {m: round(float(np.mean([per_key[k]["bias"][p][m] for k in per_key
                                                       if m in per_key[k]["bias"][p]])), 4)
                              for m in SHIFT_METHODS if pooled[p][m]}
        summary["mae"][p] = {m: round(float(np.mean([per_key[k]["mae"][p][m] for k in per_key
                                                      if m in per_key[k]["mae"][p]])), 4)
                             for m in SHIFT_METHODS if pooled[p][m]}
    for m in SHIFT_METHODS:
        vals = [summary["mae"][p][m] for p in summary["mae"] if m in summary["mae"][p]]
        if vals:
            summary["mae_all"][m] = round(float(np.mean(vals)), 4)
    return {"config": {"prevalences": list(cfg.prevalences), "sample_size": cfg.sample_size,
                       "repeats": cfg.repeats, "min_class": cfg.min_class, "seed": cfg.seed},
            "keys": per_key, "skipped": skipped, "summary": summary,
            "note": "acc/pacc use rates from a calibration half disjoint from the sampled half; acc_stored uses the "
                    "model's error_rates.json, which may have been measured on these same documents"}
