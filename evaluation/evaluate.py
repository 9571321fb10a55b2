"""``stigmascope evaluate``: score one or more systems on a gold set and write metrics.json + a report.

Example:
    >>> from evaluation.evaluate import evaluate                              # doctest: +SKIP
    >>> m = evaluate("bundled-test", models=["my-model"], out="eval-out")
    >>> m["systems"]["my-model-id"]["overall"]["macro_f1"]
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Sequence

from evaluation.config import EvaluateConfig

__all__ = ["SCHEMA", "evaluate", "resolve_taxonomy"]

#: bump when a key of metrics.json changes meaning or disappears (new keys may be added)
SCHEMA = "stigmascope-evaluation/1"


def resolve_taxonomy(taxonomy: str | Path | None, models: Sequence[str | Path | None]) -> Any:
    """The taxonomy to evaluate with: the given file, else the first model directory's copy, else the bundled one."""
    from models.taxonomy import load_taxonomy

    if taxonomy is not None:
        return load_taxonomy(taxonomy)
    for m in models:
        if m is not None and (Path(m) / "taxonomy.yaml").exists():
            return load_taxonomy(Path(m) / "taxonomy.yaml")
    return load_taxonomy()


def _unique(name: str, taken: set[str]) -> str:
    out, i = name, 2
    while out in taken:
        out, i = f"{name}-{i}", i + 1
    taken.add(out)
    return out


