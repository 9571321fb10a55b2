"""Write a model directory's ``README.md``: what it was trained on, how well it does, and its limits.

Example:
    >>> from models.card import metrics_table
    >>> print(metrics_table({"a": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2,
    ...                            "predicted": 1}}).splitlines()[2])
    | a | 1.000 | 0.500 | 0.667 | 2 |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from models.taxonomy import Taxonomy

__all__ = ["write_model_card", "metrics_table"]


def metrics_table(per_label: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of per-label precision, recall, F1 and support."""
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for key, m in per_label.items():
        lines.append(f"| {key} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    return "\n".join(lines)


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def write_model_card(path: Path, *, config: Mapping[str, Any], training: Mapping[str, Any],
                     metrics: Mapping[str, Any], taxonomy: Taxonomy, data_path: str,
                     extra: str = "") -> None:
    """Render the model card into ``path``.

    Args:
        config: the model's ``config.json``; training: ``training_config.json``; metrics: ``metrics.json``.
        taxonomy: the label scheme; data_path: the training data file.
        extra: additional Markdown (e.g. a comparison with the baseline) appended at the end.
    """
    test = metrics.get("test")
    kind = config.get("kind")
    if kind == "baseline":
        what = ("TF-IDF over jieba words and character n-grams, one logistic regression per label "
                "(multinomial for single-label facets).")
    else:
        w = config.get("window", {})
        what = (f"encoder `{config.get('base_encoder', '?')}` ({config.get('encoder', {}).get('num_hidden_layers', '?')} "
                f"layers, hidden {config.get('encoder', {}).get('hidden_size', '?')}), {config.get('pooling')} pooling, "
                f"one head per facet (sigmoid for binary/multi-label, softmax with a 'none' class for single-label). "
                f"Windows of {w.get('max_length')} tokens (stride {w.get('stride')}, at most {w.get('max_windows')} "
                f"per document), pooled by max (sigmoid) / mean (softmax); long documents are first cut to the "
                f"sentences mentioning migrants (focus {'on' if w.get('focus') else 'off'}).")
    lines = [
        f"# stigmascope model `{config.get('model_id')}`",
        "",
        f"- **kind / preset**: {kind} / `{config.get('preset')}` — {what}",
        f"- **taxonomy**: {taxonomy.name} v{taxonomy.version} ({len(taxonomy.score_keys())} score keys; copy in `taxonomy.yaml`)",
        f"- **training data**: `{data_path}` (splits as in the file; label counts in `metrics.json`)",
        f"- **created**: {config.get('created_at')} with stigmascope {config.get('code_version')}; "
        f"training took {metrics.get('train_seconds')} s; scored with backend `{metrics.get('backend')}`",
        f"- **seed**: {training.get('seed')}; full settings in `training_config.json`",
        "",
        "## Test-split metrics (end to end)",
        "",
    ]
    if test:
        lines += [
            f"Documents: {test['n_docs']}. Relevance F1 **{_fmt(test['relevance_f1'])}**; macro-F1 over labels "
            f"**{_fmt(test['macro_f1'])}**; mean of per-facet macro-F1 {_fmt(test['macro_f1_facets'])}.",
            "",
            "| facet | macro-F1 |", "|---|---|",
            *[f"| {f} | {_fmt(v)} |" for f, v in test["per_facet"].items()],
            "",
            metrics_table(test["per_label"]),
            "",
            "Gated facets are scored end to end: a label predicted for a document predicted not relevant does "
            "not count, and a relevant document missed by the gate loses all its labels. Labels with no test "
            "positives are listed but left out of the macro averages.",
        ]
    else:
        lines.append("No test split in the training data; see `metrics.json` for dev figures (optimistic).")
    lines += [
        "",
        "## Thresholds and error rates",
        "",
        "Per-label thresholds were tuned on the dev split (F1-optimal; labels with fewer than "
        f"{training.get('min_pos_threshold')} dev positives keep the default: 0.5, or argmax for single-label "
        "facets). `error_rates.json` gives each label's true- and false-positive rate measured on the test "
        "split (documents never used for training, early stopping or thresholds), among gold-relevant "
        "documents for gated facets — the time-series stage uses them to correct observed shares.",
        "",
        "## Limits",
        "",
        "- The training corpus is written for the project, not sampled from real feeds: it covers the "
        "codebook's labels evenly, so label frequencies and phrasing differ from real news and Weibo, and "
        "precision on real feeds (where relevant posts are rare) will be lower than on the test split.",
        "- Small test counts per label make per-label figures noisy; read them with their support.",
        "- Documents without any migrant referent are never scored (cascade); coded language without the "
        "usual terms is missed by design.",
        "- Stance is the author's own voice and is the hardest facet; check it before quoting.",
    ]
    if extra:
        lines += ["", extra]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
