"""Read labelled training data into arrays: texts, validated label objects, splits.

The data file is the annotated-corpus format (JSON Lines with ``id, text, labels`` and optional
``split``). Every label object is validated against the taxonomy, so a label the taxonomy lacks stops
training with the file, line and the fix. Documents without a ``split`` are assigned one by a hash of
their id (80/10/10), so a user's own export trains without preparation.

Example:
    >>> from models.trainset import load_labelled        # doctest: +SKIP
    >>> data = load_labelled("corpus.jsonl", taxonomy)   # doctest: +SKIP
    >>> data["train"].texts[:1], data["dev"].y.shape     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.layout import LabelLayout
from models.taxonomy import Taxonomy
from stigmascope.errors import InputError

__all__ = ["LabelledSet", "load_labelled", "hash_split", "corpus_fingerprint"]

SPLITS = ("train", "dev", "test")


@dataclass
class LabelledSet:
    """One split of labelled documents.

    Attributes:
        ids: document ids.
        texts: document texts.
        labels: normalised label objects.
        y: targets ``(n_docs, n_keys)``; mask: loss mask ``(n_docs, n_keys)`` (see ``LabelLayout.encode``).
    """

    ids: list[str]
    texts: list[str]
    labels: list[dict[str, Any]]
    y: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def hash_split(doc_id: str, *, dev: float = 0.1, test: float = 0.1) -> str:
    """A stable split for a document without one, from a hash of its id."""
    u = int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if u < test else "dev" if u < test + dev else "train"


def load_labelled(path: str | Path | None, taxonomy: Taxonomy) -> dict[str, LabelledSet]:
    """Load and validate labelled documents, split into train/dev/test.

    Args:
        path: a JSON Lines file in the annotated-corpus format; ``None`` for the bundled corpus.
        taxonomy: labels are validated against it.

    Returns:
        ``{"train": …, "dev": …, "test": …}`` (a split may be empty except train and dev).

    Raises:
        InputError: file missing, bad JSON, a label the taxonomy lacks (file:line and what to do), or too
            few documents to train.
    """
    from corpora.annotated import default_corpus_path, read_gold

    p = Path(path) if path is not None else default_corpus_path()
    if not p.exists():
        hint = ("build the bundled corpus with `python -m corpora.annotated build`" if path is None
                else "pass an existing JSON Lines file with --data")
        raise InputError(f"training data not found; {hint}", path=str(p))
    layout = LabelLayout(taxonomy)
    rows: dict[str, list[Any]] = {s: [] for s in SPLITS}
    try:
        for doc in read_gold(p, taxonomy):
            split = doc.split if doc.split in SPLITS else hash_split(doc.id)
            rows[split].append(doc)
    except InputError as exc:
        msg = str(exc)
        if "no label" in msg or "unknown facet" in msg:
            msg += (" — the taxonomy lacks this label: fix the data, or add the label to a copy of the "
                    "taxonomy file and pass it with --taxonomy")
        raise InputError(msg) from None
    out: dict[str, LabelledSet] = {}
    for s in SPLITS:
        docs = rows[s]
        labels = [d.labels for d in docs]
        y, mask = layout.encode(labels)
        out[s] = LabelledSet(ids=[d.id for d in docs], texts=[d.text for d in docs], labels=labels, y=y, mask=mask)
    if len(out["train"]) < 8 or len(out["dev"]) < 2:
        raise InputError(f"too few labelled documents to train: {len(out['train'])} train, {len(out['dev'])} dev "
                         "(need at least 8 and 2); label more documents", path=str(p))
    gate = layout.gate_column
    if gate is not None and len(np.unique(out["train"].y[:, gate])) < 2:
        raise InputError("the training split needs both relevant and non-relevant documents", path=str(p))
    return out


def corpus_fingerprint(path: str | Path) -> str:
    """Content hash of a data file (first 16 hex digits of SHA-1)."""
    h = hashlib.sha1()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def label_counts(data: dict[str, LabelledSet], layout: LabelLayout) -> dict[str, dict[str, int]]:
    """Positive counts per split and score key (for the model card)."""
    return {s: {k: int(ls.y[:, i].sum()) for i, k in enumerate(layout.keys)} if len(ls) else {}
            for s, ls in data.items()}

