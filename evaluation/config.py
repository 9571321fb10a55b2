"""Settings of ``stigmascope evaluate`` (one dataclass, loadable with ``stigmascope.config.load_config``).

Example:
    >>> from stigmascope.config import load_config
    >>> load_config(EvaluateConfig, {"bootstrap": 200}).bootstrap
    200
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EvaluateConfig"]


@dataclass
class EvaluateConfig:
    """Evaluation settings.

    Attributes:
        bootstrap: document-level bootstrap resamples for intervals and the paired test (0 = none).
        seed: seed of the resamples, folds and the shift study (same seed, same resamples: paired).
        level: coverage of the intervals.
        calibration_bins: equal-width bins of the ECE and the reliability diagrams.
        worst_k: false positives / negatives listed per label.
        min_slice_docs: slices with fewer documents are shown but not ranked as weakest.
        length_edges: text-length bins in characters (first character count of each bin after the first).
        folds: folds of the cross-fitted error rates used by the corrected prevalences.
        cascade: run the prefilter as ``classify`` does (skipped documents count as "not relevant").
        evidence: compute evidence spans (lexicon cues, occlusion) for the false positives the report lists.
        backend: inference backend (``auto``, ``torch``, ``torch-bf16``, ``torch-int8``, ``onnx``, ``onnx-int8``).
        shift: also run the prevalence-shift study (``evaluation.shift``).
        shift_prevalences: its target prevalences.
        shift_sample_size: documents per drawn sample.
        shift_repeats: samples per key and prevalence.
        plots: write PNG charts (PR curves, reliability diagrams, shift chart).
        html: also write ``report.html``.
    """

    bootstrap: int = 1000
    seed: int = 13
    level: float = 0.95
    calibration_bins: int = 10
    worst_k: int = 5
    min_slice_docs: int = 10
    length_edges: tuple[int, ...] = (50, 150, 400)
    folds: int = 5
    cascade: bool = True
    evidence: bool = True
    backend: str = "auto"
    shift: bool = False
    shift_prevalences: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
    shift_sample_size: int = 200
    shift_repeats: int = 200
    plots: bool = True
    html: bool = True

    def __post_init__(self) -> None:
        self.length_edges = tuple(int(e) for e in self.length_edges)
        self.shift_prevalences = tuple(float(p) for p in self.shift_prevalences)
        if self.bootstrap < 0:
            raise ValueError(f"bootstrap must be >= 0 (0 = no intervals), got {self.bootstrap}")
        if 0 < self.bootstrap < 100:
            raise ValueError(f"bootstrap={self.bootstrap} is too few resamples for a 95% interval; use >= 100 or 0")
        if not 0.5 <= self.level < 1.0:
            raise ValueError(f"level must be in [0.5, 1), got {self.level}")
        if self.calibration_bins < 2:
            raise ValueError(f"calibration_bins must be >= 2, got {self.calibration_bins}")
        if self.worst_k < 0 or self.min_slice_docs < 1:
            raise ValueError("worst_k must be >= 0 and min_slice_docs >= 1")
        if list(self.length_edges) != sorted(set(self.length_edges)) or not all(e > 0 for e in self.length_edges):
            raise ValueError(f"length_edges must be increasing positive character counts, got {self.length_edges}")
        if self.folds < 2:
            raise ValueError(f"folds must be >= 2, got {self.folds}")
        backends = ("auto", "torch", "torch-bf16", "torch-int8", "onnx", "onnx-int8")
        if self.backend not in backends:
            raise ValueError(f"backend must be one of {backends}, got {self.backend!r}")
        self.shift_config()  # validates the shift settings (raises ValueError)

    def shift_config(self) -> Any:
        """The :class:`evaluation.shift.ShiftConfig` these settings describe."""
        from evaluation.shift import ShiftConfig

        return ShiftConfig(prevalences=self.shift_prevalences, sample_size=self.shift_sample_size,
                           repeats=self.shift_repeats, seed=self.seed)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (recorded in ``metrics.json``)."""
        d = asdict(self)
        d["length_edges"] = list(self.length_edges)
        d["shift_prevalences"] = list(self.shift_prevalences)
        return d
