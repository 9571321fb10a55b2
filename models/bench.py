"""Inference throughput of the engine against a plain ``transformers.pipeline`` on real Chinese text.

Measured in one run, on the same model and texts:
- (a) news: the 311 CCTV news items that mention migrant terms (long texts);
- (b) titles: a seeded sample of Weibo hot-search titles (short texts, almost none relevant).

Baseline: ``pipeline("feature-extraction")`` over the model's own encoder (one text at a time,
truncated at 512 tokens, the model's own pooling) + the same heads — the obvious way to run the model. Engine:
``models.infer.Engine`` (cascade, focus, length-bucketed batches, each backend). Reports docs/s, the
ratio to the pipeline, the largest score difference of each backend against fp32 PyTorch on the same
documents, the share of decisions that differ, and the peak resident memory of the process.

Run: ``python -m models.bench [--model DIR] [--titles 20000]`` (``make bench``). The pipeline is timed
on a subsample of titles (``--pipeline-titles``) — docs/s is what is compared.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main"]

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def _load_news(limit: int | None) -> list[dict[str, Any]]:
    path = REAL / "xinwenlianbo_cctv" / "items_migrant_term_hits.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            r = json.loads(line)
            text = str(r.get("text") or "").replace("<!--repaste.body.begin-->", "").replace("<!--repaste.body.end-->", "").strip()
            rows.append({"id": f"news-{i}", "text": text, "date": f"{r['date'][:4]}-{r['date'][4:6]}-{r['date'][6:8]}"})
    return rows[:limit] if limit else rows


def _load_titles(n: int, seed: int) -> list[dict[str, Any]]:
    path = REAL / "weibo_hot_search" / "titles_unique_by_day.tsv"
    with path.open(encoding="utf-8") as fh:
        next(fh)
        lines = [ln.rstrip("\n").split("\t", 1) for ln in fh if "\t" in ln]
    pick = random.Random(seed).sample(range(len(lines)), min(n, len(lines)))
    return [{"id": f"title-{i}", "text": lines[i][1], "date": lines[i][0]} for i in sorted(pick)]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pipeline_class() -> Any:
    """``FeatureExtractionPipeline`` that returns the model's pooled embedding (its layers, mean pooling)."""
    from transformers.pipelines import FeatureExtractionPipeline

    class PooledFeatures(FeatureExtractionPipeline):
        layers: list[int] | None = None

        def _forward(self, model_inputs):  # noqa: ANN001, ANN202
            out = self.model(**model_inputs, output_hidden_states=bool(self.layers))
            return {"states": [out.hidden_states[i] for i in self.layers] if self.layers else [out[0]],
                    "mask": model_inputs["attention_mask"]}

        def postprocess(self, model_outputs, return_tensors=False):  # noqa: ANN001, ANN202
            from models.heads import mean_pool

            parts = [mean_pool(h, model_outputs["mask"]) for h in model_outputs["states"]]
            return parts[0] if len(parts) == 1 else __import__("torch").cat(parts, dim=-1)

    return PooledFeatures


def _pipeline_scores(model: Any, texts: list[str]) -> tuple[float, np.ndarray]:
    """Plain feature-extraction pipeline, one text at a time (the model's pooling), + the same heads."""
    import torch
    from transformers import pipeline

    from models.encode import max_positions
    from models.heads import logits_to_probs

    de = model.scorer.doc_encoder
    limit = min(512, max_positions(de.encoder))
    cls = _pipeline_class()
    cls.layers = de.layers
    pipe = pipeline("feature-extraction", model=de.encoder, tokenizer=de.tokenizer, device="cpu",
                    pipeline_class=cls, tokenize_kwargs={"truncation": True, "max_length": limit})
    prefix = de.spec.prefix
    t0 = time.perf_counter()
    out = np.zeros((len(texts), model.layout.n_keys))
    for i, t in enumerate(texts):
        emb = pipe(prefix + t)  # (1, hidden × n_layers)
        with torch.inference_mode():
            out[i] = logits_to_probs(model.scorer.heads(emb), model.layout).numpy()[0]
    return time.perf_counter() - t0, out


