"""Measure the bundled annotated corpus and write its datasheet tables.

``python -m corpora.datasheet`` prints (and with ``--write`` splices into ``DATASHEET.md`` between the
``<!-- figures:begin -->`` / ``<!-- figures:end -->`` markers) the counts per label, source, split, city
and year, and three diversity figures:

* **near-duplicate rate** — the share of documents the project's own ingestion dedup (exact hash plus
  MinHash/LSH, :mod:`corpora.dedup`) folds into another document;
* **distinct-bigram ratio** — distinct character bigrams / all character bigrams over the corpus
  (higher = less repetitive wording), per source as well;
* **cue-word share** — for each label, the share of its positive documents that contain one of the
  label's cue words from the taxonomy (low means the label must be learnt from context, not keywords).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from corpora.annotated import AnnotatedDoc, _positive_keys, default_corpus_path, read_gold
from models.taxonomy import FacetKind, Taxonomy, load_taxonomy

__all__ = ["measure_corpus", "render_markdown"]

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _bigrams(text: str) -> list[str]:
    chars = [c for c in text if not c.isspace()]
    return [a + b for a, b in zip(chars, chars[1:])]


def near_duplicate_rate(docs: list[AnnotatedDoc]) -> dict[str, Any]:
    """Ingest the texts into a scratch store with the project's dedup and count what it folds."""
    from corpora.ingest import ingest_paths

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "texts.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps({"id": d.id, "text": d.text, "date": d.date}, ensure_ascii=False) + "\n")
        rep = ingest_paths([src], db=Path(tmp) / "scratch.duckdb", field_map="id=id,text=text,date=date")
    folded = rep.exact_dups + rep.near_dups
    return {"documents": len(docs), "stored": rep.stored, "exact_dups": rep.exact_dups,
            "near_dups": rep.near_dups, "rate": folded / max(len(docs), 1)}


def cue_word_share(docs: list[AnnotatedDoc], tax: Taxonomy) -> dict[str, dict[str, float]]:
    """Per score key: positives, how many contain one of the label's cue words, and the share."""
    cues = tax.cue_words()
    out: dict[str, dict[str, float]] = {}
    for key, words in cues.items():
        pos = [d for d in docs if key in _positive_keys(tax, d.labels)]
        hit = sum(1 for d in pos if any(w in d.text for w in words))
        out[key] = {"positives": len(pos), "with_cue": hit, "share": hit / len(pos) if pos else 0.0}
    return out


