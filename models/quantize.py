"""int8 inference: PyTorch dynamic quantization and an ONNX Runtime export, both of the embedding model.

Only the encoder is quantized (the facet heads are tiny and stay fp32). The ONNX file is built once per
model and cached under ``stigmascope.paths.home()/onnx/<model_id>/`` (a model directory may be
read-only), then reused.

Example:
    >>> from models.quantize import onnx_cache_dir
    >>> onnx_cache_dir("fast-abc123").name
    'fast-abc123'
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

__all__ = ["EmbeddingModule", "quantize_dynamic_int8", "export_onnx", "onnx_cache_dir"]


class EmbeddingModule(nn.Module):
    """Encoder + pooling as one module ``(input_ids, attention_mask) -> (b, hidden × n_layers)`` (exportable)."""

    def __init__(self, encoder: nn.Module, pooling: str = "mean", layers: Sequence[int] | None = None) -> None:
        super().__init__()
        self.encoder, self.pooling, self.layers = encoder, pooling, list(layers) if layers else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        from models.heads import pooled_embedding

        return pooled_embedding(self.encoder, input_ids, attention_mask, pooling=self.pooling, layers=self.layers)


def quantize_dynamic_int8(module: nn.Module) -> nn.Module:
    """Dynamic int8 quantization of every ``nn.Linear`` (weights int8, activations quantized on the fly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)


def onnx_cache_dir(model_id: str) -> Path:
    """Folder of a model's exported ONNX files (``home()/onnx/<model_id>``)."""
    from stigmascope.paths import home

    return home() / "onnx" / model_id


def export_onnx(encoder: Any, out_dir: str | Path, *, pooling: str = "mean", layers: Sequence[int] | None = None,
                int8: bool = True, opset: int = 17) -> Path:
    """Export encoder + pooling to ONNX (eager attention, dynamic batch and length), optionally int8.

    Args:
        encoder: a ``transformers`` encoder in eval mode.
        out_dir: where to write ``encoder.onnx`` and ``encoder-int8.onnx``.
        pooling: ``"mean"`` or ``"cls"``; layers: hidden states pooled and concatenated (None: last).
        int8: also write the dynamically quantized model and return its path.

    Returns:
        Path of the model to load (``encoder-int8.onnx`` when ``int8``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "encoder.onnx"
    q8 = out / "encoder-int8.onnx"
    target = q8 if int8 else fp32
    if target.exists():
        return target
    if not fp32.exists():
        _set_eager(encoder)
        module = EmbeddingModule(encoder, pooling, layers).eval()
        ids = torch.ones((2, 16), dtype=torch.long)
        mask = torch.ones((2, 16), dtype=torch.long)
        tmp = fp32.with_suffix(".tmp.onnx")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"], opset_version=opset, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                            "attention_mask": {0: "batch", 1: "seq"},
                                            "embedding": {0: "batch"}})
        tmp.replace(fp32)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = q8.with_suffix(".tmp.onnx")
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # onnxruntime logs a pre-processing hint on root
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        finally:
            logging.getLogger().setLevel(level)
        tmp.replace(q8)
    return target


def _set_eager(encoder: Any) -> None:
    """Switch attention to the eager implementation, which exports to ONNX Runtime's fused kernels."""
    setter = getattr(encoder, "set_attn_implementation", None)
    if callable(setter):
        try:
            setter("eager")
            return
        except Exception:  # older/other models: fall back to the config attribute
            pass
    cfg = getattr(encoder, "config", None)
    if cfg is not None:
        cfg._attn_implementation = "eager"
