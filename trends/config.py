"""Settings of the time-series stage: one dataclass, validated on construction.

Example:
    >>> from stigmascope.config import load_config
    >>> cfg = load_config(TrendsConfig, {"freq": "quarter", "by": "province", "min_count": 20})
    >>> cfg.freq, cfg.by, cfg.min_count
    (<Freq.quarter: 'quarter'>, <PlaceLevel.province: 'province'>, 20)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

__all__ = ["NATIONAL", "UNKNOWN_PLACE", "Freq", "PlaceLevel", "TrendsConfig", "Weight"]

#: the place name of the all-places row of every period
NATIONAL = "全国"
#: the place name of documents without a city (province) of their own
UNKNOWN_PLACE = "未知"


class Freq(str, Enum):
    """Length of one period of the time series."""

    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"


class PlaceLevel(str, Enum):
    """What a place is: the document's city (prefecture-level) or its province."""

    city = "city"
    province = "province"


class Weight(str, Enum):
    """How documents are counted: once each, or by the number of copies folded into them."""

    none = "none"
    dup_count = "dup_count"


def _enum(cls: type[Enum], value: Any, name: str) -> Any:
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value))
    except ValueError:
        raise ValueError(f"{name} must be one of {[m.value for m in cls]}, got {value!r}") from None


@dataclass
class TrendsConfig:
    """How ``stigmascope trends`` aggregates, tests and reports.

    Attributes:
        freq: period length (``day|week|month|quarter|year``); weeks are ISO weeks starting Monday.
        by: place level (``city|province``).
        weight: ``none`` (each document once) or ``dup_count`` (each document as many times as the copies
            folded into it at ingestion).
        min_count: cells whose denominator (relevant documents; all documents for the gate) is below this
            are flagged ``small_cell`` and suppressed in shared reports.
        suppress: also blank the shares and counts of small cells in the written tables (for sharing).
        level: confidence level of every interval.
        bootstrap: resamples for the corrected share's interval.
        seed: random seed of the bootstrap.
        model_id: which model's predictions to use when the store holds several (default: the model of
            ``--model``, else the most recent).
        min_periods: fewest usable periods for a trend test (Mann–Kendall, Theil–Sen).
        min_periods_changepoint: fewest usable periods for change-point detection.
        changepoint_penalty: PELT penalty multiplier (× noise variance × log n).
        alert_window: trailing periods forming a place's own baseline.
        alert_min_baseline: fewest usable baseline periods before a period can raise an alert.
        alert_alpha: binomial upper-tail probability at or below which a rise is an alert.
        alert_min_count: fewest positive documents in the period for an alert.
        alert_min_ratio: the period's share must be at least this multiple of the baseline share.
        examples_per_cell: example documents kept per (place, period, label) cell for the drill-down.
        report_places: places with the most relevant documents that get their own report section.
        snippet_chars: characters of document text shown around the evidence in the report.
        pii_salt: salt of the PII scrubber's pseudonyms (keep fixed within a project).
        charts: write PNG/SVG charts.
        chart_keys: score keys that get heat maps (default: every key).
        title: report title.
    """

    freq: Freq = Freq.month
    by: PlaceLevel = PlaceLevel.city
    weight: Weight = Weight.none
    min_count: int = 10
    suppress: bool = False
    level: float = 0.95
    bootstrap: int = 500
    seed: int = 13
    model_id: str | None = None
    min_periods: int = 4
    min_periods_changepoint: int = 6
    changepoint_penalty: float = 3.0
    alert_window: int = 6
    alert_min_baseline: int = 3
    alert_alpha: float = 0.01
    alert_min_count: int = 5
    alert_min_ratio: float = 1.5
    examples_per_cell: int = 3
    report_places: int = 12
    snippet_chars: int = 160
    pii_salt: str = "stigmascope"
    charts: bool = True
    chart_keys: list[str] | None = None
    title: str = "农民工报道与讨论：分城市趋势 · Talk about migrant workers, city by city"

    def __post_init__(self) -> None:
        self.freq = _enum(Freq, self.freq, "freq")
        self.by = _enum(PlaceLevel, self.by, "by")
        self.weight = _enum(Weight, self.weight, "weight")
        if not 0.5 <= float(self.level) < 1.0:
            raise ValueError(f"level must be in [0.5, 1), got {self.level!r}")
        for name in ("min_count", "alert_min_count", "examples_per_cell"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name, lo in (("bootstrap", 50), ("min_periods", 3), ("min_periods_changepoint", 4), ("alert_window", 1),
                         ("alert_min_baseline", 1), ("report_places", 1), ("snippet_chars", 20)):
            if int(getattr(self, name)) < lo:
                raise ValueError(f"{name} must be >= {lo}, got {getattr(self, name)!r}")
        if self.alert_min_baseline > self.alert_window:
            raise ValueError("alert_min_baseline cannot exceed alert_window")
        if not 0.0 < float(self.alert_alpha) < 0.5:
            raise ValueError(f"alert_alpha must be in (0, 0.5), got {self.alert_alpha!r}")
        if float(self.alert_min_ratio) < 1.0:
            raise ValueError(f"alert_min_ratio must be >= 1, got {self.alert_min_ratio!r}")
        if float(self.changepoint_penalty) <= 0:
            raise ValueError("changepoint_penalty must be > 0")
        if self.chart_keys is not None and not isinstance(self.chart_keys, list):
            raise ValueError("chart_keys must be a list of score keys")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (enums as their values), as recorded in the report's methods section."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, Enum):
                d[k] = v.value
        return d
