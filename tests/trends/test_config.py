"""TrendsConfig: defaults, validation, loading with unknown-key hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from stigmascope.config import load_config
from stigmascope.errors import ConfigError
from trends.config import Freq, PlaceLevel, TrendsConfig, Weight


def test_defaults_and_file(tmp_path: Path) -> None:
    cfg = TrendsConfig()
    assert (cfg.freq, cfg.by, cfg.weight, cfg.min_count, cfg.level) == (Freq.month, PlaceLevel.city, Weight.none, 10, 0.95)
    path = tmp_path / "trends.toml"
    path.write_text('freq = "week"\nby = "province"\nalert_alpha = 0.005\n', encoding="utf-8")
    cfg = load_config(TrendsConfig, path, min_count=25)
    assert (cfg.freq, cfg.by, cfg.alert_alpha, cfg.min_count) == (Freq.week, PlaceLevel.province, 0.005, 25)
    assert cfg.to_dict()["freq"] == "week"


@pytest.mark.parametrize("values, message", [
    ({"freq": "fortnight"}, "freq must be one of"),
    ({"by": "county"}, "by must be one of"),
    ({"weight": "views"}, "weight must be one of"),
    ({"level": 1.0}, "level must be in"),
    ({"bootstrap": 10}, "bootstrap must be >= 50"),
    ({"alert_alpha": 0.7}, "alert_alpha"),
    ({"alert_window": 2, "alert_min_baseline": 3}, "alert_min_baseline cannot exceed"),
    ({"alert_min_ratio": 0.5}, "alert_min_ratio"),
    ({"min_cuont": 5}, "did you mean 'min_count'"),
])
def test_bad_values_are_refused(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(TrendsConfig, values)
