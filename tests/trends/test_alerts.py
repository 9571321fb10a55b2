"""Alerts: a period well above the place's own trailing baseline."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from trends.alerts import ALERT_COLUMNS, alert_rule_text, find_alerts
from trends.config import TrendsConfig


def _series(place: str, counts: list[int | None], denoms: list[int] | int, *, key: str = "stereotype.burden",
            level: str = "city", min_count: int = 10) -> list[dict]:
    denoms = denoms if isinstance(denoms, list) else [denoms] * len(counts)
    rows = []
    for i, (c, n) in enumerate(zip(counts, denoms)):
        if c is None:
            continue
        start = dt.date(2023, i + 1, 1) if i < 12 else dt.date(2024, i - 11, 1)
        share = c / n
        rows.append({"place": place, "place_level": level, "period": start.strftime("%Y-%m"), "period_start": start,
                     "facet": key.split(".")[0], "label": key.split(".")[1], "score_key": key, "label_zh": "城市负担",
                     "label_en": "burden", "count": c, "denom": n, "n_eff": float(n), "share": share, "est": share,
                     "est_lo": share, "est_hi": share, "small_cell": int(n < min_count)})
    return rows


def test_a_spike_above_the_baseline_is_flagged() -> None:
    t = pd.DataFrame(_series("北京", [10, 12, 9, 11, 10, 30, 11], 100))
    alerts, n_tests = find_alerts(t, TrendsConfig())
    assert list(alerts.columns) == ALERT_COLUMNS
    assert alerts["period"].tolist() == ["2023-06"]
    a = alerts.iloc[0]
    assert a["baseline_share"] == pytest.approx(52 / 500) and a["baseline_periods"] == 5
    assert a["ratio"] == pytest.approx(0.30 / (52 / 500))
    assert a["p_value"] < 1e-5 and a["z"] > 5
    assert n_tests == 4  # 2023-04 … 2023-07 have at least 3 baseline periods


@pytest.mark.parametrize("counts, denoms, why", [
    ([10, 12, 9, 11, 10, 14, 11], 100, "a rise within noise"),
    ([0, 0, 0, 0, 0, 4, 0], 100, "fewer than alert_min_count positives"),
    ([10, 12, 9, 11, 10, 30, 11], [100, 100, 100, 100, 100, 8, 100], "the spike is a small cell"),
    ([None, None, None, None, 10, 30, 11], 100, "no baseline yet"),
])
def test_no_alert(counts, denoms, why) -> None:
    alerts, _ = find_alerts(pd.DataFrame(_series("上海", counts, denoms)), TrendsConfig())
    assert alerts.empty, why


def test_an_empty_baseline_needs_more_than_one_document() -> None:
    # zero positives for five months, then 6 of 100: the half-document floor keeps p0 > 0
    alerts, _ = find_alerts(pd.DataFrame(_series("深圳", [0, 0, 0, 0, 0, 6], 100)), TrendsConfig())
    assert alerts["period"].tolist() == ["2023-06"]
    assert alerts.iloc[0]["ratio"] == float("inf")


def test_baseline_is_the_trailing_window_on_the_calendar() -> None:
    # a high level long ago does not count: the window is the previous 6 calendar months
    counts = [40, 40, 40] + [10] * 6 + [25]
    alerts, _ = find_alerts(pd.DataFrame(_series("广州", counts, 100)), TrendsConfig(alert_window=6))
    assert alerts["period"].tolist() == ["2023-10"]
    assert alerts.iloc[0]["baseline_share"] == pytest.approx(0.10)


def test_unknown_places_are_not_alerted_and_rule_text_states_the_settings() -> None:
    t = pd.DataFrame(_series("未知", [10, 12, 9, 11, 10, 30, 11], 100, level="unknown"))
    assert find_alerts(t, TrendsConfig())[0].empty
    text = alert_rule_text(TrendsConfig(alert_alpha=0.005, alert_window=8))
    assert "previous 8 periods" in text and "0.005" in text
