"""Load a base encoder and turn documents into window embeddings (focus → windows → backend → cache).

Example:
    >>> from models.encode import load_base_encoder, DocumentEncoder      # doctest: +SKIP
    >>> tok, enc, path = load_base_encoder(None)                          # the offline default (e5-small)
    >>> de = DocumentEncoder(tok, enc, WindowSpec(prefix="query: "))
    >>> emb, doc_index = de.embed(["农民工讨薪难", "城中村拆迁"])            # (n_windows, 384), (n_windows,)
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

import numpy as np

from models.backends import Backend, WindowEncoder, onnx_window_encoder, torch_window_encoder
from models.embcache import EmbeddingCache
from models.windows import WindowSpec, Windows, make_windows
from stigmascope.errors import ModelError

__all__ = ["load_base_encoder", "DocumentEncoder", "default_prefix", "max_positions"]


def default_prefix(encoder_path: str) -> str:
    """``"query: "`` for e5 encoders (they were trained with it), else no prefix."""
    from models.encoders import encoder_info

    name = encoder_path.lower()
    try:
        info = encoder_info(encoder_path)
    except Exception:  # unreadable metadata: fall back to the name
        info = {}
    return "query: " if "e5" in name or "e5" in str(info.get("source", "")).lower() else ""


def max_positions(encoder: Any) -> int:
    """Longest window the encoder's position embeddings allow (RoBERTa-style models reserve two)."""
    cfg = encoder.config
    n = int(getattr(cfg, "max_position_embeddings", 512) or 512)
    if getattr(cfg, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        n -= 2
    return n


def load_base_encoder(name_or_path: str | None) -> tuple[Any, Any, str]:
    """Load tokenizer and encoder for training, from local files only (nothing is downloaded).

    Args:
        name_or_path: ``None``/``"default"`` (bundled multilingual-e5-small), a folder, or a cached hub name.

    Returns:
        ``(tokenizer, encoder, resolved path or name)``.

    Raises:
        ModelError: the encoder is not available locally, with what to do.
    """
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from models.encoders import resolve_encoder

    resolved = resolve_encoder(name_or_path)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tok = AutoTokenizer.from_pretrained(resolved, local_files_only=True)
        enc = AutoModel.from_pretrained(resolved, local_files_only=True)
    except OSError as exc:
        raise ModelError(
            f"encoder {resolved!r} is not available locally ({str(exc).splitlines()[0]}). stigmascope never "
            "downloads weights: pass a local folder with --base, download the model yourself beforehand, "
            "or omit --base for the bundled default."
        ) from None
    if not getattr(tok, "is_fast", False):
        raise ModelError(f"encoder {resolved!r} has no fast tokenizer (tokenizer.json); stigmascope needs one")
    return tok, enc.eval(), resolved


class DocumentEncoder:
    """Embed documents: focus, cut into windows, run a backend, optionally read/write a cache.

    Args:
        tokenizer: a fast tokenizer.
        encoder: the ``transformers`` encoder (used for the torch backends and ONNX export).
        spec: window settings.
        pooling: ``"mean"`` or ``"cls"``.
        layers: hidden states pooled and concatenated (None: the last layer).
        focus: ``text -> focus text`` (see ``models.cascade.Cascade.focuser``); identity by default.
        backend: where to run the encoder.
        onnx_path: an exported ONNX model (required for the ONNX backends).
        threads: CPU threads for ONNX Runtime.
        max_tokens, max_batch: batching budget.
    """

    def __init__(self, tokenizer: Any, encoder: Any, spec: WindowSpec, *, pooling: str = "mean",
                 layers: Sequence[int] | None = None, focus: Callable[[str], str] | None = None, backend: Backend = Backend.torch,
                 onnx_path: str | None = None, threads: int | None = None, device: str = "cpu",
                 max_tokens: int = 8192, max_batch: int = 64) -> None:
        self.tokenizer, self.encoder, self.spec, self.pooling = tokenizer, encoder, spec, pooling
        self.layers = list(layers) if layers else None
        self.focus = focus or (lambda t: t)
        self.backend = Backend(backend)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        batching = {"max_tokens": max_tokens, "max_batch": max_batch}
        if self.backend.onnx_runtime:
            if onnx_path is None:
                raise ValueError("the ONNX backends need onnx_path")
            self.runner: WindowEncoder = onnx_window_encoder(onnx_path, pad_id=pad, threads=threads, **batching)
        else:
            self.runner = torch_window_encoder(encoder, pooling=pooling, pad_id=pad, backend=self.backend,
                                               layers=layers, device=device, **batching)
        logging.getLogger("transformers.tokenization_utils_base").setLevel(logging.ERROR)

    def windows(self, texts: Sequence[str]) -> Windows:
        """Focus and window the texts."""
        return make_windows(self.tokenizer, [self.focus(t) for t in texts], self.spec)

    def embed(self, texts: Sequence[str], *, cache: EmbeddingCache | None = None,
              progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Window embeddings of documents.

        Args:
            texts: documents.
            cache: reuse and store embeddings per focused text.
            progress: called with the number of documents done.

        Returns:
            ``(embeddings (n_windows, hidden), doc_index (n_windows,))``; windows of one document are
            contiguous and in document order.
        """
        focused = [self.focus(t) for t in texts]
        found = cache.get_many(set(focused)) if cache is not None else {}
        todo = sorted({t for t in focused if t not in found})
        if todo:
            w = make_windows(self.tokenizer, todo, self.spec)
            emb = self.runner.embed(w.ids, progress=None)
            counts = np.bincount(w.doc_index, minlength=len(todo))
            per_doc = dict(zip(todo, np.split(emb, np.cumsum(counts)[:-1])))
            if cache is not None:
                cache.put_many(per_doc)
            found.update(per_doc)
        if progress is not None:
            progress(len(texts))
        blocks = [found[t] for t in focused]
        doc_index = np.repeat(np.arange(len(texts)), [len(b) for b in blocks])
        hidden = blocks[0].shape[1] if blocks else 0
        return (np.concatenate(blocks) if blocks else np.zeros((0, hidden), np.float32)), doc_index