def _engine_run(model_dir: Path, backend: str, docs: list[dict[str, Any]], *, cascade: bool = True,
                evidence: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from models.infer import Engine, InferConfig

    t0 = time.perf_counter()
    eng = Engine.load(model_dir, InferConfig(backend=backend, cascade=cascade, evidence=evidence))
    eng.classify_chunk(docs[:4])  # warm-up (first call allocates)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = list(eng.classify(docs))
    sec = time.perf_counter() - t0
    scored = sum(1 for r in rows if r["skip_reason"] is None)
    return {"backend": backend, "cascade": cascade, "evidence": evidence, "seconds": round(sec, 2),
            "docs_per_s": round(len(docs) / sec, 1), "scored": scored, "load_s": round(load_s, 1)}, rows


def _compare(rows: list[dict[str, Any]], ref: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    diffs, flips, n = [], 0, 0
    for a, b in zip(rows, ref):
        if not a["scores"] or not b["scores"]:
            continue
        va = np.array([a["scores"][k] for k in keys])
        vb = np.array([b["scores"][k] for k in keys])
        diffs.append(np.abs(va - vb).max())
        n += 1
        flips += int(any(a.get(f) != b.get(f) for f in a if f not in ("scores", "evidence")))
    return {"max_score_diff": round(float(max(diffs)), 4) if diffs else None,
            "mean_max_diff": round(float(np.mean(diffs)), 4) if diffs else None,
            "docs_with_changed_labels": flips, "docs_compared": n}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a table, return the figures."""
    ap = argparse.ArgumentParser(prog="python -m models.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="model directory (default: the default model)")
    ap.add_argument("--titles", type=int, default=20000)
    ap.add_argument("--pipeline-titles", type=int, default=1500)
    ap.add_argument("--news", type=int, default=0, help="news items (0: all 311)")
    ap.add_argument("--backends", default="torch,torch-bf16,torch-int8,onnx,onnx-int8")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    if not REAL.is_dir():
        print(f"bench needs {REAL} (real text for measurement); not present — skipped")
        return {"skipped": True}
    from models.backends import available_threads, set_threads
    from models.modeldir import load_model

    threads = set_threads()
    if args.model is None:
        from models.default_model import ensure_default_model

        args.model = ensure_default_model()
    news = _load_news(args.news or None)
    titles = _load_titles(args.titles, args.seed)
    fp32 = load_model(args.model, backend="torch")
    keys = fp32.layout.keys
    res: dict[str, Any] = {"model": fp32.model_id, "threads": threads, "cores": available_threads(),
                           "news_docs": len(news), "titles": len(titles),
                           "news_mean_chars": round(float(np.mean([len(d["text"]) for d in news])), 1)}
    # plain pipeline
    pt = titles[: args.pipeline_titles]
    sec_a, _ = _pipeline_scores(fp32, [d["text"] for d in news])
    sec_b, _ = _pipeline_scores(fp32, [d["text"] for d in pt])
    res["pipeline"] = {"news_docs_per_s": round(len(news) / sec_a, 2), "news_seconds": round(sec_a, 1),
                       "titles_docs_per_s": round(len(pt) / sec_b, 1), "titles_timed": len(pt),
                       "titles_seconds": round(sec_b, 1)}
    del fp32
    # engine, each backend
    runs: list[dict[str, Any]] = []
    ref_news: list[dict[str, Any]] | None = None
    for be in [b.strip() for b in args.backends.split(",") if b.strip()]:
        a, rows_a = _engine_run(args.model, be, news)
        b, _ = _engine_run(args.model, be, titles)
        if ref_news is None:
            ref_news = rows_a
        cmp = _compare(rows_a, ref_news, keys)
        runs.append({"backend": be, "news_docs_per_s": a["docs_per_s"], "news_scored": a["scored"],
                     "news_ratio": round(a["docs_per_s"] / res["pipeline"]["news_docs_per_s"], 1),
                     "titles_docs_per_s": b["docs_per_s"], "titles_scored": b["scored"],
                     "titles_ratio": round(b["docs_per_s"] / res["pipeline"]["titles_docs_per_s"], 1),
                     "vs_torch_fp32": cmp, "load_s": a["load_s"]})
    res["engine"] = runs
    best = max(runs, key=lambda r: r["news_docs_per_s"])
    # what the cascade and evidence cost / save, with the fastest backend
    nc, _ = _engine_run(args.model, best["backend"], pt, cascade=False)
    ev, _ = _engine_run(args.model, best["backend"], news, evidence=True)
    res["titles_without_cascade_docs_per_s"] = nc["docs_per_s"]
    res["news_with_evidence_docs_per_s"] = ev["docs_per_s"]
    res["fastest_backend"] = best["backend"]
    res["peak_rss_mb"] = round(_peak_mb(), 0)
    _print(res)
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return res


def _print(res: dict[str, Any]) -> None:
    p = res["pipeline"]
    print(f"model {res['model']}, {res['threads']} threads; news {res['news_docs']} docs "
          f"(mean {res['news_mean_chars']} chars), titles {res['titles']}")
    print(f"{'runner':<26}{'news docs/s':>12}{'ratio':>8}{'titles docs/s':>15}{'ratio':>8}{'max|Δp|':>9}{'changed':>9}")
    print(f"{'transformers.pipeline':<26}{p['news_docs_per_s']:>12}{'1.0':>8}{p['titles_docs_per_s']:>15}{'1.0':>8}")
    for r in res["engine"]:
        c = r["vs_torch_fp32"]
        print(f"{'engine ' + r['backend']:<26}{r['news_docs_per_s']:>12}{r['news_ratio']:>8}{r['titles_docs_per_s']:>15}"
              f"{r['titles_ratio']:>8}{c['max_score_diff'] if c['max_score_diff'] is not None else '-':>9}"
              f"{c['docs_with_changed_labels']:>6}/{c['docs_compared']}")
    print(f"titles without the cascade ({res['fastest_backend']}): {res['titles_without_cascade_docs_per_s']} docs/s; "
          f"news with evidence: {res['news_with_evidence_docs_per_s']} docs/s; peak RSS {res['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":  # pragma: no cover
    main()
