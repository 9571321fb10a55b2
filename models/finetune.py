"""The ``full`` preset: fine-tune encoder and heads together (plain PyTorch loop, GPU when present).

- windows as at inference (focus, ``max_length``, stride), pooled per document (max / mean);
- AdamW with separate encoder and head learning rates, linear warm-up and decay, gradient clipping;
  the word-embedding matrix stays frozen (most of e5-small's parameters, untouched by a small corpus);
- class-imbalance weighting (``pos_weight`` per sigmoid key, class weights per softmax facet);
- early stopping on dev macro-F1, evaluated ``evals_per_epoch`` times per epoch, best weights kept;
- resumable: a checkpoint (weights, optimiser, scheduler, step, best score, history) is written every
  ``checkpoint_every`` steps; rerunning the same command continues from it.

Example:
    >>> from models.train import TrainConfig, train_model          # doctest: +SKIP
    >>> train_model(None, "full-model", config=TrainConfig(preset="full", epochs=3))
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from models.layout import LabelLayout
from models.progress import Reporter

__all__ = ["fit_full"]


def _device(choice: str) -> str:
    import torch

    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return "cuda"
    return "cpu"


def _doc_windows(windows: Any) -> list[list[np.ndarray]]:
    per: list[list[np.ndarray]] = [[] for _ in range(windows.n_docs)]
    for ids, d in zip(windows.ids, windows.doc_index):
        per[int(d)].append(ids)
    return per


def _batch(per_doc: list[list[np.ndarray]], docs: np.ndarray, pad_id: int, device: str) -> tuple[Any, Any, Any]:
    import torch

    from models.batching import pad_batch

    seqs, owner = [], []
    for j, d in enumerate(docs):
        seqs.extend(per_doc[int(d)])
        owner.extend([j] * len(per_doc[int(d)]))
    ids, mask = pad_batch(seqs, pad_id)
    return (torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device),
            torch.tensor(owner, dtype=torch.long, device=device))


def _epoch_order(per_doc: list[list[np.ndarray]], batch_size: int, seed: int) -> np.ndarray:
    """Shuffled document order in which each batch holds documents of similar length (less padding):
    shuffle, sort within mega-batches of 32 batches, then shuffle the batches. Deterministic per seed."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(per_doc))
    size = np.array([sum(len(w) for w in per_doc[i]) for i in order])
    mega = batch_size * 32
    for s in range(0, len(order), mega):
        block = slice(s, s + mega)
        idx = np.argsort(-size[block], kind="stable")
        order[block], size[block] = order[block][idx], size[block][idx]
    batches = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    return np.concatenate([batches[i] for i in rng.permutation(len(batches))])


def _evaluate(model: Any, per_doc: list[list[np.ndarray]], ls: Any, layout: LabelLayout, pad_id: int,
              device: str, batch_docs: int = 32) -> tuple[float, np.ndarray]:
    import torch

    from models.heads import logits_to_probs, pool_windows
    from models.metrics import evaluate_scores

    model.eval()
    probs = np.zeros((len(ls), layout.n_keys))
    order = np.argsort([-sum(len(w) for w in per_doc[i]) for i in range(len(ls))])
    with torch.no_grad(), _autocast(device):
        for b in range(0, len(order), batch_docs):
            docs = order[b: b + batch_docs]
            ids, mask, owner = _batch(per_doc, docs, pad_id, device)
            logits = pool_windows(model(ids, mask).float(), owner, len(docs), layout)
            probs[docs] = logits_to_probs(logits, layout).cpu().numpy()
    model.train()
    return evaluate_scores(probs, ls.y, layout, {})["macro_f1"], probs


