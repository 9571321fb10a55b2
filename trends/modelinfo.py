"""What the time series needs from a model directory: its id, taxonomy, error rates, metrics and card.

Only the JSON/YAML/Markdown files are read (never the weights), so a researcher can correct shares with
a model's ``error_rates.json`` alone. Each file is checked against the taxonomy; a bad one raises
:class:`~stigmascope.errors.ModelError` naming the file and what to do.

Error rates (``error_rates.json``, per score key, measured on held-out data by ``models.thresholds``):
``tpr``, ``fpr`` (hard decisions), ``n_pos``, ``n_neg`` (the gold counts they were measured on) and,
when the model stage records them, ``soft_tpr`` / ``soft_fpr`` (mean score of gold positives /
negatives) for the probabilistic correction.

Example:
    >>> info = read_model_info("my-model")                # doctest: +SKIP
    >>> info.model_id, info.rates("stereotype.dirt").tpr
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from stigmascope.errors import ModelError

__all__ = ["KeyRates", "ModelInfo", "read_model_info"]


@dataclass(frozen=True)
class KeyRates:
    """Held-out error rates of one score key (``None`` where not measured)."""

    tpr: float | None = None
    fpr: float | None = None
    n_pos: int = 0
    n_neg: int = 0
    soft_tpr: float | None = None
    soft_fpr: float | None = None
    measured_on: str | None = None


@dataclass
class ModelInfo:
    """A model directory's descriptive files.

    Attributes:
        path: the directory (None when no model was given).
        model_id: ``config.json``'s id.
        taxonomy: the model's label scheme.
        error_rates: per score key.
        thresholds: per score key (empty when absent).
        metrics: ``metrics.json`` (empty when absent).
        card: the model card's Markdown (empty when absent).
    """

    path: Path | None
    model_id: str | None
    taxonomy: Taxonomy
    error_rates: dict[str, KeyRates] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    card: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def rates(self, key: str) -> KeyRates:
        """Error rates of ``key`` (all ``None`` when the model has none)."""
        return self.error_rates.get(key, KeyRates())

    @property
    def has_soft_rates(self) -> bool:
        return any(r.soft_tpr is not None for r in self.error_rates.values())


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable or not valid JSON ({exc}); retrain the model with "
                         "`stigmascope train --out DIR` or pass another --model") from None


def _rate(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0 <= value <= 1:
        raise ModelError(f"{where}: expected a rate in [0, 1] or null, got {value!r}; fix the file or retrain the model")
    return float(value)


def parse_error_rates(data: Any, taxonomy: Taxonomy, *, where: str) -> dict[str, KeyRates]:
    """Validate ``error_rates.json`` content against the taxonomy's score keys.

    Raises:
        ModelError: not a mapping, a key missing, or a rate outside [0, 1].
    """
    if not isinstance(data, dict):
        raise ModelError(f"{where}: expected an object keyed by score key; retrain the model")
    out: dict[str, KeyRates] = {}
    missing = [k for k in taxonomy.score_keys() if k not in data]
    if missing:
        raise ModelError(f"{where}: no error rates for {missing[:5]}; the file does not match the taxonomy — "
                         "retrain the model or pass the model the predictions came from")
    for key in taxonomy.score_keys():
        entry = data[key] or {}
        if not isinstance(entry, dict):
            raise ModelError(f"{where}: entry {key!r} must be an object with tpr, fpr, n_pos, n_neg")
        w = f"{where}: {key}"
        out[key] = KeyRates(
            tpr=_rate(entry.get("tpr"), f"{w}.tpr"), fpr=_rate(entry.get("fpr"), f"{w}.fpr"),
            n_pos=int(entry.get("n_pos") or 0), n_neg=int(entry.get("n_neg") or 0),
            soft_tpr=_rate(entry.get("soft_tpr"), f"{w}.soft_tpr"),
            soft_fpr=_rate(entry.get("soft_fpr"), f"{w}.soft_fpr"),
            measured_on=entry.get("measured_on"))
    return out


def read_model_info(path: str | Path | None, *, taxonomy: str | Path | None = None) -> ModelInfo:
    """Read a model directory's id, taxonomy, error rates, thresholds, metrics and card.

    Args:
        path: the model directory; ``None`` gives a :class:`ModelInfo` with no rates (shares are then
            not corrected) and the taxonomy of ``taxonomy`` (default: the bundled one).
        taxonomy: a taxonomy file to use when ``path`` is None.

    Raises:
        ModelError: the directory or a file is missing or malformed (names the file).
    """
    if path is None:
        try:
            tax = load_taxonomy(taxonomy)
        except TaxonomyError as exc:
            raise ModelError(str(exc)) from None
        return ModelInfo(path=None, model_id=None, taxonomy=tax)
    p = Path(path)
    if not p.is_dir():
        raise ModelError(f"{p}: model directory not found; pass the folder `stigmascope train --out` wrote, "
                         "or omit --model (shares are then not corrected)")
    config = _read_json(p / "config.json") if (p / "config.json").exists() else {}
    tax_file = p / "taxonomy.yaml"
    if not tax_file.exists():
        raise ModelError(f"{p}: no taxonomy.yaml; this is not a complete stigmascope model directory")
    try:
        tax = load_taxonomy(tax_file)
    except TaxonomyError as exc:
        raise ModelError(f"{tax_file}: {exc}") from None
    rates_file = p / "error_rates.json"
    if not rates_file.exists():
        raise ModelError(f"{rates_file}: missing; the model has no held-out error rates, so shares cannot be "
                         "corrected — retrain it with `stigmascope train`, or omit --model")
    rates = parse_error_rates(_read_json(rates_file), tax, where=str(rates_file))
    thresholds = _read_json(p / "thresholds.json") if (p / "thresholds.json").exists() else {}
    metrics = _read_json(p / "metrics.json") if (p / "metrics.json").exists() else {}
    card = (p / "README.md").read_text(encoding="utf-8") if (p / "README.md").exists() else ""
    model_id = config.get("model_id") if isinstance(config, dict) else None
    return ModelInfo(path=p, model_id=str(model_id) if model_id else None, taxonomy=tax, error_rates=rates,
                     thresholds={k: float(v) for k, v in thresholds.items()} if isinstance(thresholds, dict) else {},
                     metrics=metrics if isinstance(metrics, dict) else {}, card=card,
                     config=config if isinstance(config, dict) else {})
