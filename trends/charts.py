"""Static charts for papers (matplotlib, Agg; PNG + SVG): small multiples per place, place × period heat
maps, and the mix of a single-label facet (stance) over time.

A CJK font is used when one is installed (WenQuanYi Zen Hei, Noto Sans CJK, Source Han Sans, …); without
one, label names fall back to English and place names may show as boxes — :func:`cjk_font` returns
``None`` and the result says so.

Example:
    >>> files = write_charts(table, "out/charts", taxonomy=tax, places=["北京", "深圳"])   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.taxonomy import FacetKind, Taxonomy
from trends.config import NATIONAL

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CJK_FAMILIES", "cjk_font", "write_charts"]

CJK_FAMILIES = ("WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "Source Han Sans CN", "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
_PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30638e", "#e07a5f")


def cjk_font() -> str | None:
    """Name of an installed CJK font, registered with matplotlib (None when there is none)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for d in _FONT_DIRS:
        root = Path(d)
        if not root.is_dir():
            continue
        for pattern in ("*wqy*", "*NotoSansCJK*", "*SourceHanSans*", "*NotoSansSC*"):
            for path in root.rglob(pattern):
                if path.suffix.lower() in (".ttf", ".ttc", ".otf"):
                    try:
                        font_manager.fontManager.addfont(str(path))
                    except (OSError, RuntimeError, ValueError):
                        continue
        names = {f.name for f in font_manager.fontManager.ttflist}
        for fam in CJK_FAMILIES:
            if fam in names:
                return fam
    return None


def _rc(font: str | None) -> dict[str, Any]:
    return {"font.family": "sans-serif", "font.sans-serif": ([font] if font else []) + ["DejaVu Sans"],
            "axes.unicode_minus": False, "svg.fonttype": "none", "axes.spines.top": False,
            "axes.spines.right": False, "font.size": 8}


def _label(row: Any, font: str | None) -> str:
    return str(row["label_zh"]) if font else str(row["label_en"])


def _save(fig: Any, out: Path, stem: str, written: list[str]) -> None:
    for ext in ("png", "svg"):
        path = out / f"{stem}.{ext}"
        fig.savefig(path, dpi=150 if ext == "png" else None)
        written.append(str(path))


def _periods(table: pd.DataFrame) -> tuple[dict[Any, int], list[tuple[int, str]]]:
    """Calendar position of each period start on the x axis (gaps count), and ``(position, label)`` ticks."""
    from trends.aggregate import period_index
    from trends.config import Freq

    freq = Freq(str(table["freq"].iloc[0])) if "freq" in table and len(table) else Freq.month
    starts = sorted(table["period_start"].unique())
    names = table.drop_duplicates("period_start").set_index("period_start")["period"].to_dict()
    first = period_index(starts[0], freq) if starts else 0
    pos = {p: period_index(p, freq) - first for p in starts}
    return pos, [(pos[p], str(names[p])) for p in starts]


def _xticks(ax: Any, ticks: list[tuple[int, str]], most: int = 6) -> None:
    """At most ``most`` period labels on the integer calendar axis (fixed ticks: no date locator to run)."""
    if not ticks:
        return
    step = max(1, int(np.ceil(len(ticks) / most)))
    chosen = ticks[::step]
    ax.set_xticks([p for p, _ in chosen], labels=[lab for _, lab in chosen], rotation=45, fontsize=7, ha="right")
    ax.set_xlim(-0.5, ticks[-1][0] + 0.5)


def _panels(rows: int, cols: int) -> tuple[Any, np.ndarray]:
    """A figure of ``rows × cols`` panels with fixed margins (room for a title and a legend below).

    Fixed margins instead of a layout engine: laying out dozens of panels is what made charts slow.
    """
    from matplotlib.figure import Figure

    width, height = 3.0 * cols, 2.2 * rows + 1.0
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, top=1 - 0.45 / height, bottom=0.75 / height,
                        wspace=0.12, hspace=0.55)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)).ravel()
    return fig, axes


def _grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return int(np.ceil(n / cols)), cols


def _small_multiples(table: pd.DataFrame, facet: Any, places: list[str], font: str | None, out: Path,
                     written: list[str]) -> None:
    keys = [facet.score_key(lab.id) for lab in facet.labels]
    rows, cols = _grid(len(places))
    pos, ticks = _periods(table)
    fig, axes = _panels(rows, cols)
    for ax, place in zip(axes, places):
        sub = table[table["place"] == place]
        for i, key in enumerate(keys):
            s = sub[sub["score_key"] == key].sort_values("period_start")
            y = np.where(s["small_cell"] == 1, np.nan, s["est"].to_numpy(float))
            x = np.array([pos[p] for p in s["period_start"]], dtype=float)
            if not len(s):
                continue
            color = _PALETTE[i % len(_PALETTE)]
            name = _label(s.iloc[0], font)
            ax.plot(x, y, marker="o", ms=2.5, lw=1.2, color=color, label=name)
            lo = np.where(s["small_cell"] == 1, np.nan, s["est_lo"].to_numpy(float))
            hi = np.where(s["small_cell"] == 1, np.nan, s["est_hi"].to_numpy(float))
            ax.fill_between(x, lo, hi, color=color, alpha=0.12, lw=0)
        ax.set_title(place, fontsize=9)
        ax.set_ylim(0, None)
        _xticks(ax, ticks)
    for ax in axes[len(places):]:
        ax.set_visible(False)
    title = (facet.name_zh if font else facet.name_en) or facet.id
    fig.suptitle(f"{title}: share by place (corrected where possible; band = {'区间'  if font else 'interval'})")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False)
    _save(fig, out, f"small_multiples_{facet.id}", written)


