"""Evidence for predicted labels: lexicon cue spans and model-based attribution by occlusion.

For each predicted label of a relevant document:
- ``lexicon``: spans where the label's cue words occur (``nlp.spans.CueMatcher``);
- ``occlusion``: the text is cut into at most ``units`` contiguous pieces (sentences for longer texts,
  words for short ones); each piece is removed in turn and the document re-scored; the piece whose
  removal lowers the label's score most is its evidence (kept when the drop reaches ``min_drop``).

Cost is bounded: only relevant documents, only predicted labels, at most ``units`` extra (batched)
scorings per document — so evidence costs at most ``units`` times the scoring of relevant documents.

Example:
    >>> group_units([(0, 2), (2, 4), (4, 6), (6, 8)], 2)
    [(0, 4), (4, 8)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["EvidenceConfig", "EvidenceFinder", "group_units"]


@dataclass(frozen=True)
class EvidenceConfig:
    """Evidence settings.

    Attributes:
        units: most occlusion pieces per document (extra scorings per document).
        word_level_max_chars: texts up to this length are occluded word by word, longer ones by sentence.
        min_drop: smallest score drop that counts as evidence.
        max_lexicon_spans: lexicon spans kept per label.
    """

    units: int = 8
    word_level_max_chars: int = 80
    min_drop: float = 0.02
    max_lexicon_spans: int = 3

    def __post_init__(self) -> None:
        if self.units < 2:
            raise ValueError(f"evidence units must be >= 2, got {self.units}")
        if not 0 <= self.min_drop < 1:
            raise ValueError("min_drop must be in [0, 1)")


def group_units(spans: Sequence[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Merge consecutive spans into at most ``n`` contiguous groups of similar length."""
    spans = [s for s in spans if s[1] > s[0]]
    if len(spans) <= n:
        return list(spans)
    origin, total = spans[0][0], spans[-1][1] - spans[0][0]
    groups: list[tuple[int, int]] = []
    start, k = spans[0][0], 1
    for i, (_, e) in enumerate(spans):
        if i == len(spans) - 1:
            groups.append((start, e))
            break
        left_spans = len(spans) - i - 1
        left_groups = n - len(groups) - 1
        if (left_groups > 0 and e - origin >= k * total / n) or left_spans == left_groups:
            groups.append((start, e))
            start, k = spans[i + 1][0], k + 1
    return groups


class EvidenceFinder:
    """Find evidence spans for a batch of classified documents.

    Args:
        score: ``texts -> (n, n_keys)`` probabilities (the model's scorer).
        keys: score keys in column order.
        config: evidence settings.
        cue_matcher: an object with ``find(text) -> {score_key: [(start, end, text)]}`` (or None).
        split_sentences: ``text -> [(start, end)]``.
        word_offsets: ``text -> [(start, end)]`` word spans (for short texts).
    """

    def __init__(self, score: Callable[[Sequence[str]], np.ndarray], keys: Sequence[str], config: EvidenceConfig,
                 *, cue_matcher: Any | None, split_sentences: Callable[[str], list[tuple[int, int]]],
                 word_offsets: Callable[[str], list[tuple[int, int]]]) -> None:
        self.score, self.keys, self.config = score, list(keys), config
        self.cue_matcher, self.split_sentences, self.word_offsets = cue_matcher, split_sentences, word_offsets

    def _units(self, text: str) -> list[tuple[int, int]]:
        if len(text) <= self.config.word_level_max_chars:
            spans = self.word_offsets(text)
        else:
            spans = self.split_sentences(text)
            if len(spans) < 2:
                spans = [(i, min(i + 40, len(text))) for i in range(0, len(text), 40)]
        spans = [(s, e) for s, e in spans if text[s:e].strip()]
        return group_units(spans, self.config.units)

    def find(self, texts: Sequence[str], scores: np.ndarray, predicted: Sequence[Sequence[str]]
             ) -> list[dict[str, list[dict[str, Any]]]]:
        """Evidence per document.

        Args:
            texts: the documents.
            scores: their probabilities ``(n_docs, n_keys)``.
            predicted: per document, the score keys predicted on (empty: no evidence computed).

        Returns:
            Per document ``{score_key: [{"start", "end", "text", "source", …}]}``.
        """
        out: list[dict[str, list[dict[str, Any]]]] = [{} for _ in texts]
        variants: list[str] = []
        plan: list[tuple[int, list[tuple[int, int]], int]] = []  # (doc, units, first variant row)
        for i, (text, keys) in enumerate(zip(texts, predicted)):
            if not keys:
                continue
            if self.cue_matcher is not None:
                found: Mapping[str, list] = self.cue_matcher.find(text)
                for k in keys:
                    spans = found.get(k) or []
                    if spans:
                        out[i].setdefault(k, []).extend(
                            {"start": int(s), "end": int(e), "text": t, "source": "lexicon"}
                            for s, e, t in spans[: self.config.max_lexicon_spans])
            units = self._units(text)
            if len(units) < 2:
                continue
            plan.append((i, units, len(variants)))
            variants.extend(text[:s] + text[e:] for s, e in units)
        if not variants:
            return out
        var_scores = self.score(variants)
        col = {k: j for j, k in enumerate(self.keys)}
        for i, units, first in plan:
            block = var_scores[first: first + len(units)]
            for k in predicted[i]:
                c = col[k]
                drops = scores[i, c] - block[:, c]
                best = int(np.argmax(drops))
                if drops[best] >= self.config.min_drop:
                    s, e = units[best]
                    out[i].setdefault(k, []).append({"start": s, "end": e, "text": texts[i][s:e],
                                                     "source": "occlusion", "drop": round(float(drops[best]), 4)})
        return out