def _autocast(device: str) -> Any:
    import contextlib

    import torch

    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _fingerprint(cfg: Any, data: dict[str, Any]) -> str:
    settings = {k: v for k, v in cfg.to_dict().items() if k not in ("resume", "threads", "checkpoint_every", "device")}
    blob = json.dumps([settings, data["train"].ids, data["dev"].ids], sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def fit_full(data: dict[str, Any], layout: LabelLayout, cfg: Any, staging: Path, rep: Reporter, *,
             checkpoint_dir: Path) -> dict[str, Any]:
    """Fine-tune the encoder with facet heads; write the best weights into ``staging``.

    Args:
        data: labelled splits; layout: column layout; cfg: a ``TrainConfig`` with ``preset="full"``.
        staging: folder receiving ``model.safetensors`` and the tokenizer.
        checkpoint_dir: where resumable checkpoints live (removed after success).

    Returns:
        The ``config.json`` fields of the saved transformer.
    """
    import torch

    from models.cascade import Cascade
    from models.encode import load_base_encoder
    from models.heads import EncoderClassifier, FacetHeads, imbalance_weights, multihead_loss, pool_windows
    from models.train import fit_fast_heads, frozen_embeddings, resolve_layers, window_spec_for
    from models.transformer import save_transformer_weights
    from models.windows import make_windows

    tok, enc, resolved = load_base_encoder(cfg.base)
    spec = window_spec_for(cfg, resolved, enc)
    focus = Cascade.default().focuser(spec)
    device = _device(cfg.device)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    per_doc = {s: _doc_windows(make_windows(tok, [focus(t) for t in data[s].texts], spec)) for s in ("train", "dev")}
    layers = resolve_layers(cfg, enc)
    hidden = enc.config.hidden_size * (len(layers) if layers else 1)
    fp = _fingerprint(cfg, data)
    ckpt = checkpoint_dir / "checkpoint.pt"
    best_path = checkpoint_dir / "best.pt"
    saved = torch.load(ckpt, map_location="cpu", weights_only=False) if cfg.resume and ckpt.exists() else None
    if saved is not None and saved.get("fingerprint") != fp:
        rep.note(f"ignoring checkpoint {ckpt}: it belongs to other settings or data")
        saved = None
    lp_history: list[dict[str, Any]] = []
    if cfg.init_heads and saved is None:  # LP-FT: fit the heads on frozen features first
        embedded = frozen_embeddings(tok, enc, resolved, spec, layers, data, cfg, rep)
        heads, lp_history = fit_fast_heads(embedded, data, layout, cfg, hidden=hidden, rep=rep)
        del embedded
    else:
        heads = FacetHeads(layout, hidden, head_hidden=int(cfg.head_hidden), dropout=cfg.dropout)
    model = EncoderClassifier(enc, heads, cfg.pooling, layers).to(device)
    emb = enc.get_input_embeddings()
    if emb is not None:
        emb.weight.requires_grad_(False)
    enc_params = [p for p in enc.parameters() if p.requires_grad]
    head_lr = cfg.finetune_head_lr if cfg.init_heads else float(cfg.lr)
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.encoder_lr},
                             {"params": list(heads.parameters()), "lr": head_lr}], weight_decay=cfg.weight_decay)
    tr = data["train"]
    steps_per_epoch = math.ceil(len(tr) / int(cfg.batch_size))
    total = steps_per_epoch * int(cfg.epochs)
    if cfg.max_steps:
        total = min(total, int(cfg.max_steps))
    warm = max(1, int(cfg.warmup * total))

    def lr_factor(step: int) -> float:  # linear warm-up, then linear decay to zero
        return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    pos_weight, class_weight = imbalance_weights(tr.y, tr.mask, layout, cap=cfg.pos_weight_cap)
    pos_weight = pos_weight.to(device)
    class_weight = {k: v.to(device) for k, v in class_weight.items()}
    y = torch.from_numpy(tr.y).to(device)
    mask = torch.from_numpy(tr.mask).to(device)
    eval_every = max(1, steps_per_epoch // int(cfg.evals_per_epoch))
    state: dict[str, Any] = {"step": 0, "best": -1.0, "since": 0, "history": []}
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["scheduler"])
        state = saved["state"]
        rep.note(f"resuming full fine-tuning from step {state['step']} ({ckpt})")
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    best_state = (torch.load(best_path, map_location="cpu", weights_only=False) if best_path.exists() and state["step"]
                  else None)
    if state["step"] == 0 and cfg.init_heads:  # the starting point (frozen encoder + fitted heads) is a candidate
        f1, _ = _evaluate(model, per_doc["dev"], data["dev"], layout, pad_id, device)
        state["history"].append({"step": 0, "loss": None, "dev_macro_f1": f1})
        state["best"] = f1
        best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        torch.save(best_state, best_path)
    model.train()
    stop = False
    with rep.task(f"fine-tuning ({device})", total) as advance:
        advance(state["step"])
        while state["step"] < total and not stop:
            epoch = state["step"] // steps_per_epoch
            order = _epoch_order(per_doc["train"], int(cfg.batch_size), cfg.seed + epoch)
            for b in range(state["step"] % steps_per_epoch, steps_per_epoch):
                docs = order[b * int(cfg.batch_size): (b + 1) * int(cfg.batch_size)]
                ids, am, owner = _batch(per_doc["train"], docs, pad_id, device)
                with _autocast(device):
                    logits = pool_windows(model(ids, am).float(), owner, len(docs), layout)
                loss = multihead_loss(logits, y[docs], mask[docs], layout, pos_weight=pos_weight,
                                      class_weight=class_weight)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                state["step"] += 1
                advance(1)
                if state["step"] % eval_every == 0 or state["step"] == total:
                    f1, _ = _evaluate(model, per_doc["dev"], data["dev"], layout, pad_id, device)
                    state["history"].append({"step": state["step"], "loss": round(loss.item(), 5),
                                             "dev_macro_f1": f1})
                    if f1 > state["best"] + 1e-6:
                        state["best"], state["since"] = f1, 0
                        best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                        torch.save(best_state, best_path)
                    else:
                        state["since"] += 1
                        if state["since"] >= int(cfg.patience):
                            stop = True
                if state["step"] % int(cfg.checkpoint_every) == 0 and not stop:
                    torch.save({"fingerprint": fp, "model": model.state_dict(), "optimizer": opt.state_dict(),
                                "scheduler": sched.state_dict(), "state": copy.deepcopy(state)}, ckpt)
                if stop or state["step"] >= total:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    rep.note(f"fine-tuning: best dev macro-F1 {state['best']:.3f} (thresholds 0.5) after {state['step']} steps")
    model = model.cpu().eval()
    fields = save_transformer_weights(staging, model.encoder, tok, model.heads)
    fields.update({"kind": "transformer", "pooling": cfg.pooling, "pool_layers": layers, "window": spec.to_dict(),
                   "base_encoder": cfg.base or "default", "base_encoder_resolved": resolved,
                   "history": {"heads_on_frozen_encoder": lp_history, "finetune": state["history"]}})
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return fields