def _heatmap(table: pd.DataFrame, key: str, places: list[str], font: str | None, out: Path,
             written: list[str]) -> None:
    from matplotlib.figure import Figure

    sub = table[(table["score_key"] == key) & table["place"].isin(places)]
    if sub.empty:
        return
    vals = sub.assign(v=np.where(sub["small_cell"] == 1, np.nan, sub["est"]))
    grid = vals.pivot_table(index="place", columns="period", values="v", aggfunc="first", dropna=False)
    periods = sorted(table["period"].unique())
    grid = grid.reindex(index=[p for p in places if p in grid.index], columns=periods)
    width, height = max(5.0, 0.3 * len(periods) + 2.5), max(2.5, 0.3 * len(grid) + 1.6)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.9 / width, right=1 - 1.3 / width, top=1 - 0.4 / height, bottom=0.9 / height)
    ax = fig.subplots()
    data = np.ma.masked_invalid(grid.to_numpy(float))
    im = ax.imshow(data, aspect="auto", cmap="YlOrRd", vmin=0, interpolation="nearest")
    ax.set_facecolor("#eeeeee")
    ax.set_yticks(range(len(grid.index)), labels=list(grid.index))
    step = max(1, len(periods) // 24)
    ax.set_xticks(range(0, len(periods), step), labels=periods[::step], rotation=60, fontsize=7)
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.set_label("share" if not font else "比例 share")
    row = sub.iloc[0]
    ax.set_title(f"{_label(row, font)} ({key}) — grey: no data or small cell")
    _save(fig, out, f"heatmap_{key.replace('.', '_')}", written)


def _mix(table: pd.DataFrame, facet: Any, places: list[str], font: str | None, out: Path,
         written: list[str]) -> None:
    keys = [facet.score_key(lab.id) for lab in facet.labels]
    rows, cols = _grid(len(places))
    pos, ticks = _periods(table)
    fig, axes = _panels(rows, cols)
    for ax, place in zip(axes, places):
        sub = table[(table["place"] == place) & (table["score_key"].isin(keys)) & (table["small_cell"] == 0)]
        if sub.empty:
            ax.set_title(place, fontsize=9)
            continue
        wide = sub.pivot_table(index="period_start", columns="score_key", values="share", aggfunc="first")
        wide = wide.reindex(columns=keys).fillna(0.0).sort_index()
        x = np.array([pos[p] for p in wide.index], dtype=float)
        ys = [wide[k].to_numpy(float) for k in keys]
        rest = np.clip(1.0 - np.sum(ys, axis=0), 0.0, 1.0)
        names = [_label(sub[sub["score_key"] == k].iloc[0], font) if (sub["score_key"] == k).any() else k for k in keys]
        ax.stackplot(x, *ys, rest, labels=names + (["无/未定" if font else "none"]),
                     colors=list(_PALETTE[:len(keys)]) + ["#dddddd"], alpha=0.9)
        ax.set_title(place, fontsize=9)
        ax.set_ylim(0, 1)
        _xticks(ax, ticks)
    for ax in axes[len(places):]:
        ax.set_visible(False)
    title = (facet.name_zh if font else facet.name_en) or facet.id
    fig.suptitle(f"{title}: mix over time (share of relevant documents, plain)")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    _save(fig, out, f"mix_{facet.id}", written)


def write_charts(table: pd.DataFrame, out_dir: str | Path, *, taxonomy: Taxonomy, places: list[str],
                 keys: list[str] | None = None, max_panels: int = 12) -> dict[str, Any]:
    """Write every chart as PNG and SVG.

    Args:
        table: the tidy table.
        out_dir: folder for the files (created).
        taxonomy: facets and labels.
        places: places in order of importance (the national row is drawn first).
        keys: score keys that get a heat map (default: all).
        max_panels: most panels per small-multiples figure (national + places).

    Returns:
        ``{"files": [paths], "font": name or None}``.
    """
    import logging

    import matplotlib

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "weight normal" notices for CJK fonts
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    written: list[str] = []
    panels = [NATIONAL] + [p for p in places if p != NATIONAL][: max_panels - 1]
    heat_places = [NATIONAL] + [p for p in places if p != NATIONAL]
    wanted = keys or taxonomy.score_keys()
    with matplotlib.rc_context(_rc(font)):
        for facet in taxonomy.facets:
            _small_multiples(table, facet, panels, font, out, written)
            if facet.kind is FacetKind.single_label:
                _mix(table, facet, panels, font, out, written)
        for key in wanted:
            _heatmap(table, key, heat_places, font, out, written)
    return {"files": written, "font": font}
