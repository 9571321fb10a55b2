"""Trend statistics: Theil–Sen, Mann–Kendall, Benjamini–Hochberg and change points."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from trends.config import TrendsConfig
from trends.stats import CHANGE_COLUMNS, STATS_COLUMNS, benjamini_hochberg, change_points, series_stats


def _table(series: dict[tuple[str, str], list[float | None]], *, half_width: float = 0.02,
           small: dict[tuple[str, str], set[int]] | None = None) -> pd.DataFrame:
    """A minimal tidy table: monthly periods of 2022–2023, one row per (place, key, period)."""
    rows = []
    for (place, key), values in series.items():
        for i, v in enumerate(values):
            if v is None:
                continue  # the place has no documents that month
            start = dt.date(2022 + i // 12, i % 12 + 1, 1)
            rows.append({"place": place, "place_level": "national" if place == "全国" else "city", "facet": key.split(".")[0],
                         "label": key.split(".")[-1], "score_key": key, "label_zh": key, "label_en": key,
                         "period": start.strftime("%Y-%m"), "period_start": start, "est": v, "est_lo": max(0, v - half_width),
                         "est_hi": min(1, v + half_width),
                         "small_cell": int(i in (small or {}).get((place, key), set()))})
    return pd.DataFrame(rows)


def test_benjamini_hochberg_known_values() -> None:
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.20, np.nan]))
    assert q[:4] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20], abs=1e-9)
    assert np.isnan(q[4])


def test_change_points_find_a_step_and_ignore_noise() -> None:
    rng = np.random.default_rng(1)
    step = np.r_[np.full(10, 0.10), np.full(10, 0.30)] + rng.normal(0, 0.01, 20)
    assert change_points(step, noise_var=0.0001) == [10]
    flat = 0.2 + rng.normal(0, 0.01, 20)
    assert change_points(flat, noise_var=0.0001) == []
    assert change_points(np.array([0.1, 0.2, 0.3]), noise_var=0.0) == []  # too short for two segments


def test_increasing_decreasing_and_flat_series() -> None:
    rng = np.random.default_rng(2)
    up = list(0.10 + 0.01 * np.arange(16) + rng.normal(0, 0.005, 16))
    down = list(0.40 - 0.015 * np.arange(16) + rng.normal(0, 0.005, 16))
    flat = list(0.2 + rng.normal(0, 0.005, 16))
    t = _table({("北京", "stereotype.dirt"): up, ("北京", "exclusion.employment"): down, ("上海", "stereotype.dirt"): flat})
    stats, _ = series_stats(t, TrendsConfig())
    assert list(stats.columns) == STATS_COLUMNS
    s = stats.set_index(["place", "score_key"])
    assert s.loc[("北京", "stereotype.dirt"), "trend"] == "increasing"
    assert s.loc[("北京", "stereotype.dirt"), "slope"] == pytest.approx(0.01, abs=0.002)
    lo, hi = s.loc[("北京", "stereotype.dirt"), ["slope_lo", "slope_hi"]]
    assert lo < 0.01 < hi
    assert s.loc[("北京", "exclusion.employment"), "trend"] == "decreasing"
    assert s.loc[("北京", "exclusion.employment"), "slope"] == pytest.approx(-0.015, abs=0.002)
    assert s.loc[("上海", "stereotype.dirt"), "trend"] == "no trend"
    assert (stats["mk_q"] >= stats["mk_p"]).all()


def test_gaps_count_as_time_and_small_cells_are_left_out() -> None:
    values = [0.1 + 0.02 * i if i % 3 else None for i in range(15)]  # every third month missing
    values[4] = 0.9  # an outlier in a small cell
    t = _table({("深圳", "stance.supportive"): values}, small={("深圳", "stance.supportive"): {4}})
    stats, _ = series_stats(t, TrendsConfig())
    row = stats.iloc[0]
    assert row["n_periods"] == 9  # 10 present months minus the small cell
    assert row["slope"] == pytest.approx(0.02, abs=1e-9)  # per calendar month, not per observation


def test_short_series_are_reported_but_not_tested() -> None:
    t = _table({("广州", "stereotype.burden"): [0.1, 0.2, 0.3]})
    stats, changes = series_stats(t, TrendsConfig(min_periods=4))
    assert stats.iloc[0]["trend"] == "too short" and np.isnan(stats.iloc[0]["mk_p"])
    assert changes.empty and list(changes.columns) == CHANGE_COLUMNS


def test_change_points_are_listed_with_their_period() -> None:
    values = [0.05] * 8 + [0.35] * 8
    t = _table({("全国", "stereotype.crime_violence"): values}, half_width=0.02)
    stats, changes = series_stats(t, TrendsConfig())
    assert stats.iloc[0]["n_changepoints"] == 1 and stats.iloc[0]["changepoints"] == "2022-09"
    c = changes.iloc[0]
    assert (c["period"], c["mean_before"], c["mean_after"]) == ("2022-09", pytest.approx(0.05), pytest.approx(0.35))
