"""The yardstick: TF-IDF over jieba words and character n-grams with one logistic regression per label.

Same model directory (``config.json``, ``model.safetensors`` holding the IDF vectors and coefficients,
``vocab.json`` with the vocabularies, no pickles), same scorer interface and same outputs as the
transformer. Sigmoid keys get one binary regression each (class-balanced); a single-label facet gets one
multinomial regression over its labels plus "none". Gated facets are fitted on gold-relevant documents
only, like the transformer's masked loss.

Example:
    >>> from models.modeldir import load_model            # doctest: +SKIP
    >>> load_model("baseline-model").scorer.score(["外地人素质低"])   # (1, n_keys)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from models.layout import LabelLayout
from models.progress import Reporter

__all__ = ["BaselineScorer", "fit_baseline"]

_WORD = {"ngram_range": [1, 2], "min_df": 2, "max_features": 60000}
_CHAR = {"ngram_range": [1, 3], "min_df": 2, "max_features": 120000}


def _segmenter() -> Any:
    from nlp.segment import Segmenter

    return Segmenter()


class _Tfidf:
    """Sublinear TF × IDF with L2 normalisation over a fixed vocabulary (rebuilt from saved arrays)."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, *, analyzer: str, ngram_range: Sequence[int]) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.vocabulary, self.idf = vocabulary, np.asarray(idf, dtype=np.float64)
        kw: dict[str, Any] = {"vocabulary": vocabulary, "ngram_range": tuple(ngram_range), "lowercase": False}
        if analyzer == "word":
            kw.update(tokenizer=str.split, token_pattern=None)
        else:
            kw.update(analyzer="char")
        self.counter = CountVectorizer(**kw)

    def transform(self, docs: Sequence[str]) -> Any:
        from sklearn.preprocessing import normalize

        x = self.counter.transform(docs).astype(np.float64)
        x.data = 1.0 + np.log(x.data)
        x = x.multiply(self.idf).tocsr()
        return normalize(x)


class BaselineScorer:
    """Probabilities per score key from TF-IDF features and linear models.

    Args:
        layout: the taxonomy's column layout.
        word, char: the two TF-IDF feature maps.
        weights: ``{facet_id: (coef (n_out, n_features), intercept (n_out,))}``.
    """

    kind = "baseline"
    backend = "sklearn"

    def __init__(self, layout: LabelLayout, word: _Tfidf, char: _Tfidf,
                 weights: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.layout, self.word, self.char, self.weights = layout, word, char, weights
        self._seg = None

    def features(self, texts: Sequence[str]) -> Any:
        """Sparse features ``(n_docs, n_word + n_char)``."""
        from scipy.sparse import hstack

        if self._seg is None:
            self._seg = _segmenter()
        words = [" ".join(t for t in toks if t.strip()) for toks in self._seg.cut_many(list(texts))]
        return hstack([self.word.transform(words), self.char.transform(list(texts))]).tocsr()

    def score(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None,
              chunk: int = 2048) -> np.ndarray:
        """Probabilities ``(n_docs, n_keys)`` in ``layout.keys`` order."""
        out = np.zeros((len(texts), self.layout.n_keys), dtype=np.float64)
        for start in range(0, len(texts), chunk):
            part = list(texts[start: start + chunk])
            x = self.features(part)
            for h in self.layout.heads:
                coef, icpt = self.weights[h.facet.id]
                z = np.asarray(x @ coef.T) + icpt
                if h.softmax:
                    z = z - z.max(axis=1, keepdims=True)
                    p = np.exp(z)
                    p /= p.sum(axis=1, keepdims=True)
                    out[start: start + len(part), list(h.columns)] = p[:, : len(h.columns)]
                else:
                    out[start: start + len(part), list(h.columns)] = 1.0 / (1.0 + np.exp(-z))
            if progress is not None:
                progress(len(part))
        return out

    def save(self, out_dir: Path) -> dict[str, Any]:
        """Write ``model.safetensors`` and ``vocab.json``; return the ``config.json`` fields."""
        from safetensors.numpy import save_file

        tensors = {"word.idf": self.word.idf.astype(np.float32), "char.idf": self.char.idf.astype(np.float32)}
        for fid, (coef, icpt) in self.weights.items():
            tensors[f"{fid}.coef"] = np.ascontiguousarray(coef, dtype=np.float32)
            tensors[f"{fid}.intercept"] = np.ascontiguousarray(icpt, dtype=np.float32)
        save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "np", "stigmascope": "1"})
        (out_dir / "vocab.json").write_text(json.dumps({"word": self.word.vocabulary, "char": self.char.vocabulary},
                                                       ensure_ascii=False), encoding="utf-8")
        return {"kind": "baseline", "features": {"word": _WORD, "char": _CHAR, "segmenter": "nlp.segment.Segmenter"}}

    @classmethod
    def load(cls, model_dir: Path, config: dict[str, Any], layout: LabelLayout) -> "BaselineScorer":
        """Rebuild from a validated model directory."""
        from safetensors.numpy import load_file

        from stigmascope.errors import ModelError

        try:
            vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
            t = load_file(str(model_dir / "model.safetensors"))
            feats = config["features"]
            word = _Tfidf(vocab["word"], t["word.idf"], analyzer="word", ngram_range=feats["word"]["ngram_range"])
            char = _Tfidf(vocab["char"], t["char.idf"], analyzer="char", ngram_range=feats["char"]["ngram_range"])
            weights = {h.facet.id: (t[f"{h.facet.id}.coef"], t[f"{h.facet.id}.intercept"]) for h in layout.heads}
        except (KeyError, ValueError, json.JSONDecodeError, OSError) as exc:
            raise ModelError(f"{model_dir}: baseline files do not fit together ({exc}); retrain with "
                             "`stigmascope train --preset baseline --out DIR`") from None
        n_feat = len(word.idf) + len(char.idf)
        for h in layout.heads:
            if weights[h.facet.id][0].shape != (h.n_out, n_feat):
                raise ModelError(f"{model_dir}/model.safetensors: weights of facet {h.facet.id!r} have the wrong "
                                 "shape for vocab.json; retrain the baseline")
        return cls(layout, word, char, weights)


