"""CLI commands of the model stage: ``train`` and ``classify`` (registered by :func:`register`).

Each command parses its arguments and calls a plain function: :func:`models.train.train_model` and
:func:`models.classify.classify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

PRESETS = ("fast", "full", "baseline")
BACKENDS = ("auto", "torch", "torch-int8", "onnx", "onnx-int8")


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``classify`` to the app."""

    @app.command()
    def train(
        out: Path = typer.Option(..., "--out", help="Model directory to write."),
        data: Optional[Path] = typer.Option(None, "--data", help="Labelled JSON Lines (annotated-corpus format); "
                                            "default: the bundled corpus."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Taxonomy file (default: codebook v1)."),
        base: Optional[str] = typer.Option(None, "--base", help="Encoder: a local folder or a cached Hugging Face "
                                           "name (default: bundled multilingual-e5-small). Nothing is downloaded."),
        preset: Optional[str] = typer.Option(None, "--preset", help="fast (default: frozen encoder, minutes) | "
                                             "full (fine-tune all layers) | baseline (TF-IDF + logistic regression)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 13)."),
        config: Optional[Path] = typer.Option(None, "--config", help="Training settings (TOML/YAML/JSON; keys of "
                                              "TrainConfig: epochs, max_length, lr, …)."),
        epochs: Optional[int] = typer.Option(None, "--epochs", help="Override the preset's epochs."),
        max_length: Optional[int] = typer.Option(None, "--max-length", help="Tokens per window."),
        no_resume: bool = typer.Option(False, "--no-resume", help="full: ignore an existing checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    ) -> None:
        """Train a classifier from labelled data and save a model directory (with metrics and model card)."""
        from rich.console import Console

        from models.train import TrainConfig, train_model
        from stigmascope.config import load_config
        from stigmascope.errors import ConfigError

        if preset is not None and preset not in PRESETS:
            raise ConfigError(f"--preset {preset!r}: expected one of {', '.join(PRESETS)}")
        cfg = load_config(TrainConfig, config, preset=preset, base=base, seed=seed, epochs=epochs,
                          max_length=max_length, resume=False if no_resume else None)
        result = train_model(data, out, taxonomy=taxonomy, config=cfg, progress=not quiet)
        m = result["metrics"]
        test = m.get("test") or {}
        Console().print(f"model {result['model_id']} saved to {result['model_dir']} "
                        f"(training {result['train_seconds']:.0f} s); test macro-F1 {test.get('macro_f1')}, "
                        f"relevance F1 {test.get('relevance_f1')}")

    @app.command()
    def classify(
        input: Optional[Path] = typer.Argument(None, help="Documents: .jsonl/.csv/.tsv/.parquet with id, text "
                                               "(optional date, city, source). Omit with --db to classify the "
                                               "store's documents."),
        out: Optional[Path] = typer.Option(None, "--out", help="Predictions: PRED.jsonl or PRED.parquet."),
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the default model, "
                                             "trained from the bundled corpus on first use)."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Check the model uses this taxonomy."),
        db: Optional[Path] = typer.Option(None, "--db", help="Corpus store (DuckDB): predictions are written to "
                                          "its 'predictions' table."),
        evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="Evidence spans per predicted label."),
        cascade: bool = typer.Option(True, "--cascade/--no-cascade", help="Skip documents without a migrant "
                                     "referent (prefilter)."),
        backend: str = typer.Option("auto", "--backend", help="auto | torch | torch-int8 | onnx | onnx-int8."),
        force: bool = typer.Option(False, "--force", help="--db without INPUT: reclassify documents this model "
                                   "already classified."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Classify documents with a model: relevance, stereotypes, exclusion, practice, stance (+ evidence)."""
        from rich.console import Console

        from models.classify import classify as run_classify
        from models.infer import InferConfig
        from stigmascope.errors import ConfigError

        if backend not in BACKENDS:
            raise ConfigError(f"--backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        summary = run_classify(input, out=out, model=model, taxonomy=taxonomy, db=db, force=force,
                               config=InferConfig(backend=backend, evidence=evidence, cascade=cascade),
                               progress=not quiet)
        where = " and ".join(x for x in (summary["out"], f"{summary['db']} (predictions)" if summary["db"] else None) if x)
        Console().print(f"{summary['docs']:,} documents classified with {summary['model_id']}: "
                        f"{summary['relevant']:,} relevant, {summary['skipped']:,} skipped by the prefilter; "
                        f"{summary['docs_per_s']} docs/s; written to {where}")
