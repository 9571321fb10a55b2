"""Benchmarks of the NLP layer: segmentation speed and jieba parity, spaCy throughput, prefilter recall.

Run ``python -m nlp.bench`` (or ``make bench``). It reads the real text in ``../shared/data/real`` (news
transcripts, Weibo hot-search titles, Weibo posts) for measurement only, and the bundled annotated
corpus for prefilter recall. Figures:

* segmentation MB/s of plain ``jieba.Tokenizer.lcut`` (same dictionary) and of :class:`Segmenter` with
  the rjieba backend, one call per document and batched (``cut_many``), on one core (CPU seconds of
  this process), measured in interleaved chunks of the same run; the ratio; token mismatches against
  jieba on every news item, every news line and every hot-search title;
* spaCy pipeline docs/s with and without the span components;
* prefilter recall on the relevant documents of the bundled corpus (per split) and pass-through
  rate on the hot-search titles, news items and Weibo posts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

_DEFAULT_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def _load_news(real: Path, limit: int | None) -> list[str]:
    out = []
    with open(real / "xinwenlianbo_cctv" / "items.jsonl", encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if limit and len(out) >= limit:
                break
    return out


def _load_hot(real: Path, limit: int | None) -> list[str]:
    out = []
    with open(real / "weibo_hot_search" / "titles_unique_by_day.tsv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            out.append(line.rstrip("\n").split("\t", 1)[1])
            if limit and len(out) >= limit:
                break
    return out


def _load_weibo(real: Path) -> list[str]:
    out = []
    with open(real / "ced_weibo_rumor" / "original_microblogs.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line).get("record") or {}
            text = rec.get("text") or ""
            if text:
                out.append(text)
    return out


def _mb(texts: Sequence[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn``; return its result and the CPU seconds this process spent (all of it single-threaded).

    CPU time rather than wall time: the benchmark machine is shared, and wall time then measures the
    neighbours as much as the code.
    """
    t0 = time.process_time()
    result = fn()
    return result, time.process_time() - t0


