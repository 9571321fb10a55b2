"""Charts of the evaluation report (PNG, matplotlib's Agg canvas, no display needed).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot global state), labelled with
score keys (ASCII), so no CJK font is needed.

Example:
    >>> paths = pr_curves(ev, out_dir, prefix="default")          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from evaluation.arrays import EvalArrays

__all__ = ["pr_curves", "reliability_diagrams", "shift_chart"]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def pr_curves(ev: EvalArrays, out_dir: str | Path, *, prefix: str) -> dict[str, str]:
    """One precision-recall chart per facet (a curve per label with gold positives, legend with AP).

    Args:
        ev: aligned gold and predictions (scores on each key's scored cells).
        out_dir: folder for the PNG files.
        prefix: file-name prefix (the system's name).

    Returns:
        ``{facet_id: file name}`` (relative to ``out_dir``).
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for h in ev.layout.heads:
        fig = _figure(5.2, 4.0)
        ax = fig.add_subplot()
        drawn = 0
        for c in h.columns:
            rows = ev.applies[:, c]
            y, s = ev.y[rows, c], ev.scores[rows, c]
            if not y.any() or y.all():
                continue
            prec, rec, _ = precision_recall_curve(y, s)
            ap = average_precision_score(y, s)
            ax.step(rec, prec, where="post", label=f"{ev.keys[c]} (AP {ap:.2f}, n+={int(y.sum())})")
            drawn += 1
        if not drawn:
            ax.text(0.5, 0.5, "no label with both gold positives and negatives", ha="center", va="center")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title(f"{h.facet.id}: precision-recall")
        if drawn:
            ax.legend(fontsize=7, loc="lower left")
        name = _safe(f"{prefix}_pr_{h.facet.id}.png")
        fig.savefig(out / name)
        files[h.facet.id] = name
    return files


def reliability_diagrams(calibration: Mapping[str, Any], out_dir: str | Path, *, prefix: str) -> dict[str, str]:
    """One reliability diagram per facet from :func:`evaluation.quality.system_quality`'s ``calibration``.

    Bars: share of gold positives per score bin; the diagonal is perfect calibration; the bin counts are
    written above the bars.

    Returns:
        ``{facet_id: file name}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for facet, cal in calibration.items():
        bins = cal["bins"]
        fig = _figure(4.6, 4.0)
        ax = fig.add_subplot()
        centers = np.array([(b["lo"] + b["hi"]) / 2 for b in bins])
        width = bins[0]["hi"] - bins[0]["lo"] if bins else 0.1
        share = np.array([b["share_positive"] if b["share_positive"] is not None else 0.0 for b in bins])
        ax.bar(centers, share, width=width * 0.9, color="#4c72b0", alpha=0.8, label="share positive")
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
        for x, b in zip(centers, bins):
            if b["n"]:
                ax.text(x, min((b["share_positive"] or 0) + 0.02, 0.97), str(b["n"]), ha="center", fontsize=6)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("score")
        ax.set_ylabel("share of gold positives")
        ece = cal.get("ece")
        ax.set_title(f"{facet}: reliability (ECE {ece if ece is not None else 'n/a'})")
        ax.legend(fontsize=7, loc="upper left")
        name = _safe(f"{prefix}_reliability_{facet}.png")
        fig.savefig(out / name)
        files[facet] = name
    return files


def shift_chart(summary: Mapping[str, Any], out_path: str | Path, *, title: str = "") -> str:
    """Bias and mean absolute error of each method against the true prevalence (averaged over keys).

    Args:
        summary: :func:`evaluation.shift.shift_study`'s ``summary``.
        out_path: PNG file to write.

    Returns:
        The written path.
    """
    fig = _figure(9.0, 3.8)
    axes = [fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)]
    prevs = sorted(summary["mae"], key=float)
    methods = sorted({m for p in prevs for m in summary["mae"][p]}, key=lambda m: ("cc", "pcc", "acc", "pacc",
                                                                                   "acc_stored").index(m))
    xs = [float(p) for p in prevs]
    for m in methods:
        axes[0].plot(xs, [summary["bias"][p].get(m, np.nan) for p in prevs], marker="o", label=m)
        axes[1].plot(xs, [summary["mae"][p].get(m, np.nan) for p in prevs], marker="o", label=m)
    axes[0].axhline(0, color="grey", linewidth=1)
    axes[0].set_ylabel("mean (estimate - truth)")
    axes[1].set_ylabel("mean |estimate - truth|")
    for ax in axes:
        ax.set_xlabel("true prevalence")
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x:g}" for x in xs])
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title or "prevalence shift: plain vs corrected shares")
    p = Path(out_path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    return str(p)
