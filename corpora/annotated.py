"""The bundled annotated corpus: check parts, build fixed splits, load for training and evaluation.

Layout (``corpora/data/annotated/``):
    parts/*.jsonl   documents as written and labelled, one file per writing batch
    corpus.jsonl    all parts merged, validated, with a fixed stratified ``split`` per document

Example:
    >>> from corpora.annotated import load_annotated
    >>> ds = load_annotated()                 # datasets.DatasetDict with train/dev/test
    >>> df = load_annotated(as_pandas=True)   # one pandas DataFrame with a 'split' column
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from models.taxonomy import LabelError, Taxonomy, load_taxonomy
from stigmascope.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import datasets
    import pandas as pd

__all__ = ["AnnotatedDoc", "default_corpus_path", "read_gold", "check_part", "build_corpus", "load_annotated"]

SOURCES = ("news", "weibo", "forum")
SPLITS = ("train", "dev", "test")
_REQUIRED = ("id", "text", "date", "source", "labels")


@dataclass(frozen=True)
class AnnotatedDoc:
    id: str
    text: str
    date: str | None
    city: str | None
    source: str
    outlet: str | None
    labels: dict[str, Any]
    split: str | None = None
    meta: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        row = {"id": self.id, "text": self.text, "date": self.date, "city": self.city, "source": self.source,
               "outlet": self.outlet, "labels": self.labels}
        if self.split:
            row["split"] = self.split
        if self.meta:
            row["meta"] = self.meta
        return row


def default_corpus_path() -> Path:
    """The bundled corpus file (``corpora/data/annotated/corpus.jsonl``)."""
    return Path(str(resources.files("corpora") / "data" / "annotated" / "corpus.jsonl"))


def read_gold(path: str | Path, taxonomy: Taxonomy | None = None, *, strict_source: bool = False) -> Iterator[AnnotatedDoc]:
    """Read gold documents (``id, text, labels`` and optional metadata) from a JSON Lines file.

    Raises:
        InputError: naming the file, line and field of the first bad record and what to fix.
    """
    tax = taxonomy or load_taxonomy()
    p = Path(path)
    if not p.exists():
        raise InputError("gold file not found", path=str(p))
    seen: set[str] = set()
    with p.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg}); each line must be one JSON object",
                                 path=str(p), line=lineno) from None
            if not isinstance(row, dict):
                raise InputError("expected a JSON object", path=str(p), line=lineno)
            for key in ("id", "text", "labels"):
                if key not in row or row[key] in (None, ""):
                    raise InputError("missing required field", path=str(p), line=lineno, field=key)
            doc_id = str(row["id"])
            if doc_id in seen:
                raise InputError(f"duplicate id {doc_id!r}", path=str(p), line=lineno, field="id")
            seen.add(doc_id)
            if strict_source and row.get("source") not in SOURCES:
                raise InputError(f"source must be one of {SOURCES}, got {row.get('source')!r}",
                                 path=str(p), line=lineno, field="source")
            try:
                labels = tax.validate_labels(row["labels"], where=f"{p}:{lineno}")
            except LabelError as exc:
                raise InputError(str(exc)) from None
            yield AnnotatedDoc(id=doc_id, text=str(row["text"]), date=row.get("date"), city=row.get("city"),
                               source=str(row.get("source") or "unknown"), outlet=row.get("outlet"),
                               labels=labels, split=row.get("split"), meta=row.get("meta"))


def check_part(path: str | Path, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """Validate one part file and summarise it (counts per source, label, stance, city, year)."""
    import re

    tax = taxonomy or load_taxonomy()
    docs = list(read_gold(path, tax, strict_source=True))
    counts: Counter[str] = Counter()
    cities: Counter[str] = Counter()
    years: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    lengths = []
    for d in docs:
        if not d.date or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(d.date)):
            raise InputError(f"date must be YYYY-MM-DD, got {d.date!r}", path=str(path), field="date")
        sources[d.source] += 1
        years[str(d.date)[:4]] += 1
        cities[d.city or "(null)"] += 1
        lengths.append(len(d.text))
        for key in _positive_keys(tax, d.labels):
            counts[key] += 1
    return {"docs": len(docs), "sources": dict(sources), "labels": dict(counts),
            "cities": len(cities), "years": dict(sorted(years.items())),
            "mean_chars": round(sum(lengths) / max(len(lengths), 1), 1)}


def _positive_keys(tax: Taxonomy, labels: dict[str, Any]) -> list[str]:
    keys = []
    for f in tax.facets:
        v = labels.get(f.output_key)
        if f.kind.value == "binary":
            keys.append(f.output_key if v else f"not_{f.output_key}")
        elif f.kind.value == "multi_label":
            keys.extend(f.score_key(x) for x in v)
        elif v:
            keys.append(f.score_key(v))
    return keys


def build_corpus(parts_dir: str | Path | None = None, out: str | Path | None = None, *,
                 seed: int = 13, dev_share: float = 0.15, test_share: float = 0.15,
                 reset: bool = False) -> dict[str, int]:
    """Merge the part files, validate them and assign fixed ``train/dev/test`` splits.

    Splits are stratified by each document's rarest positive label (iterative stratification in its
    simplest greedy form), so every label has documents in every split. Documents that already carry a
    split keep it (unless ``reset``), so rebuilding after adding a part never moves an existing document.
    """
    import random

    tax = load_taxonomy()
    base = default_corpus_path().parent
    parts = sorted(Path(parts_dir or base / "parts").glob("*.jsonl"))
    out_path = Path(out or default_corpus_path())
    old: dict[str, str] = {}
    if out_path.exists() and not reset:
        for d in read_gold(out_path, tax):
            if d.split:
                old[d.id] = d.split
    docs: list[AnnotatedDoc] = []
    seen: set[str] = set()
    for part in parts:
        for d in read_gold(part, tax, strict_source=True):
            if d.id in seen:
                raise InputError(f"id {d.id!r} appears in two part files", path=str(part), field="id")
            seen.add(d.id)
            docs.append(d)
    freq = Counter(k for d in docs for k in _positive_keys(tax, d.labels))
    rng = random.Random(seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    # rarest label first, so rare labels get spread before common ones fill the splits
    order.sort(key=lambda i: min((freq[k] for k in _positive_keys(tax, docs[i].labels)), default=10**9))
    want = {"train": 1 - dev_share - test_share, "dev": dev_share, "test": test_share}
    # Iterative stratification (Sechidis et al. 2011, greedy form): documents in order of their rarest
    # label; each goes to the split that still lacks most of that label, ties broken by the split that
    # lacks most documents overall.
    need = {s: {k: want[s] * n for k, n in freq.items()} for s in SPLITS}
    need_docs = {s: want[s] * len(docs) for s in SPLITS}
    assigned: dict[str, str] = {}
    for i in order:
        d = docs[i]
        keys = _positive_keys(tax, d.labels)
        split = old.get(d.id)
        if split is None:
            rarest = min(keys, key=lambda k: freq[k]) if keys else None
            split = max(SPLITS, key=lambda s: (need[s][rarest] if rarest else 0.0, need_docs[s], rng.random()))
        assigned[d.id] = split
        need_docs[split] -= 1
        for k in keys:
            need[split][k] -= 1
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for d in docs:
            row = d.to_json()
            row["split"] = assigned[d.id]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(out_path)
    return dict(Counter(assigned.values()))


def load_annotated(path: str | Path | None = None, *, taxonomy: Taxonomy | None = None,
                   as_pandas: bool = False) -> "datasets.DatasetDict | pd.DataFrame":
    """Load the annotated corpus (bundled by default) for training and evaluation.

    Args:
        path: a corpus JSON Lines file with a ``split`` per document (default: the bundled corpus).
            A file without splits loads as a single ``test`` split (e.g. an exported gold set).
        taxonomy: validate labels against this taxonomy (default: the bundled one).
        as_pandas: return one DataFrame with a ``split`` column instead of a DatasetDict.

    Returns:
        ``DatasetDict`` with ``train``/``dev``/``test``; columns ``id, text, date, city, source,
        outlet, labels`` (``labels`` a JSON string of the label object, to keep the schema flat).
    """
    import pandas as pd

    p = Path(path) if path else default_corpus_path()
    if not p.exists():
        raise InputError("annotated corpus not found; build it with `python -m corpora.annotated build`",
                         path=str(p))
    rows = []
    for d in read_gold(p, taxonomy):
        row = d.to_json()
        row["split"] = d.split or "test"
        rows.append(row)
    df = pd.DataFrame(rows)
    if as_pandas:
        return df
    import datasets

    df = df.assign(labels=df["labels"].map(lambda x: json.dumps(x, ensure_ascii=False)))
    cols = ["id", "text", "date", "city", "source", "outlet", "labels"]
    return datasets.DatasetDict({
        s: datasets.Dataset.from_pandas(df[df["split"] == s][cols].reset_index(drop=True))
        for s in SPLITS if (df["split"] == s).any()
    })


def _main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "check":
        for path in argv[1:]:
            try:
                print(path, json.dumps(check_part(path), ensure_ascii=False, indent=1))
            except InputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        return 0
    if argv and argv[0] == "build":
        print(build_corpus(reset="--reset" in argv))
        return 0
    print("usage: python -m corpora.annotated check PART.jsonl... | build [--reset]", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