def measure_corpus(path: str | Path | None = None, *, dedup: bool = True) -> dict[str, Any]:
    """All datasheet figures for a corpus file (default: the bundled corpus)."""
    tax = load_taxonomy()
    docs = list(read_gold(path or default_corpus_path(), tax))
    labels: Counter[str] = Counter()
    by_split: dict[str, Counter[str]] = {}
    n_labels = Counter()
    for d in docs:
        keys = _positive_keys(tax, d.labels)
        labels.update(keys)
        by_split.setdefault(d.split or "none", Counter()).update(keys)
        if d.labels.get(tax.gate.output_key if tax.gate else ""):
            content = [k for k in keys if not k.startswith(("stance.", "relevant", "not_"))]
            n_labels[min(len(content), 4)] += 1
    bigrams_all: list[str] = []
    per_source: dict[str, tuple[int, set[str]]] = {}
    for d in docs:
        bg = _bigrams(d.text)
        bigrams_all.extend(bg)
        n, s = per_source.get(d.source, (0, set()))
        per_source[d.source] = (n + len(bg), s | set(bg))
    lengths = sorted(len(d.text) for d in docs)
    stances = {f"stance.{lab.id}": labels.get(f"stance.{lab.id}", 0)
               for f in tax.facets if f.kind is FacetKind.single_label for lab in f.labels}
    figures: dict[str, Any] = {
        "documents": len(docs),
        "sources": dict(Counter(d.source for d in docs)),
        "splits": dict(Counter(d.split or "none" for d in docs)),
        "labels": {k: labels.get(k, 0) for k in ["relevant", "not_relevant"] + tax.score_keys()[1:]},
        "labels_by_split": {s: dict(c) for s, c in by_split.items()},
        "content_labels_per_relevant_doc": {str(k) if k < 4 else "4+": v for k, v in sorted(n_labels.items())},
        "stances": stances,
        "cities": dict(Counter(d.city or "(null: from text)" for d in docs).most_common()),
        "n_cities": len({d.city for d in docs if d.city}),
        "null_city_share": sum(1 for d in docs if not d.city) / max(len(docs), 1),
        "years": dict(sorted(Counter(str(d.date)[:4] for d in docs).items())),
        "length_chars": {"min": lengths[0], "median": lengths[len(lengths) // 2], "mean": round(sum(lengths) / len(lengths), 1),
                         "p90": lengths[int(len(lengths) * 0.9)], "max": lengths[-1]} if lengths else {},
        "distinct_bigram_ratio": len(set(bigrams_all)) / max(len(bigrams_all), 1),
        "distinct_bigram_ratio_by_source": {s: len(b) / max(n, 1) for s, (n, b) in sorted(per_source.items())},
        "cue_word_share": cue_word_share(docs, tax),
    }
    if dedup:
        figures["near_duplicates"] = near_duplicate_rate(docs)
    return figures


def _table(rows: list[tuple], headers: tuple[str, ...]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_markdown(fig: dict[str, Any]) -> str:
    """The datasheet's figures section as Markdown tables."""
    parts = [f"Documents: **{fig['documents']}**. Splits: " + ", ".join(f"{k} {v}" for k, v in fig["splits"].items()) + "."]
    parts.append("### Labels (documents per label, by split)\n")
    splits = ["train", "dev", "test"]
    parts.append(_table([(k, v, *(fig["labels_by_split"].get(s, {}).get(k, 0) for s in splits))
                         for k, v in fig["labels"].items()], ("label", "all", *splits)))
    parts.append("\nContent labels (stereotype/exclusion/practice) per relevant document: "
                 + ", ".join(f"{k}: {v}" for k, v in fig["content_labels_per_relevant_doc"].items()) + ".")
    parts.append("\n### Sources\n")
    parts.append(_table(sorted(fig["sources"].items()), ("source", "documents")))
    parts.append("\n### Years\n")
    parts.append(_table(list(fig["years"].items()), ("year", "documents")))
    top = list(fig["cities"].items())[:40]
    parts.append(f"\n### Cities ({fig['n_cities']} cities; city field null in {fig['null_city_share']:.0%} of documents)\n")
    parts.append(_table(top, ("city (top 40)", "documents")))
    L = fig["length_chars"]
    parts.append(f"\nLength in characters: min {L['min']}, median {L['median']}, mean {L['mean']}, p90 {L['p90']}, max {L['max']}.")
    parts.append("\n### Diversity\n")
    nd = fig.get("near_duplicates")
    if nd:
        parts.append(f"- Near-duplicate rate (project dedup: exact {nd['exact_dups']}, near {nd['near_dups']} of "
                     f"{nd['documents']}): **{nd['rate']:.2%}**")
    parts.append(f"- Distinct character-bigram ratio: **{fig['distinct_bigram_ratio']:.3f}** (by source: "
                 + ", ".join(f"{s} {v:.3f}" for s, v in fig["distinct_bigram_ratio_by_source"].items()) + ")")
    cw = fig["cue_word_share"]
    pos = sum(v["positives"] for v in cw.values())
    hit = sum(v["with_cue"] for v in cw.values())
    parts.append(f"- Share of a label's positive documents that contain one of its listed cue words: **{hit / max(pos, 1):.1%}** overall\n")
    parts.append(_table([(k, int(v["positives"]), int(v["with_cue"]), f"{v['share']:.0%}") for k, v in cw.items()],
                        ("label", "positives", "with a cue word", "share")))
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--write", action="store_true", help="splice the figures into DATASHEET.md")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    fig = measure_corpus(args.corpus)
    md = render_markdown(fig)
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write:
        sheet = default_corpus_path().parent / "DATASHEET.md"
        text = sheet.read_text(encoding="utf-8")
        begin, end = "<!-- figures:begin -->", "<!-- figures:end -->"
        if begin not in text or end not in text:
            raise SystemExit(f"{sheet}: markers {begin} / {end} not found")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        sheet.write_text(head + begin + "\n" + md + end + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
