"""Train a classifier from labelled data: the ``fast``, ``full`` and ``baseline`` presets.

- ``fast`` (default): frozen encoder, window embeddings cached per encoder and text, heads trained on
  them with early stopping on dev macro-F1 — minutes on two CPU cores.
- ``full``: fine-tunes the encoder and heads together (``models.finetune``); GPU when present.
- ``baseline``: jieba words + character n-gram TF-IDF with one-vs-rest logistic regression
  (``models.baseline``) — the yardstick.

Every preset ends the same way: the model is saved, reloaded with the inference backend, dev scores
tune per-label thresholds, test scores give the metrics and the error rates, and a model card is
written (``models.modeldir``).

Example:
    >>> from models.train import TrainConfig, train_model                   # doctest: +SKIP
    >>> result = train_model("corpus.jsonl", "my-model", config=TrainConfig(preset="fast"))
    >>> result["metrics"]["test"]["macro_f1"]
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from models.layout import LabelLayout
from models.progress import Reporter
from models.trainset import LabelledSet

__all__ = ["Preset", "TrainConfig", "train_model", "set_seed", "fit_fast_heads", "resolve_layers",
           "frozen_embeddings"]


class Preset(str, Enum):
    """Training recipe."""

    fast = "fast"
    full = "full"
    baseline = "baseline"


_PRESET_DEFAULTS: dict[str, dict[str, Any]] = {
    "fast": {"max_length": 256, "max_windows": 8, "head_hidden": 256, "dropout": 0.3, "epochs": 400,
             "batch_size": 64, "lr": 1e-3, "patience": 40},
    # full: chosen by dev macro-F1 among six settings on a GPU (models/FULL_PRESET.md)
    "full": {"max_length": 256, "max_windows": 4, "head_hidden": 256, "dropout": 0.3, "epochs": 8,
             "batch_size": 16, "lr": 1e-3, "patience": 6},
    "baseline": {"max_length": 256, "max_windows": 1, "head_hidden": 0, "dropout": 0.0, "epochs": 1,
                 "batch_size": 1, "lr": 0.0, "patience": 1},
}


@dataclass
class TrainConfig:
    """Settings of one training run (saved as ``training_config.json``). ``None`` = the preset's default.

    Attributes:
        preset: ``fast``, ``full`` or ``baseline``.
        base: encoder name or folder; ``None`` for the bundled multilingual-e5-small.
        seed: seed of every random generator.
        max_length: tokens per window (256).
        stride: tokens shared by consecutive windows.
        max_windows: windows per document (fast 8; full 4).
        focus: cut long documents to the sentences that mention migrants (plus neighbours).
        focus_max_chars: length cap of a focused document.
        prefix: text before each window; ``None`` = ``"query: "`` for e5 encoders, else none.
        pooling: ``mean`` (e5) or ``cls``.
        pool_layers: hidden states (1..L; 0 = embeddings) pooled and concatenated into the embedding;
            ``None`` = layers L/2, 3L/4 and L of an L-layer encoder.
        head_hidden: shared hidden layer of the heads (256; 0 = linear heads).
        dropout: dropout on embeddings in the heads (0.3).
        epochs: passes over the training data (fast: head epochs, 400; full: 8).
        batch_size: documents per step (fast 64, full 16).
        lr: learning rate of the heads (1e-3).
        encoder_lr: learning rate of the encoder (full).
        finetune_head_lr: learning rate of pre-fitted heads while the encoder is fine-tuned (full).
        init_heads: full: first fit the heads on frozen embeddings, then fine-tune everything (LP-FT);
            False starts from random heads (learning rate ``lr``).
        weight_decay: AdamW weight decay.
        warmup: share of steps with a linear warm-up (full).
        patience: evaluations without a dev macro-F1 gain before stopping (fast: epochs; full: evals).
        evals_per_epoch: dev evaluations per epoch (full).
        pos_weight_cap: cap of the ``neg/pos`` class-imbalance weight.
        min_pos_threshold: dev positives needed to tune a label's threshold.
        threads: CPU threads (default: all available cores).
        device: ``auto`` (GPU when present), ``cpu`` or ``cuda``.
        cache: cache window embeddings (fast).
        resume: continue from the last checkpoint in ``OUT/checkpoints`` (full).
        checkpoint_every: optimisation steps between checkpoints (full).
        max_tokens: token budget per encoder batch.
        max_steps: stop after this many optimisation steps (full; 0 = no limit; for smoke tests).
        c: inverse regularisation of the logistic regressions (baseline).
        backend: inference backend used to score dev/test after training (``auto`` = the engine default).
    """

    preset: Preset = Preset.fast
    base: str | None = None
    seed: int = 13
    max_length: int | None = None
    stride: int = 32
    max_windows: int | None = None
    focus: bool = True
    focus_max_chars: int = 600
    prefix: str | None = None
    pooling: str = "mean"
    pool_layers: list[int] | None = None
    head_hidden: int | None = None
    dropout: float | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    encoder_lr: float = 5e-5
    finetune_head_lr: float = 1e-4
    init_heads: bool = True
    weight_decay: float = 0.01
    warmup: float = 0.1
    patience: int | None = None
    evals_per_epoch: int = 2
    pos_weight_cap: float = 10.0
    min_pos_threshold: int = 3
    threads: int | None = None
    device: str = "auto"
    cache: bool = True
    resume: bool = True
    checkpoint_every: int = 100
    max_tokens: int = 8192
    max_steps: int = 0
    c: float = 4.0
    backend: str = "auto"

    def __post_init__(self) -> None:
        try:
            self.preset = Preset(self.preset)
        except ValueError:
            raise ValueError(f"preset must be one of {[p.value for p in Preset]}, got {self.preset!r}") from None
        for key, value in _PRESET_DEFAULTS[self.preset.value].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {self.pooling!r}")
        if self.pool_layers is not None and (not isinstance(self.pool_layers, (list, tuple)) or not self.pool_layers
                                             or not all(isinstance(i, int) and i >= 0 for i in self.pool_layers)):
            raise ValueError(f"pool_layers must be a non-empty list of layer numbers >= 0, got {self.pool_layers!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for name in ("epochs", "batch_size", "max_windows", "patience", "evals_per_epoch", "checkpoint_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1 or not 0 <= self.warmup < 1:
            raise ValueError("dropout and warmup must be in [0, 1)")
        if self.lr < 0 or self.encoder_lr < 0 or self.c <= 0:
            raise ValueError("learning rates must be >= 0 and c > 0")
        from models.backends import Backend

        if self.backend != "auto":
            Backend(self.backend)  # raises ValueError naming the bad value

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["preset"] = self.preset.value
        return d


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def train_model(data: str | Path | None, out: str | Path, *, taxonomy: str | Path | None = None,
                config: TrainConfig | None = None, progress: bool = True) -> dict[str, Any]:
    """Train, calibrate, evaluate and save a model directory.

    Args:
        data: labelled JSON Lines (annotated-corpus format); ``None`` for the bundled corpus.
        out: the model directory to write (replaced atomically when training succeeds).
        taxonomy: taxonomy file; ``None`` for the bundled default.
        config: training settings (default: the ``fast`` preset).
        progress: show progress bars on stderr.

    Returns:
        ``{"model_dir", "model_id", "metrics", "train_seconds", "thresholds"}``.

    Raises:
        InputError: bad or unknown labels in the data (file:line), too little data.
        ModelError: the encoder cannot be loaded.
    """
    from models.modeldir import finish_model_dir
    from models.taxonomy import load_taxonomy
    from models.trainset import corpus_fingerprint, load_labelled

    cfg = config or TrainConfig()
    rep = Reporter(progress)
    tax = load_taxonomy(taxonomy)
    layout = LabelLayout(tax)
    data_sets = load_labelled(data, tax)
    from models.backends import set_threads

    set_threads(cfg.threads)
    set_seed(cfg.seed)
    out = Path(out)
    rep.note(f"training preset '{cfg.preset.value}' on {len(data_sets['train'])} train / "
             f"{len(data_sets['dev'])} dev / {len(data_sets['test'])} test documents")
    t0 = time.perf_counter()
    staging = out.parent / f".{out.name}.staging"
    if staging.exists():
        import shutil

        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    if cfg.preset is Preset.baseline:
        from models.baseline import fit_baseline

        fields = fit_baseline(data_sets, layout, cfg, staging, rep)
    elif cfg.preset is Preset.fast:
        fields = fit_fast(data_sets, layout, cfg, staging, rep)
    else:
        from models.finetune import fit_full

        fields = fit_full(data_sets, layout, cfg, staging, rep, checkpoint_dir=out.parent / f".{out.name}.checkpoints")
    train_seconds = time.perf_counter() - t0
    from corpora.annotated import default_corpus_path

    data_path = Path(data) if data is not None else default_corpus_path()
    return finish_model_dir(staging, out, fields=fields, taxonomy=tax, data=data_sets, config=cfg,
                            data_path=str(data_path), data_fingerprint=corpus_fingerprint(data_path),
                            train_seconds=train_seconds, reporter=rep)


# ---- fast preset ------------------------------------------------------------------------------------
def window_spec_for(cfg: TrainConfig, encoder_path: str, encoder: Any) -> "Any":
    """The :class:`~models.windows.WindowSpec` a training run uses (``max_length`` capped at what the
    encoder's position embeddings allow, ``stride`` at a quarter of it)."""
    from models.encode import default_prefix, max_positions
    from models.windows import WindowSpec

    prefix = cfg.prefix if cfg.prefix is not None else default_prefix(encoder_path)
    max_length = min(int(cfg.max_length), max_positions(encoder))
    return WindowSpec(max_length=max_length, stride=min(cfg.stride, max_length // 4),
                      max_windows=int(cfg.max_windows),
                      prefix=prefix, focus=cfg.focus, focus_max_chars=cfg.focus_max_chars)


def resolve_layers(cfg: TrainConfig, encoder: Any) -> list[int] | None:
    """Hidden states to pool (see ``TrainConfig.pool_layers``); None = the last layer only.

    Raises:
        ConfigError: a layer number beyond the encoder's depth.
    """
    from stigmascope.errors import ConfigError

    n = int(getattr(encoder.config, "num_hidden_layers", 0) or 0)
    if cfg.pool_layers is None:
        if cfg.preset is Preset.baseline or n < 2:
            return None
        layers = sorted({max(1, n // 2), max(1, (3 * n) // 4), n})
    else:
        layers = [int(i) for i in cfg.pool_layers]
    bad = [i for i in layers if i > n]
    if bad:
        raise ConfigError(f"pool_layers {bad} beyond the encoder's {n} layers")
    return None if layers == [n] else layers


def frozen_embeddings(tok: Any, enc: Any, resolved: str, spec: Any, layers: list[int] | None,
                      data: dict[str, LabelledSet], cfg: TrainConfig, rep: Reporter
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Window embeddings of every split from the frozen encoder, read from / written to the cache.

    Returns:
        Per split ``(embeddings (n_windows, hidden × n_layers), doc_index (n_windows,))``.
    """
    from models.cascade import Cascade
    from models.embcache import EmbeddingCache, default_cache_path, encoder_fingerprint
    from models.encode import DocumentEncoder

    de = DocumentEncoder(tok, enc, spec, pooling=cfg.pooling, layers=layers, focus=Cascade.default().focuser(spec),
                         max_tokens=cfg.max_tokens)
    hidden = enc.config.hidden_size * (len(layers) if layers else 1)
    cache = None
    if cfg.cache:
        ns = EmbeddingCache.namespace_for(encoder_fingerprint(resolved),
                                          {**spec.to_dict(), "pooling": cfg.pooling, "layers": layers})
        cache = EmbeddingCache(default_cache_path(), namespace=ns)
    embedded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    total = sum(len(s) for s in data.values())
    was_training = enc.training
    enc.eval()
    with rep.task("embedding documents (frozen encoder, cached)", total) as advance:
        for split, ls in data.items():
            parts, idx, offset = [], [], 0
            for start in range(0, len(ls), 32):
                e, d = de.embed(ls.texts[start: start + 32], cache=cache, progress=advance)
                parts.append(e)
                idx.append(d + offset)
                offset += len(ls.texts[start: start + 32])
            embedded[split] = (np.concatenate(parts) if parts else np.zeros((0, hidden), np.float32),
                               np.concatenate(idx) if idx else np.zeros(0, np.int64))
    enc.train(was_training)
    return embedded


def fit_fast(data: dict[str, LabelledSet], layout: LabelLayout, cfg: TrainConfig, staging: Path,
             rep: Reporter) -> dict[str, Any]:
    """Embed every document once with the frozen encoder (cached), then train the heads.

    Returns:
        The ``config.json`` fields of the saved transformer (weights written into ``staging``).
    """
    from models.encode import load_base_encoder
    from models.transformer import save_transformer_weights

    tok, enc, resolved = load_base_encoder(cfg.base)
    spec = window_spec_for(cfg, resolved, enc)
    layers = resolve_layers(cfg, enc)
    embedded = frozen_embeddings(tok, enc, resolved, spec, layers, data, cfg, rep)
    hidden = enc.config.hidden_size * (len(layers) if layers else 1)
    heads, history = fit_fast_heads(embedded, data, layout, cfg, hidden=hidden, rep=rep)
    fields = save_transformer_weights(staging, enc, tok, heads)
    fields.update({"kind": "transformer", "pooling": cfg.pooling, "pool_layers": layers, "window": spec.to_dict(),
                   "base_encoder": cfg.base or "default", "base_encoder_resolved": resolved,
                   "history": history})
    return fields


def fit_fast_heads(embedded: dict[str, tuple[np.ndarray, np.ndarray]], data: dict[str, LabelledSet],
                   layout: LabelLayout, cfg: TrainConfig, *, hidden: int, rep: Reporter) -> tuple[Any, list]:
    """Train facet heads on fixed window embeddings with early stopping on dev macro-F1.

    Args:
        embedded: per split ``(embeddings (n_windows, hidden), doc_index (n_windows,))``.
        data: the labelled splits (targets and masks).
        hidden: embedding size.

    Returns:
        ``(best heads, history [{epoch, loss, dev_macro_f1}])``.
    """
    import copy

    import torch

    from models.heads import FacetHeads, imbalance_weights, logits_to_probs, multihead_loss, pad_windows, pool_padded
    from models.metrics import evaluate_scores

    tr, dev = data["train"], data["dev"]
    emb, wmask = pad_windows(*embedded["train"], len(tr))
    dev_emb, dev_wmask = pad_windows(*embedded["dev"], len(dev))
    y = torch.from_numpy(tr.y)
    mask = torch.from_numpy(tr.mask)
    pos_weight, class_weight = imbalance_weights(tr.y, tr.mask, layout, cap=cfg.pos_weight_cap)
    heads = FacetHeads(layout, hidden, head_hidden=int(cfg.head_hidden), dropout=cfg.dropout)
    train_emb = embedded["train"][0]
    heads.set_standardization(train_emb.mean(axis=0), train_emb.std(axis=0))  # frozen features: z-scores
    opt = torch.optim.AdamW(heads.parameters(), lr=float(cfg.lr), weight_decay=cfg.weight_decay)
    gen = np.random.default_rng(cfg.seed)
    best, best_state, since, history = -1.0, copy.deepcopy(heads.state_dict()), 0, []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # many tiny ops: threading costs more than it gains
    try:
        with rep.task("training heads", int(cfg.epochs)) as advance:
            for epoch in range(int(cfg.epochs)):
                heads.train()
                order = torch.from_numpy(gen.permutation(len(tr)))
                losses = []
                for b in range(0, len(order), int(cfg.batch_size)):
                    docs = order[b: b + int(cfg.batch_size)]
                    logits = pool_padded(heads(emb[docs]), wmask[docs], layout)
                    loss = multihead_loss(logits, y[docs], mask[docs], layout, pos_weight=pos_weight,
                                          class_weight=class_weight)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    losses.append(loss.item())
                heads.eval()
                with torch.no_grad():
                    probs = logits_to_probs(pool_padded(heads(dev_emb), dev_wmask, layout), layout)
                f1 = evaluate_scores(probs.numpy(), dev.y, layout, {})["macro_f1"]
                history.append({"epoch": epoch + 1, "loss": round(float(np.mean(losses)), 5), "dev_macro_f1": f1})
                advance(1)
                if f1 > best + 1e-6:
                    best, best_state, since = f1, copy.deepcopy(heads.state_dict()), 0
                else:
                    since += 1
                    if since >= int(cfg.patience):
                        break
    finally:
        torch.set_num_threads(threads)
    heads.load_state_dict(best_state)
    rep.note(f"heads: best dev macro-F1 {best:.3f} (thresholds 0.5) after {len(history)} epochs")
    return heads.eval(), history