def bench_segmentation(news: list[str], hot: list[str], *, chunks: int = 8) -> dict[str, Any]:
    """Speed and parity of the rjieba backend against plain jieba with the same dictionary."""
    import jieba
    import rjieba

    from nlp.backends import _quiet_jieba
    from nlp.segment import Segmenter, SegmenterConfig

    fast = Segmenter(SegmenterConfig(backend="rjieba"))
    ref = jieba.Tokenizer()  # plain jieba with the same dictionary: jieba.lcut semantics
    with _quiet_jieba():
        ref.initialize()
    for e in fast.entries:
        ref.add_word(e.word, e.freq, e.tag)
    raw_rjieba = rjieba.Jieba()  # no fixes and no domain words: the library's own speed, for reference
    for e in fast.entries:
        raw_rjieba.add_word(e.word, e.freq, e.tag or "")

    size = max(1, len(news) // chunks)
    t = {"jieba": 0.0, "rjieba_raw": 0.0, "seg_cut": 0.0, "seg_cut_many": 0.0}
    ref_out: list[list[str]] = []
    cut_out: list[list[str]] = []
    many_out: list[list[str]] = []
    for i in range(0, len(news), size):
        part = news[i:i + size]
        r, dt = _timed(lambda part=part: [ref.lcut(x) for x in part])
        ref_out += r
        t["jieba"] += dt
        _, dt = _timed(lambda part=part: [raw_rjieba.cut(x) for x in part])
        t["rjieba_raw"] += dt
        r, dt = _timed(lambda part=part: [fast.cut(x) for x in part])
        cut_out += r
        t["seg_cut"] += dt
        r, dt = _timed(lambda part=part: fast.cut_many(part))
        many_out += r
        t["seg_cut_many"] += dt
    mb = _mb(news)
    lines = [ln for x in news for ln in x.split("\n") if ln]
    line_mismatch = sum(a != b for a, b in zip((ref.lcut(x) for x in lines), fast.cut_many(lines)))
    hot_ref, t_hot_ref = _timed(lambda: [ref.lcut(x) for x in hot])
    hot_fast, t_hot_fast = _timed(lambda: fast.cut_many(hot))
    hot_bad = [i for i, (a, b) in enumerate(zip(hot_ref, hot_fast)) if a != b]
    return {
        "news_items": len(news), "news_mb": round(mb, 2),
        "jieba_mb_s": round(mb / t["jieba"], 2),
        "rjieba_raw_mb_s": round(mb / t["rjieba_raw"], 2),
        "segmenter_cut_mb_s": round(mb / t["seg_cut"], 2),
        "segmenter_cut_many_mb_s": round(mb / t["seg_cut_many"], 2),
        "ratio_cut_vs_jieba": round(t["jieba"] / t["seg_cut"], 2),
        "ratio_cut_many_vs_jieba": round(t["jieba"] / t["seg_cut_many"], 2),
        "news_item_mismatches": sum(a != b for a, b in zip(ref_out, cut_out)),
        "news_item_mismatches_batched": sum(a != b for a, b in zip(ref_out, many_out)),
        "news_lines": len(lines), "news_line_mismatches": line_mismatch,
        "hot_titles": len(hot), "hot_title_mismatches": len(hot_bad),
        "hot_ratio_vs_jieba": round(t_hot_ref / t_hot_fast, 2) if t_hot_fast else None,
        "hot_mismatch_examples": [(hot[i], hot_ref[i], hot_fast[i]) for i in hot_bad[:5]],
    }


def bench_spacy(corpora: dict[str, list[str]], *, batch_size: int = 256) -> dict[str, Any]:
    """docs/s of the spaCy pipeline with and without the span components, per corpus."""
    from nlp.pipeline import build_pipeline

    out: dict[str, Any] = {}
    pipes = {name: build_pipeline(matchers=matchers)
             for name, matchers in (("tokenizer_only", False), ("with_matchers", True))}
    for nlp in pipes.values():
        nlp("预热")  # build the segmenter outside the timing
    for corpus, texts in corpora.items():
        out[f"{corpus}_docs"] = len(texts)
        for name, nlp in pipes.items():
            _, dt = _timed(lambda nlp=nlp, texts=texts: sum(1 for _ in nlp.pipe(texts, batch_size=batch_size)))
            out[f"{corpus}_{name}_docs_s"] = round(len(texts) / dt, 1)
    return out


def bench_prefilter(hot: list[str], news: list[str], weibo: list[str]) -> dict[str, Any]:
    """Prefilter recall on the bundled corpus and pass-through rates on real streams."""
    from nlp.prefilter import Prefilter
    from stigmascope.errors import StigmascopeError

    pf = Prefilter.default()
    out: dict[str, Any] = {"terms": len(pf.terms), "surface_forms": len(pf.variants)}
    try:
        from corpora.annotated import load_annotated

        df = load_annotated(as_pandas=True)
        rel = df[df["labels"].map(lambda labels: bool(labels.get("relevant")))]
        passed = pf.passes_many(rel["text"])
        out["corpus_relevant_docs"] = len(rel)
        out["corpus_recall"] = round(sum(passed) / len(rel), 4) if len(rel) else None
        for split in ("train", "dev", "test"):
            mask = (rel["split"] == split).to_numpy()
            n = int(mask.sum())
            if n:
                out[f"recall_{split}"] = round(sum(p for p, m in zip(passed, mask) if m) / n, 4)
        nonrel = df[~df.index.isin(rel.index)]
        out["corpus_not_relevant_docs"] = len(nonrel)
        out["corpus_not_relevant_pass_rate"] = (round(sum(pf.passes_many(nonrel["text"])) / len(nonrel), 4)
                                                if len(nonrel) else None)
    except (StigmascopeError, OSError, ValueError, KeyError) as exc:  # corpus not built / mid-rewrite: report
        out["corpus_error"] = str(exc)
    for name, texts in (("hot", hot), ("news", news), ("weibo", weibo)):
        if texts:
            flags, dt = _timed(lambda texts=texts: pf.passes_many(texts))
            out[f"{name}_pass_rate"] = round(sum(flags) / len(texts), 4)
            out[f"{name}_mb_s"] = round(_mb(texts) / dt, 1)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmarks, print a short table, return the figures."""
    ap = argparse.ArgumentParser(prog="python -m nlp.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--real-dir", type=Path, default=_DEFAULT_REAL, help="folder of the real measurement text")
    ap.add_argument("--news", type=int, default=None, help="use only the first N news items")
    ap.add_argument("--hot", type=int, default=None, help="use only the first N hot-search titles")
    ap.add_argument("--spacy-docs", type=int, default=3000,
                    help="news items (and 10× as many hot-search titles) for the spaCy throughput")
    ap.add_argument("--skip", nargs="*", default=[], choices=["segmentation", "spacy", "prefilter"])
    args = ap.parse_args(argv)
    real: Path = args.real_dir
    results: dict[str, Any] = {"real_dir": str(real)}
    if not (real / "xinwenlianbo_cctv" / "items.jsonl").is_file():
        results["error"] = f"{real}: real measurement text not found (a user's clone has no shared/ folder)"
        print(results["error"])
        return results
    news = _load_news(real, args.news)
    hot = _load_hot(real, args.hot)
    weibo = _load_weibo(real)
    if "segmentation" not in args.skip:
        results["segmentation"] = bench_segmentation(news, hot)
    if "spacy" not in args.skip:
        results["spacy"] = bench_spacy({"news": news[: args.spacy_docs], "hot": hot[: 10 * args.spacy_docs]})
    if "prefilter" not in args.skip:
        results["prefilter"] = bench_prefilter(hot, news, weibo)
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    for section in ("segmentation", "spacy", "prefilter"):
        if section not in results:
            continue
        print(f"== nlp {section}")
        for key, value in results[section].items():
            if key.endswith("examples"):
                for ex in value:
                    print(f"   {key[:-9]}: {ex[0]!r}\n      jieba  {ex[1]}\n      rjieba {ex[2]}")
                continue
            print(f"   {key:32s} {value}")


if __name__ == "__main__":  # pragma: no cover
    main()
