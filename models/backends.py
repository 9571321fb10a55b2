"""Run an encoder over token windows and return pooled embeddings, on one of several backends.

Backends (a ``str`` Enum so the CLI and config files can name them):
- ``torch``       fp32 PyTorch;
- ``torch-bf16``  PyTorch with bfloat16 weights (fast on CPUs with AMX / AVX-512 BF16, slow elsewhere);
- ``torch-int8``  PyTorch with dynamic int8 quantization of the linear layers;
- ``onnx``        ONNX Runtime, fp32;
- ``onnx-int8``   ONNX Runtime with dynamic int8 quantization (exported once, cached).

All share the same batching: windows sorted by length, filled to a token budget, run under
``torch.inference_mode``. ``models/bench.py`` measures them against each other.

Example:
    >>> Backend("torch-int8").quantized
    True
"""

from __future__ import annotations

import os
from enum import Enum
from typing import Any, Callable, Sequence

import numpy as np

from models.batching import pad_batch, token_budget_batches

__all__ = ["Backend", "WindowEncoder", "available_threads", "set_threads", "default_backend", "DEFAULT_BACKEND",
           "DEFAULT_BACKEND_BF16", "cpu_has_bf16"]

#: the engine's default where the CPU has no native bfloat16, chosen by measurement (models/bench.py): fp32
#: ONNX Runtime. The int8 backends are faster but cost quality (on the 311 real news items they changed the
#: labels of about half the documents against fp32; default model, bundled test split: macro-F1 0.720 fp32
#: vs 0.687 onnx-int8) and quantise activations per batch, so a document's scores depend on its batch.
DEFAULT_BACKEND = "onnx"
#: the default on CPUs with AMX / AVX-512 BF16 (2.9x the fp32 speed on long news there, 3/311 labels changed)
DEFAULT_BACKEND_BF16 = "torch-bf16"


class Backend(str, Enum):
    """Where the encoder runs."""

    torch = "torch"
    torch_bf16 = "torch-bf16"
    torch_int8 = "torch-int8"
    onnx = "onnx"
    onnx_int8 = "onnx-int8"

    @property
    def quantized(self) -> bool:
        return self in (Backend.torch_int8, Backend.onnx_int8)

    @property
    def reduced_precision(self) -> bool:
        return self.quantized or self is Backend.torch_bf16

    @property
    def onnx_runtime(self) -> bool:
        return self in (Backend.onnx, Backend.onnx_int8)


def default_backend() -> "Backend":
    """The default inference backend: ``STIGMASCOPE_BACKEND`` when set; else :data:`DEFAULT_BACKEND_BF16` on
    CPUs that compute bfloat16 natively (:func:`cpu_has_bf16`), :data:`DEFAULT_BACKEND` elsewhere."""
    chosen = os.environ.get("STIGMASCOPE_BACKEND")
    if chosen:
        return Backend(chosen)
    return Backend(DEFAULT_BACKEND_BF16 if cpu_has_bf16() else DEFAULT_BACKEND)


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AMX or AVX-512 BF16); Linux ``/proc/cpuinfo``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"amx_bf16", "avx512_bf16"})
    except OSError:
        return False
    return False


def available_threads() -> int:
    """CPU cores this process may use (respects CPU affinity, e.g. in containers)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)


def set_threads(n: int | None = None) -> int:
    """Set PyTorch's intra-op threads to ``n`` (default: available cores); one inter-op thread."""
    import torch

    n = n or available_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    return n


class WindowEncoder:
    """Embed windows with a batch function, using length-bucketed dynamic batches.

    Args:
        run_batch: ``(input_ids (b, t), attention_mask (b, t)) -> embeddings (b, hidden)``, numpy in/out.
        pad_id: the tokenizer's padding id.
        max_tokens: token budget per batch (rows × longest).
        max_batch: most rows per batch.
        name: backend name, for reports.
    """

    def __init__(self, run_batch: Callable[[np.ndarray, np.ndarray], np.ndarray], *, pad_id: int,
                 max_tokens: int = 8192, max_batch: int = 64, name: str = "torch") -> None:
        self.run_batch, self.pad_id = run_batch, pad_id
        self.max_tokens, self.max_batch, self.name = max_tokens, max_batch, name

    def embed(self, windows: Sequence[np.ndarray], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embeddings ``(n_windows, hidden)`` float32, in the order of ``windows``.

        Args:
            windows: token id arrays (special tokens included).
            progress: called with the number of windows done after each batch.
        """
        if not windows:
            return np.zeros((0, 0), dtype=np.float32)
        lengths = np.fromiter((len(w) for w in windows), dtype=np.int64, count=len(windows))
        out: np.ndarray | None = None
        for idx in token_budget_batches(lengths, max_tokens=self.max_tokens, max_batch=self.max_batch):
            ids, mask = pad_batch([windows[i] for i in idx], self.pad_id)
            emb = self.run_batch(ids, mask)
            if out is None:
                out = np.zeros((len(windows), emb.shape[1]), dtype=np.float32)
            out[idx] = emb
            if progress is not None:
                progress(len(idx))
        assert out is not None
        return out


def torch_window_encoder(encoder: Any, *, pooling: str, pad_id: int, backend: Backend = Backend.torch,
                         layers: Sequence[int] | None = None, device: str = "cpu", **batching: Any) -> WindowEncoder:
    """A :class:`WindowEncoder` running a ``transformers`` encoder in PyTorch (fp32 or dynamic int8)."""
    import torch

    from models.quantize import EmbeddingModule, quantize_dynamic_int8

    module = EmbeddingModule(encoder, pooling, layers).eval()
    if backend is Backend.torch_int8:
        module = quantize_dynamic_int8(module)
    elif backend is Backend.torch_bf16:
        module = module.to(torch.bfloat16)
    module = module.to(device)

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            t_ids = torch.from_numpy(ids).to(device)
            t_mask = torch.from_numpy(mask).to(device)
            return module(t_ids, t_mask).float().cpu().numpy()

    return WindowEncoder(run, pad_id=pad_id, name=backend.value, **batching)


def onnx_window_encoder(onnx_path: str, *, pad_id: int, threads: int | None = None, **batching: Any) -> WindowEncoder:
    """A :class:`WindowEncoder` running an exported embedding model in ONNX Runtime."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or available_threads()
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0].astype(np.float32)

    name = "onnx-int8" if str(onnx_path).endswith("int8.onnx") else "onnx"
    return WindowEncoder(run, pad_id=pad_id, name=name, **batching)