def evaluate(gold: str | Path, *, models: Sequence[str | Path | None] = (), predictions: Sequence[str | Path] = (),
             taxonomy: str | Path | None = None, out: str | Path | None = None,
             config: EvaluateConfig | None = None, progress: bool = True) -> dict[str, Any]:
    """Evaluate systems on a gold set.

    Args:
        gold: a gold JSON Lines file, or ``bundled-test`` / ``bundled-dev`` / ``real-dev``.
        models: model directories (``None`` = the default model). With neither ``models`` nor
            ``predictions`` the default model is evaluated.
        predictions: ``classify --out`` files of the gold documents.
        taxonomy: taxonomy file (default: the first model's, else the bundled one).
        out: folder for ``metrics.json``, ``report.md``, ``report.html``, charts and predictions.
        config: settings (:class:`~evaluation.config.EvaluateConfig`).
        progress: progress bars on stderr.

    Returns:
        The content of ``metrics.json`` (see ``evaluation/README.md``).

    Raises:
        InputError: bad gold or predictions files; ModelError: a bad model directory.
    """
    from evaluation.agreement import agreement, long_table, prediction_labels
    from evaluation.arrays import align
    from evaluation.bootstrap import resample_weights
    from evaluation.compare import compare_systems
    from evaluation.failures import worst_errors
    from evaluation.gold import add_evidence, load_gold, system_from_model, system_from_predictions
    from evaluation.prevalence import prevalence_errors
    from evaluation.quality import system_quality
    from evaluation.slices import slice_table

    cfg = config or EvaluateConfig()
    t0 = time.perf_counter()
    model_list = list(models) if (models or predictions) else [None]
    tax = resolve_taxonomy(taxonomy, model_list)
    gold_set = load_gold(gold, tax)
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    systems = [system_from_model(m, gold_set.docs, taxonomy=taxonomy, cascade=cfg.cascade, backend=cfg.backend,
                                 progress=progress) for m in model_list]
    systems += [system_from_predictions(p) for p in predictions]
    taken: set[str] = set()
    for s in systems:
        s.name = _unique(s.name, taken)
    weights = resample_weights(len(gold_set.docs), cfg.bootstrap, seed=cfg.seed) if cfg.bootstrap else None
    evs = {}
    result_systems: dict[str, Any] = {}
    gold_anns = [(d.id, "gold", d.labels) for d in gold_set.docs]
    for s in systems:
        ev = align(gold_set.docs, s, tax)
        evs[s.name] = ev
        res: dict[str, Any] = {"system": s.describe()}
        res.update(system_quality(ev, weights, level=cfg.level, n_bins=cfg.calibration_bins))
        res["prevalence"] = prevalence_errors(ev, s.error_rates, gold_name=gold_set.name, folds=cfg.folds,
                                              seed=cfg.seed)
        model_anns = [(d.id, f"model:{s.name}", prediction_labels(s.rows[d.id], tax)) for d in gold_set.docs]
        agr = agreement(long_table(gold_anns + model_anns, tax), tax)
        pair = agr["pairs"][0] if agr["pairs"] else {"facets": {}, "labels": {}}
        res["agreement_with_gold"] = {
            "facets": {f: {"alpha": v["alpha"], "kappa": pair["facets"].get(f, {}).get("kappa"),
                           "n_units": v["n_units"], "note": v["note"]} for f, v in agr["facets"].items()},
            "labels": {k: {"alpha": v["alpha"], "kappa": pair["labels"].get(k, {}).get("kappa"),
                           "note": v["note"]} for k, v in agr["labels"].items()},
        }
        res["errors"] = worst_errors(ev, k=cfg.worst_k)
        if cfg.evidence and s.engine is not None:
            listed = {x["id"] for e in res["errors"].values() for x in e["false_positives"]}
            s.settings["evidence_docs"] = add_evidence(s, ev, listed)
            res["errors"] = worst_errors(ev, k=cfg.worst_k)
            res["system"] = s.describe()
        res["slices"] = slice_table(ev, min_docs=cfg.min_slice_docs, length_edges=cfg.length_edges)
        if cfg.shift:
            from evaluation.shift import shift_study

            res["shift"] = shift_study(ev, cfg.shift_config(), error_rates=s.error_rates)
        if out_dir is not None:
            res["files"] = _write_system_files(out_dir, s, ev, res, cfg)
        result_systems[s.name] = res
    comparison = compare_systems(evs, weights, level=cfg.level) if weights is not None and len(evs) > 1 else []
    metrics = {
        "schema": SCHEMA,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "gold": _gold_summary(gold_set, tax),
        "taxonomy": {"name": tax.name, "version": tax.version},
        "config": cfg.to_dict(),
        "scoring": {
            "gated_facets": "scored on gold-relevant documents (conditional); documents predicted relevant but "
                            "gold-irrelevant count once, as relevance false positives. 'end_to_end' scores every "
                            "document (a gated label predicted on a gold-irrelevant document is also a false "
                            "positive of that label).",
            "macro": "mean F1 of the labels with gold positives in the evaluation set",
            "intervals": f"{cfg.level:.0%} percentile bootstrap over documents, {cfg.bootstrap} resamples"
                         if cfg.bootstrap else "none (bootstrap = 0)",
            "skipped_documents": "documents the prefilter skipped have no scores: treated as score 0, not relevant",
        },
        "systems": result_systems,
        "comparison": comparison,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if out_dir is not None:
        from evaluation.report import write_reports

        (out_dir / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
        write_reports(metrics, out_dir, html=cfg.html)
    return metrics


def _gold_summary(gold_set: Any, tax: Any) -> dict[str, Any]:
    from models.layout import LabelLayout

    lay = LabelLayout(tax)
    y, _ = lay.encode([d.labels for d in gold_set.docs])
    return {"name": gold_set.name, "path": gold_set.path, "n_docs": len(gold_set.docs),
            "n_relevant": int(y[:, lay.gate_column].sum()) if lay.gate_column is not None else len(gold_set.docs),
            "label_counts": {k: int(y[:, i].sum()) for i, k in enumerate(lay.keys)}}


def _write_system_files(out_dir: Path, system: Any, ev: Any, res: dict[str, Any], cfg: EvaluateConfig) -> dict[str, Any]:
    files: dict[str, Any] = {}
    pred_name = f"predictions_{_safe(system.name)}.jsonl"
    with (out_dir / pred_name).open("w", encoding="utf-8") as fh:
        for d in ev.docs:
            fh.write(json.dumps(system.rows[d.id], ensure_ascii=False) + "\n")
    files["predictions"] = pred_name
    if cfg.plots:
        from evaluation.plots import pr_curves, reliability_diagrams, shift_chart

        files["pr_curves"] = pr_curves(ev, out_dir, prefix=_safe(system.name))
        files["reliability"] = reliability_diagrams(res["calibration"], out_dir, prefix=_safe(system.name))
        if "shift" in res and res["shift"]["keys"]:
            name = f"{_safe(system.name)}_shift.png"
            shift_chart(res["shift"]["summary"], out_dir / name, title=f"{system.name}: prevalence shift")
            files["shift"] = name
    return files


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)




def evaluate_shift(gold: str | Path, *, model: str | Path | None = None, predictions: str | Path | None = None,
                   taxonomy: str | Path | None = None, out: str | Path | None = None,
                   config: EvaluateConfig | None = None, progress: bool = True) -> dict[str, Any]:
    """Only the prevalence-shift study of one system (``stigmascope evaluate shift``).

    Args:
        gold: gold file or shorthand (the study resamples it).
        model: a model directory (None and no ``predictions``: the default model).
        predictions: a ``classify --out`` file instead of a model (no stored error rates then).
        taxonomy, out, config, progress: as for :func:`evaluate`; ``out`` receives ``shift.json``,
            ``shift.md`` and ``shift.png``.

    Returns:
        ``{"schema", "gold", "system", "shift"}``.
    """
    from evaluation.arrays import align
    from evaluation.gold import load_gold, system_from_model, system_from_predictions
    from evaluation.report import render_markdown, shift_blocks
    from evaluation.shift import shift_study

    cfg = config or EvaluateConfig()
    tax = resolve_taxonomy(taxonomy, [model])
    gold_set = load_gold(gold, tax)
    if predictions is not None:
        system = system_from_predictions(predictions)
    else:
        system = system_from_model(model, gold_set.docs, taxonomy=taxonomy, cascade=cfg.cascade,
                                   backend=cfg.backend, progress=progress)
    ev = align(gold_set.docs, system, tax)
    study = shift_study(ev, cfg.shift_config(), error_rates=system.error_rates)
    result = {"schema": SCHEMA, "gold": _gold_summary(gold_set, tax), "system": system.describe(), "shift": study}
    if out is not None:
        from evaluation.plots import shift_chart

        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        chart = None
        if study["keys"]:
            shift_chart(study["summary"], out_dir / "shift.png", title=f"{system.name} on {gold_set.name}")
            chart = "shift.png"
        (out_dir / "shift.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        blocks = [("h", 1, f"Prevalence shift: {system.name} on {gold_set.name}"), *shift_blocks(study, chart)]
        (out_dir / "shift.md").write_text(render_markdown(blocks), encoding="utf-8")
    return result
