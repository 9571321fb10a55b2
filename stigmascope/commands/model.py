"""CLI commands of the model stage: ``train`` and ``classify`` (registered by :func:`register`).

Each command parses its arguments and calls a plain function: :func:`models.train.train_model` and
:func:`models.classify.classify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

PRESETS = ("fast", "full", "baseline")
ENGINES = ("local", "ray")
BACKENDS = ("auto", "torch", "torch-bf16", "torch-int8", "onnx", "onnx-int8")


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
        input: Optional[str] = typer.Argument(None, help="Documents: .jsonl/.csv/.tsv/.parquet with id, text "
                                              "(optional date, city, source). Omit with --db to classify the "
                                              "store's documents. --engine ray: a file or a directory of "
                                              "JSONL/Parquet shards (local, or an object-store URL)."),
        out: Optional[str] = typer.Option(None, "--out", help="Predictions: PRED.jsonl or PRED.parquet; "
                                          "--engine ray: a directory (Parquet partitioned by date)."),
        model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the default model, "
                                             "trained from the bundled corpus on first use)."),
        taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Check the model uses this taxonomy."),
        db: Optional[Path] = typer.Option(None, "--db", help="Corpus store (DuckDB): predictions are written to "
                                          "its 'predictions' table."),
        evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="Evidence spans per predicted label."),
        cascade: bool = typer.Option(True, "--cascade/--no-cascade", help="Skip documents without a migrant "
                                     "referent (prefilter)."),
        backend: str = typer.Option("auto", "--backend", help="auto | torch | torch-bf16 | torch-int8 | onnx | onnx-int8."),
        force: bool = typer.Option(False, "--force", help="--db without INPUT: reclassify documents this model "
                                   "already classified."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
        engine: str = typer.Option("local", "--engine", help="local (this process) | ray (Ray Data actors; "
                                   "needs `pip install 'stigmascope[ray]'`)."),
        address: Optional[str] = typer.Option(None, "--address", help="--engine ray: a Ray cluster to join "
                                              "('auto', 'ray://host:10001'); default: start a local instance."),
        workers: Optional[int] = typer.Option(None, "--workers", help="--engine ray: actors, each with its own copy "
                                              "of the model (default 2)."),
        batch_size: Optional[int] = typer.Option(None, "--batch-size", help="--engine ray: documents per actor call "
                                                 "(default 256)."),
    ) -> None:
        """Classify documents with a model: relevance, stereotypes, exclusion, practice, stance (+ evidence)."""
        from rich.console import Console

        from models.classify import classify as run_classify
        from models.infer import InferConfig
        from stigmascope.errors import ConfigError

        if backend not in BACKENDS:
            raise ConfigError(f"--backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        if engine not in ENGINES:
            raise ConfigError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
        if engine == "ray":
            _classify_with_ray(input, out, model=model, taxonomy=taxonomy, db=db, force=force, evidence=evidence,
                               cascade=cascade, backend=backend, quiet=quiet, address=address,
                               workers=2 if workers is None else workers,
                               batch_size=256 if batch_size is None else batch_size)
            return
        if address is not None or workers is not None or batch_size is not None:
            raise ConfigError("--address, --workers and --batch-size are options of the Ray engine: add --engine ray")
        summary = run_classify(Path(input) if input is not None else None, out=Path(out) if out else None, model=model, taxonomy=taxonomy, db=db, force=force,
                               config=InferConfig(backend=backend, evidence=evidence, cascade=cascade),
                               progress=not quiet)
        where = " and ".join(x for x in (summary["out"], f"{summary['db']} (predictions)" if summary["db"] else None) if x)
        Console().print(f"{summary['docs']:,} documents classified with {summary['model_id']}: "
                        f"{summary['relevant']:,} relevant, {summary['skipped']:,} skipped by the prefilter; "
                        f"{summary['docs_per_s']} docs/s; written to {where}")


def _classify_with_ray(input: Optional[str], out: Optional[str], *, model: Optional[Path], taxonomy: Optional[Path],
                       db: Optional[Path], force: bool, evidence: bool, cascade: bool, backend: str, quiet: bool,
                       address: Optional[str], workers: int, batch_size: int) -> None:
    """``classify --engine ray``: check the options that only the local engine has, run, print the summary."""
    from rich.console import Console

    from stigmascope.errors import ConfigError

    if db is not None or force:
        raise ConfigError("--engine ray reads files and writes Parquet: it does not use the corpus store "
                          "(--db/--force). Export documents with `stigmascope export`, or use --engine local")
    if input is None or out is None:
        raise ConfigError("--engine ray needs INPUT (a file or directory of JSONL/Parquet shards) and --out DIR")
    # strings, not Paths: Path folds "s3://bucket" into "s3:/bucket"
    from models.ray_engine import classify_with_ray

    s = classify_with_ray(input, out, model=model, taxonomy=taxonomy, address=address, workers=workers,
                          batch_size=batch_size, evidence=evidence, backend=backend, cascade=cascade,
                          progress=not quiet)
    Console().print(f"{s.rows:,} documents classified with {s.model_id} on Ray ({s.address}, {s.workers} worker{'s' if s.workers != 1 else ''}): "
                    f"{s.relevant:,} relevant ({s.relevant_share:.1%}), {s.skipped:,} skipped by the prefilter; "
                    f"{s.rows_per_s:,.0f} rows/s ({s.rows_per_s_per_worker:,.0f} per worker); "
                    f"{s.files} files in {s.partitions} date partitions under {s.out}")
