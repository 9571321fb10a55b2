"""Turn documents into encoder windows: focus long texts on migrant mentions, then cut token windows.

Two steps, used identically in training and inference:

1. :func:`focus_text` — a long document (news) is cut down to the sentences that mention a migrant
   referent (the NLP layer's prefilter) plus their neighbours; short texts pass unchanged.
2. :func:`make_windows` — tokenise without special tokens, cut into ``max_length`` windows that overlap
   by ``stride`` tokens, and wrap each in the tokenizer's own special tokens (and an optional text
   prefix such as e5's ``"query: "``).

Example:
    >>> from models.windows import WindowSpec
    >>> WindowSpec(max_length=128, stride=16).content_length(n_special=2, n_prefix=3)
    123
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["WindowSpec", "Windows", "focus_text", "make_windows"]


@dataclass(frozen=True)
class WindowSpec:
    """How documents become windows (saved in the model's config so inference repeats training).

    Attributes:
        max_length: tokens per window, special tokens included.
        stride: tokens shared by consecutive windows of one document.
        max_windows: windows kept per document (the first ones of its focus text).
        prefix: text put before every window's content (``"query: "`` for e5 encoders).
        focus: cut long documents to the sentences that mention migrants (and neighbours).
        focus_min_chars: documents shorter than this are never cut.
        focus_context: neighbouring sentences kept on each side of a mention.
        focus_max_chars: the focus text is cut at this many characters.
    """

    max_length: int = 256
    stride: int = 32
    max_windows: int = 8
    prefix: str = ""
    focus: bool = True
    focus_min_chars: int = 300
    focus_context: int = 1
    focus_max_chars: int = 1200

    def __post_init__(self) -> None:
        if self.max_length < 16:
            raise ValueError(f"max_length must be >= 16 tokens, got {self.max_length}")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError(f"stride must be in [0, max_length/2), got {self.stride}")
        if self.max_windows < 1:
            raise ValueError(f"max_windows must be >= 1, got {self.max_windows}")
        if self.focus_context < 0 or self.focus_min_chars < 0 or self.focus_max_chars < 50:
            raise ValueError("focus_context and focus_min_chars must be >= 0 and focus_max_chars >= 50")

    def content_length(self, *, n_special: int, n_prefix: int) -> int:
        """Content tokens per window once special tokens and the prefix are added."""
        return max(self.max_length - n_special - n_prefix, 8)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Windows:
    """Token windows of a batch of documents.

    Attributes:
        ids: one int array of token ids per window (special tokens included, no padding).
        doc_index: the document each window belongs to, ``(n_windows,)``.
        n_docs: number of documents (every document has at least one window).
        truncated: documents whose text did not fit in ``max_windows`` windows, ``(n_docs,)`` bool.
    """

    ids: list[np.ndarray]
    doc_index: np.ndarray
    n_docs: int
    truncated: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.ids), dtype=np.int64, count=len(self.ids))


def focus_text(text: str, spec: WindowSpec, *, passes: Callable[[str], bool],
               split: Callable[[str], list[tuple[int, int]]]) -> str:
    """Cut a long document down to the sentences that mention a migrant referent, with neighbours.

    Args:
        text: the document.
        spec: window settings (``focus``, ``focus_min_chars``, ``focus_context``, ``focus_max_chars``).
        passes: the relevance prefilter's test for one piece of text.
        split: sentence splitter returning ``(start, end)`` character spans.

    Returns:
        The kept sentences in document order, joined with ``…`` where sentences were dropped; the
        whole text when it is short, focus is off, or no sentence mentions a referent.
    """
    if not spec.focus or len(text) < spec.focus_min_chars:
        return text
    spans = split(text)
    if len(spans) <= 1:
        return text[: spec.focus_max_chars * 2]
    hits = [i for i, (s, e) in enumerate(spans) if passes(text[s:e])]
    if not hits:
        return text
    keep: set[int] = set()
    for i in hits:
        keep.update(range(max(0, i - spec.focus_context), min(len(spans), i + spec.focus_context + 1)))
    parts: list[str] = []
    total, last = 0, -2
    for i in sorted(keep):
        s, e = spans[i]
        piece = text[s:e].strip()
        if not piece:
            continue
        if last >= 0 and i != last + 1:
            piece = "…" + piece
        parts.append(piece)
        total += len(piece)
        last = i
        if total >= spec.focus_max_chars:
            break
    return "".join(parts) or text


def make_windows(tokenizer: Any, texts: Sequence[str], spec: WindowSpec) -> Windows:
    """Tokenise documents and cut them into overlapping windows.

    Args:
        tokenizer: a Hugging Face fast tokenizer.
        texts: documents (already focused); an empty text still gets one (special-tokens-only) window.
        spec: window settings.

    Returns:
        :class:`Windows` with at most ``spec.max_windows`` windows per document.
    """
    head, tail = _special_tokens(tokenizer)
    prefix_ids = _encode(tokenizer, [spec.prefix])[0] if spec.prefix else []
    content = spec.content_length(n_special=len(head) + len(tail), n_prefix=len(prefix_ids))
    step = max(content - spec.stride, 1)
    # never tokenise more text than the windows can hold (a few characters per token at most)
    cap = spec.max_windows * content * 4
    encoded = _encode(tokenizer, [t[:cap] for t in texts])
    ids: list[np.ndarray] = []
    doc_index: list[int] = []
    truncated = np.zeros(len(texts), dtype=bool)
    lead = head + prefix_ids
    for d, toks in enumerate(encoded):
        starts = list(range(0, max(len(toks) - spec.stride, 1), step)) or [0]
        if len(starts) > spec.max_windows:
            starts = starts[: spec.max_windows]
            truncated[d] = True
        if len(texts[d]) > cap:
            truncated[d] = True
        for s in starts:
            ids.append(np.asarray(lead + toks[s: s + content] + tail, dtype=np.int64))
            doc_index.append(d)
    return Windows(ids=ids, doc_index=np.asarray(doc_index, dtype=np.int64), n_docs=len(texts),
                   truncated=truncated)


def _encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    if not texts:
        return []
    out = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
    return [list(x) for x in out["input_ids"]]


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The tokenizer's own single-sequence template, split around the content: ([CLS], [SEP]) etc."""
    empty = list(tokenizer("", add_special_tokens=True)["input_ids"])
    if not empty:
        return [], []
    if len(empty) == 1:
        return ([], empty) if empty[0] == getattr(tokenizer, "sep_token_id", None) else (empty, [])
    return empty[:1], empty[1:]
