"""The transformer model kind: score documents with encoder + facet heads; save and load its weights.

Saved as ``model.safetensors`` (encoder tensors prefixed ``encoder.``, head tensors ``heads.``), the
tokenizer files, and ``config.json`` fields ``encoder`` (the encoder's own config), ``pooling``,
``window`` and ``heads``. Loading rebuilds the encoder from its config, so no network and no base model
are needed.

Example:
    >>> from models.modeldir import load_model                 # doctest: +SKIP
    >>> scorer = load_model("my-model").scorer                  # a TransformerScorer
    >>> scorer.score(["外来务工人员子女入学难"]).shape             # (1, n_keys)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from models.backends import Backend
from models.encode import DocumentEncoder
from models.heads import FacetHeads, heads_config, logits_to_probs, pool_windows
from models.layout import LabelLayout
from models.windows import WindowSpec
from stigmascope.errors import ModelError

__all__ = ["TransformerScorer", "save_transformer_weights", "load_transformer"]


class TransformerScorer:
    """Probabilities per score key for documents, from a :class:`DocumentEncoder` and facet heads.

    Args:
        doc_encoder: focus + windows + encoder backend.
        heads: trained facet heads.
        layout: the taxonomy's column layout.
    """

    kind = "transformer"

    def __init__(self, doc_encoder: DocumentEncoder, heads: FacetHeads, layout: LabelLayout) -> None:
        self.doc_encoder, self.heads, self.layout = doc_encoder, heads.eval(), layout

    @property
    def backend(self) -> str:
        return self.doc_encoder.backend.value

    def score_embeddings(self, emb: np.ndarray, doc_index: np.ndarray, n_docs: int) -> np.ndarray:
        """Probabilities ``(n_docs, n_keys)`` from window embeddings ``(n_windows, hidden)``."""
        with torch.inference_mode():
            logits = self.heads(torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32)))
            doc = pool_windows(logits, torch.from_numpy(doc_index), n_docs, self.layout)
            return logits_to_probs(doc, self.layout).numpy().astype(np.float64)

    def score(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None,
              chunk: int = 512) -> np.ndarray:
        """Probabilities ``(n_docs, n_keys)`` in ``layout.keys`` order.

        Args:
            texts: documents (any length; long ones are focused and windowed).
            progress: called with the number of documents done after each chunk.
            chunk: documents per chunk (bounds memory and paces the progress bar).
        """
        out = np.zeros((len(texts), self.layout.n_keys), dtype=np.float64)
        for start in range(0, len(texts), chunk):
            part = texts[start: start + chunk]
            emb, doc_index = self.doc_encoder.embed(part)
            out[start: start + len(part)] = self.score_embeddings(emb, doc_index, len(part))
            if progress is not None:
                progress(len(part))
        return out


def save_transformer_weights(out_dir: Path, encoder: Any, tokenizer: Any, heads: FacetHeads) -> dict[str, Any]:
    """Write ``model.safetensors`` and the tokenizer files; return the ``config.json`` fields they need."""
    from safetensors.torch import save_file

    tensors = {f"encoder.{k}": v.detach().cpu().contiguous().clone() for k, v in encoder.state_dict().items()}
    tensors.update({f"heads.{k}": v.detach().cpu().contiguous().clone() for k, v in heads.state_dict().items()})
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt", "stigmascope": "1"})
    tokenizer.save_pretrained(str(out_dir))
    enc_cfg = encoder.config.to_dict()
    for k in ("_name_or_path", "transformers_version", "architectures", "_attn_implementation_autoset"):
        enc_cfg.pop(k, None)
    return {"encoder": enc_cfg, "heads": heads_config(heads)}


def load_transformer(model_dir: Path, config: dict[str, Any], layout: LabelLayout, *,
                     backend: Backend = Backend.torch, focus: Callable[[str], str] | None = None,
                     threads: int | None = None, max_tokens: int = 8192, max_batch: int = 64,
                     device: str = "cpu") -> TransformerScorer:
    """Rebuild a :class:`TransformerScorer` from a model directory (already validated).

    Raises:
        ModelError: weights that do not fit the saved configuration.
    """
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    enc_cfg = dict(config["encoder"])
    model_type = enc_cfg.pop("model_type", "bert")
    try:
        cfg = AutoConfig.for_model(model_type, **enc_cfg)
        encoder = AutoModel.from_config(cfg)
        tensors = load_file(str(model_dir / "model.safetensors"))
        enc_sd = {k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")}
        head_sd = {k[len("heads."):]: v for k, v in tensors.items() if k.startswith("heads.")}
        missing, unexpected = encoder.load_state_dict(enc_sd, strict=False)
        missing = [m for m in missing if not m.endswith("position_ids")]
        if missing or unexpected:
            raise ModelError(f"{model_dir}/model.safetensors: encoder weights do not match config.json "
                             f"(missing {missing[:3]}, unexpected {unexpected[:3]}); retrain the model")
        hc = config["heads"]
        heads = FacetHeads(layout, hidden=int(hc["hidden"]), head_hidden=int(hc.get("head_hidden", 0)),
                           dropout=float(hc.get("dropout", 0.0)))
        missing_h, unexpected_h = heads.load_state_dict(head_sd, strict=False)
        if unexpected_h or set(missing_h) - {"in_shift", "in_scale"}:  # older models have no standardisation
            raise ModelError(f"{model_dir}/model.safetensors: head weights do not match the taxonomy "
                             f"(missing {missing_h[:3]}, unexpected {unexpected_h[:3]}); retrain the model")
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    except ModelError:
        raise
    except (RuntimeError, KeyError, ValueError, OSError) as exc:
        raise ModelError(f"{model_dir}: cannot rebuild the model from its files ({str(exc).splitlines()[0]}); "
                         "retrain it with `stigmascope train --out DIR` (or delete the folder of a cached "
                         "default model to rebuild it)") from None
    encoder.eval()
    spec = WindowSpec(**config["window"])
    onnx_path = None
    if backend.onnx_runtime:
        from models.quantize import export_onnx, onnx_cache_dir

        onnx_path = str(export_onnx(encoder, onnx_cache_dir(config["model_id"]), pooling=config["pooling"],
                                    layers=config.get("pool_layers"), int8=backend is Backend.onnx_int8))
    doc_encoder = DocumentEncoder(tokenizer, encoder, spec, pooling=config["pooling"],
                                  layers=config.get("pool_layers"), focus=focus,
                                  backend=backend, onnx_path=onnx_path, threads=threads, device=device,
                                  max_tokens=max_tokens, max_batch=max_batch)
    return TransformerScorer(doc_encoder, heads, layout)
