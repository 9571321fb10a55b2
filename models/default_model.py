"""The default model: trained from the bundled corpus on first use (fast preset), then cached.

Cached under ``stigmascope.paths.models_dir()/default-<key>``, where the key hashes the bundled corpus,
the taxonomy, the base encoder and the code version — change any of them and a new default is
trained on next use; nothing is ever downloaded.

Example:
    >>> from models.default_model import ensure_default_model     # doctest: +SKIP
    >>> ensure_default_model()      # trains once (a few minutes on two cores), then returns at once
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from stigmascope.errors import ModelError, StigmascopeError

__all__ = ["default_model_key", "default_model_dir", "ensure_default_model"]


#: bump when the recipe of the default model changes (2: thresholds with the prefilter, fp32 default backend)
RECIPE = "2"


def default_model_key(taxonomy: str | Path | None = None) -> str:
    """Hash of what the default model depends on: corpus, taxonomy, encoder, code version, recipe and the
    inference backend its thresholds are tuned with."""
    from corpora.annotated import default_corpus_path
    from models.backends import default_backend
    from models.embcache import encoder_fingerprint
    from models.encoders import resolve_encoder
    from models.modeldir import code_version
    from models.taxonomy import default_taxonomy_path
    from models.trainset import corpus_fingerprint

    corpus = default_corpus_path()
    if not corpus.exists():
        raise ModelError(f"{corpus}: the bundled annotated corpus is missing, so no default model can be trained; "
                         "build it with `python -m corpora.annotated build`, or pass --model DIR")
    tax = Path(taxonomy) if taxonomy else default_taxonomy_path()
    parts = [corpus_fingerprint(corpus), corpus_fingerprint(tax), encoder_fingerprint(resolve_encoder(None, quiet=True)),
             code_version(), RECIPE, default_backend().value]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def default_model_dir(taxonomy: str | Path | None = None) -> Path:
    """Where the default model for the current corpus/taxonomy/code lives (it may not exist yet)."""
    from stigmascope.paths import models_dir

    return models_dir() / f"default-{default_model_key(taxonomy)}"


def ensure_default_model(*, taxonomy: str | Path | None = None, progress: bool = True) -> Path:
    """Return the default model directory, training it first if it is missing or broken.

    Raises:
        ModelError: the bundled corpus is missing, or training fails (with the reason).
    """
    import fcntl

    from models.modeldir import validate_model_dir
    from models.progress import Reporter
    from models.train import TrainConfig, train_model

    target = default_model_dir(taxonomy)
    lock_path = target.parent / f".{target.name}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one trainer at a time; others wait and then reuse its model
        try:
            validate_model_dir(target)
            return target
        except ModelError:
            pass
        Reporter(progress).note("no default model yet: training one from the bundled annotated corpus "
                                f"(fast preset, a few minutes, once) into {target}")
        try:
            train_model(None, target, taxonomy=taxonomy, config=TrainConfig(preset="fast"), progress=progress)
        except StigmascopeError:
            raise
        except Exception as exc:  # surface the cause in one line; the traceback is in --debug runs
            raise ModelError(f"training the default model failed: {exc}") from exc
    return target
