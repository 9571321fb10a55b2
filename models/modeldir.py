"""The model directory: finish and save it after training, validate and load it for inference.

Layout (CONTRACTS.md): ``config.json`` + ``model.safetensors``, tokenizer files (transformer kind) or
``vocab.json`` (baseline kind), ``taxonomy.yaml`` (copy), ``thresholds.json`` (per score key),
``error_rates.json`` (per score key: tpr, fpr, n_pos, n_neg, where measured), ``training_config.json``,
``metrics.json`` and ``README.md`` (the model card). Loading checks every file and raises
:class:`~stigmascope.errors.ModelError` saying which file is wrong and what to run.

Example:
    >>> from models.modeldir import load_model          # doctest: +SKIP
    >>> m = load_model("my-model")
    >>> m.model_id, m.kind, m.scorer.score(["农民工讨薪"]).shape
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.layout import LabelLayout
from models.progress import Reporter
from models.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from stigmascope.errors import ModelError

__all__ = ["FORMAT", "FORMAT_VERSION", "LoadedModel", "load_model", "validate_model_dir", "finish_model_dir",
           "code_version"]

FORMAT = "stigmascope-model"
#: bump when the directory layout changes incompatibly; loaders accept every version up to this one
FORMAT_VERSION = 1
_REQUIRED = {
    "transformer": ["config.json", "model.safetensors", "tokenizer.json", "taxonomy.yaml", "thresholds.json",
                    "error_rates.json"],
    "baseline": ["config.json", "model.safetensors", "vocab.json", "taxonomy.yaml", "thresholds.json",
                 "error_rates.json"],
}
_RETRAIN = "retrain it with `stigmascope train --out DIR`, or delete the folder of a cached default model to rebuild it"


def code_version() -> str:
    """The installed stigmascope version plus the model-format version."""
    try:
        from importlib.metadata import version

        v = version("stigmascope")
    except Exception:  # running from a source tree without metadata
        v = "0+unknown"
    return f"{v}/format{FORMAT_VERSION}"


@dataclass
class LoadedModel:
    """A validated model directory with a ready scorer.

    Attributes:
        path: the directory; config: ``config.json``; taxonomy/layout: its label scheme;
        thresholds: per score key; error_rates: per score key; scorer: ``.score(texts) -> (n, n_keys)``.
    """

    path: Path
    config: dict[str, Any]
    taxonomy: Taxonomy
    layout: LabelLayout
    thresholds: dict[str, float]
    error_rates: dict[str, Any]
    scorer: Any

    @property
    def model_id(self) -> str:
        return str(self.config["model_id"])

    @property
    def kind(self) -> str:
        return str(self.config["kind"])


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable or not valid JSON ({exc}); {_RETRAIN}") from None


def validate_model_dir(path: str | Path) -> tuple[dict[str, Any], Taxonomy, dict[str, float], dict[str, Any]]:
    """Check a model directory's files without loading weights into a model.

    Returns:
        ``(config, taxonomy, thresholds, error_rates)``.

    Raises:
        ModelError: naming the missing or corrupt file and what to run.
    """
    p = Path(path)
    if not p.is_dir():
        raise ModelError(f"{p}: model directory not found; train one with `stigmascope train --out {p}`, "
                         "or omit --model to use the default model")
    if not (p / "config.json").exists():
        raise ModelError(f"{p}: not a stigmascope model directory (no config.json); {_RETRAIN}")
    config = _read_json(p / "config.json")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelError(f"{p}/config.json: not a stigmascope model (format {config.get('format') if isinstance(config, dict) else None!r}); {_RETRAIN}")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelError(f"{p}/config.json: model format version {version!r} is newer than this stigmascope "
                         f"understands ({FORMAT_VERSION}); upgrade stigmascope or retrain the model")
    kind = config.get("kind")
    if kind not in _REQUIRED:
        raise ModelError(f"{p}/config.json: unknown model kind {kind!r}; {_RETRAIN}")
    missing = [f for f in _REQUIRED[kind] if not (p / f).exists()]
    if missing:
        raise ModelError(f"{p}: model directory is incomplete, missing {missing}; {_RETRAIN}")
    try:
        taxonomy = load_taxonomy(p / "taxonomy.yaml")
    except TaxonomyError as exc:
        raise ModelError(f"{p}/taxonomy.yaml: {exc}; {_RETRAIN}") from None
    keys = taxonomy.score_keys()
    if config.get("score_keys") != keys:
        raise ModelError(f"{p}: taxonomy.yaml does not match the model's outputs (config.json score_keys); {_RETRAIN}")
    thresholds = _read_json(p / "thresholds.json")
    if not isinstance(thresholds, dict) or set(thresholds) != set(keys) or not all(
            isinstance(v, (int, float)) and 0.0 <= v <= 1.0 for v in thresholds.values()):
        raise ModelError(f"{p}/thresholds.json: needs a number in [0, 1] for every score key {keys}; {_RETRAIN}")
    rates = _read_json(p / "error_rates.json")
    if not isinstance(rates, dict) or not set(keys) <= set(rates):
        raise ModelError(f"{p}/error_rates.json: needs an entry for every score key; {_RETRAIN}")
    _check_weights(p / "model.safetensors")
    return config, taxonomy, {k: float(v) for k, v in thresholds.items()}, rates


def _check_weights(path: Path) -> None:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as fh:
            names = list(fh.keys())
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise ModelError(f"{path}: weights file is corrupt or truncated ({str(exc).splitlines()[0]}); {_RETRAIN}") from None
    size = path.stat().st_size
    if not names or size < 64:
        raise ModelError(f"{path}: weights file is empty; {_RETRAIN}")


def load_model(path: str | Path, *, backend: str = "auto", cascade: Any | None = None,
               threads: int | None = None, max_tokens: int = 8192, max_batch: int = 64,
               taxonomy: str | Path | None = None, device: str = "cpu") -> LoadedModel:
    """Validate and load a model directory.

    Args:
        path: the directory.
        backend: ``auto`` (the measured default), ``torch``, ``torch-bf16``, ``torch-int8``, ``onnx`` or ``onnx-int8``.
        cascade: a ``models.cascade.Cascade`` whose focuser cuts long documents when the model was trained
            with focus (default: the NLP layer's).
        taxonomy: a taxonomy file the caller expects; it must have the model's score keys.

    Raises:
        ModelError: missing/corrupt files, or a taxonomy that does not match.
    """
    from models.backends import Backend, default_backend

    p = Path(path)
    config, tax, thresholds, rates = validate_model_dir(p)
    if taxonomy is not None:
        want = load_taxonomy(taxonomy).score_keys()
        if want != tax.score_keys():
            raise ModelError(f"{p}: the model was trained with a different taxonomy than {taxonomy} "
                             "(labels differ); omit --taxonomy or train a model with it")
    layout = LabelLayout(tax)
    if config["kind"] == "baseline":
        from models.baseline import BaselineScorer

        scorer = BaselineScorer.load(p, config, layout)
    else:
        from models.transformer import load_transformer
        from models.windows import WindowSpec

        focus = None
        spec = WindowSpec(**config["window"])
        if spec.focus:
            from models.cascade import Cascade

            focus = (cascade or Cascade.default()).focuser(spec)
        be = default_backend() if backend == "auto" else Backend(backend)
        scorer = load_transformer(p, config, layout, backend=be, focus=focus, threads=threads,
                                  max_tokens=max_tokens, max_batch=max_batch, device=device)
    return LoadedModel(path=p, config=config, taxonomy=tax, layout=layout, thresholds=thresholds,
                       error_rates=rates, scorer=scorer)


# ---- writing ------------------------------------------------------------------------------------------
def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _copy_taxonomy(taxonomy: Taxonomy, dest: Path) -> None:
    src = Path(taxonomy.path) if taxonomy.path else None
    if src is not None and src.is_file() and src.suffix.lower() in (".yaml", ".yml"):
        shutil.copyfile(src, dest)
        return
    import yaml

    dest.write_text(yaml.safe_dump(taxonomy.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8")


def finish_model_dir(staging: Path, out: Path, *, fields: dict[str, Any], taxonomy: Taxonomy, data: dict[str, Any],
                     config: Any, data_path: str, data_fingerprint: str, train_seconds: float,
                     reporter: Reporter) -> dict[str, Any]:
    """Complete a trained model: config, taxonomy copy, thresholds (dev), metrics and error rates
    (test), model card; then move the staging folder to ``out`` atomically.

    Scores for dev and test come from the saved model loaded with the inference backend, and documents
    the relevance prefilter skips are scored as ``classify`` scores them (not relevant, score 0), so the
    thresholds, metrics and error rates describe what ``classify`` will run.
    """
    from models.cascade import Cascade
    from models.card import write_model_card
    from models.thresholds import cross_fitted_error_rates, error_rates, tune_thresholds
    from models.trainset import label_counts

    layout = LabelLayout(taxonomy)
    history = fields.pop("history", None)
    created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    digest = hashlib.sha1(json.dumps([config.to_dict(), data_fingerprint, created, taxonomy.score_keys()],
                                     sort_keys=True, default=str).encode()).hexdigest()[:10]
    model_id = f"{config.preset.value}-{digest}"
    cfg_json = {"format": FORMAT, "format_version": FORMAT_VERSION, "model_id": model_id,
                "preset": config.preset.value, "created_at": created, "code_version": code_version(),
                "taxonomy": {"name": taxonomy.name, "version": taxonomy.version}, "score_keys": layout.keys,
                **fields}
    _write_json(staging / "config.json", cfg_json)
    _copy_taxonomy(taxonomy, staging / "taxonomy.yaml")
    _write_json(staging / "training_config.json",
                {**config.to_dict(), "data": data_path, "data_fingerprint": data_fingerprint})
    # provisional calibration files so the folder loads, then the real ones
    _write_json(staging / "thresholds.json", {k: 0.0 if layout.softmax_mask[i] else 0.5
                                               for i, k in enumerate(layout.keys)})
    _write_json(staging / "error_rates.json", {k: {} for k in layout.keys})
    model = load_model(staging, backend=config.backend, threads=config.threads)
    scores: dict[str, np.ndarray] = {}
    with reporter.task(f"scoring dev and test ({model.scorer.backend if hasattr(model.scorer, 'backend') else 'baseline'})",
                       len(data["dev"]) + len(data["test"])) as advance:
        for split in ("dev", "test"):
            scores[split] = model.scorer.score(data[split].texts, progress=advance)
    cascade = Cascade.default()
    skipped = {s: ~np.asarray(cascade.passes_many(data[s].texts), dtype=bool) for s in ("dev", "test")}
    for s in ("dev", "test"):
        if len(data[s]):
            scores[s][skipped[s]] = 0.0
    dev, test = data["dev"], data["test"]
    thresholds, details = tune_thresholds(scores["dev"], dev.y, dev.mask, layout, min_pos=config.min_pos_threshold,
                                          skipped=skipped["dev"])
    if len(test):
        rates = error_rates(scores["test"], test.y, test.mask, layout, thresholds, measured_on="test",
                            skipped=skipped["test"])
    else:
        rates = cross_fitted_error_rates(scores["dev"], dev.y, dev.mask, layout, min_pos=config.min_pos_threshold,
                                         skipped=skipped["dev"])
    gate = layout.gate_column
    prefilter = {s: {"docs": len(data[s]), "skipped": int(skipped[s].sum()),
                     "gold_relevant_skipped": int((skipped[s] & (data[s].y[:, gate] > 0.5)).sum())
                     if gate is not None and len(data[s]) else 0} for s in ("dev", "test")}
    metrics = {
        "model_id": model_id,
        "backend": getattr(model.scorer, "backend", "sklearn"),
        "test": _metrics(scores["test"], test.y, layout, thresholds, skipped["test"]) if len(test) else None,
        "dev": _metrics(scores["dev"], dev.y, layout, thresholds, skipped["dev"]),
        "dev_note": "dev scores tuned the thresholds (and early stopping): dev figures are optimistic",
        "thresholds": details,
        "prefilter": prefilter,
        "train_seconds": round(train_seconds, 1),
        "label_counts": label_counts(data, layout),
        "history": history,
    }
    _write_json(staging / "thresholds.json", thresholds)
    _write_json(staging / "error_rates.json", rates)
    _write_json(staging / "metrics.json", metrics)
    write_model_card(staging / "README.md", config=cfg_json, training=config.to_dict(), metrics=metrics,
                     taxonomy=taxonomy, data_path=data_path)
    _replace_dir(staging, out)
    reporter.note(f"saved model {model_id} to {out}"
                  + (f" — test macro-F1 {metrics['test']['macro_f1']:.3f}, relevance F1 "
                     f"{metrics['test']['relevance_f1']:.3f}" if metrics["test"] else ""))
    return {"model_dir": str(out), "model_id": model_id, "metrics": metrics, "train_seconds": train_seconds,
            "thresholds": thresholds}


def _metrics(scores: np.ndarray, y: np.ndarray, layout: LabelLayout, thresholds: dict[str, float],
             skipped: np.ndarray) -> dict[str, Any]:
    """End-to-end metrics with the prefilter's skips decided as ``classify`` decides them: no label at all
    (even without a gate, where a single-label facet would otherwise pick its first label at score 0)."""
    from models.metrics import evaluate_decisions

    dec = layout.decide(scores, thresholds)
    dec[skipped] = False
    return evaluate_decisions(dec, y, layout)


def _replace_dir(staging: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)