def fit_baseline(data: dict[str, Any], layout: LabelLayout, cfg: Any, staging: Path, rep: Reporter) -> dict[str, Any]:
    """Fit the TF-IDF features and the logistic regressions on the train split; save into ``staging``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tr = data["train"]
    seg = _segmenter()
    words = [" ".join(t for t in toks if t.strip()) for toks in seg.cut_many(tr.texts)]
    min_df = 2 if len(tr) >= 50 else 1
    wv = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, sublinear_tf=True,
                         ngram_range=tuple(_WORD["ngram_range"]), min_df=min_df, max_features=_WORD["max_features"])
    cv = TfidfVectorizer(analyzer="char", lowercase=False, sublinear_tf=True, ngram_range=tuple(_CHAR["ngram_range"]),
                         min_df=min_df, max_features=_CHAR["max_features"])
    wv.fit(words)
    cv.fit(tr.texts)
    word = _Tfidf({k: int(v) for k, v in wv.vocabulary_.items()}, wv.idf_, analyzer="word",
                  ngram_range=_WORD["ngram_range"])
    char = _Tfidf({k: int(v) for k, v in cv.vocabulary_.items()}, cv.idf_, analyzer="char",
                  ngram_range=_CHAR["ngram_range"])
    scorer = BaselineScorer(layout, word, char, {})
    scorer._seg = seg
    x = scorer.features(tr.texts)
    n_feat = x.shape[1]
    weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with rep.task("fitting logistic regressions", len(layout.heads)) as advance:
        for h in layout.heads:
            rows = tr.mask[:, h.columns[0]]
            xs = x[rows]
            coef = np.zeros((h.n_out, n_feat), dtype=np.float64)
            icpt = np.full(h.n_out, -12.0)
            if h.softmax:
                target = layout.softmax_targets(tr.y[rows], h)
                classes = np.unique(target)
                if len(classes) == 1:
                    icpt[classes[0]] = 12.0
                else:
                    lr = LogisticRegression(C=cfg.c, class_weight="balanced", max_iter=3000)
                    lr.fit(xs, target)
                    if len(classes) == 2:  # sklearn keeps one row for two classes
                        coef[classes[1]], icpt[classes[1]] = lr.coef_[0], lr.intercept_[0]
                        icpt[classes[0]] = 0.0
                    else:
                        coef[classes], icpt[classes] = lr.coef_, lr.intercept_
            else:
                for j, c in enumerate(h.columns):
                    yk = tr.y[rows, c]
                    if yk.min() == yk.max():
                        icpt[j] = 12.0 if yk.max() > 0 else -12.0
                        continue
                    lr = LogisticRegression(C=cfg.c, class_weight="balanced", solver="liblinear", max_iter=2000)
                    lr.fit(xs, yk)
                    coef[j], icpt[j] = lr.coef_[0], lr.intercept_[0]
            weights[h.facet.id] = (coef.astype(np.float32), icpt.astype(np.float32))
            advance(1)
    scorer.weights = weights
    return scorer.save(staging)
