"""Error analysis by example: the most confident false positives and the least detected false negatives.

For each score key, among the cells it is scored on (see :mod:`evaluation.arrays`):

- false positives (predicted, not in gold) sorted by score, highest first, with the system's evidence
  spans for that label (lexicon cues and the occluded piece that moved the score most);
- false negatives (in gold, not predicted) sorted by score, lowest first, with the taxonomy's cue
  words found in the text (no evidence exists for a label that was not predicted) and the reason when
  the prefilter skipped the document.

Example:
    >>> worst = worst_errors(ev, k=3)                         # doctest: +SKIP
    >>> worst["stereotype.dirt"]["false_positives"][0]["evidence"]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluation.arrays import EvalArrays

__all__ = ["snippet", "worst_errors"]


def snippet(text: str, span: tuple[int, int] | None = None, width: int = 120) -> str:
    """A one-line excerpt of ``text`` (around ``span`` when given), at most ``width`` characters."""
    flat = " ".join(text.split())
    if span is None or len(flat) <= width:
        return flat if len(flat) <= width else flat[: width - 1] + "…"
    start = max(0, min(span[0] - width // 3, len(flat) - width))
    out = flat[start: start + width]
    return ("…" if start > 0 else "") + out + ("…" if start + width < len(flat) else "")


def _evidence(ev_row: dict[str, Any], key: str) -> list[dict[str, Any]]:
    spans = ev_row.get(key) or []
    return [{"text": s.get("text"), "start": s.get("start"), "end": s.get("end"), "source": s.get("source")}
            for s in spans if isinstance(s, dict)]


def worst_errors(ev: EvalArrays, *, k: int = 5, width: int = 120) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The ``k`` worst false positives and false negatives per score key.

    Args:
        ev: aligned gold and predictions.
        k: examples per list.
        width: characters of text per example.

    Returns:
        ``{key: {"false_positives": [{"id", "score", "text", "evidence": [...], "source"}],
        "false_negatives": [{"id", "score", "text", "cues_found": [...], "skip_reason", "source"}]}}``
        (keys with no errors are left out).
    """
    cues = ev.layout.taxonomy.cue_words()
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for c, key in enumerate(ev.keys):
        a = ev.applies[:, c]
        fp = np.flatnonzero(a & ev.decisions[:, c] & ~ev.y[:, c])
        fn = np.flatnonzero(a & ~ev.decisions[:, c] & ev.y[:, c])
        if not len(fp) and not len(fn):
            continue
        fp = fp[np.argsort(-ev.scores[fp, c], kind="stable")][:k]
        fn = fn[np.argsort(ev.scores[fn, c], kind="stable")][:k]
        fps = []
        for i in fp:
            d = ev.docs[i]
            spans = _evidence(ev.evidence[i], key)
            first = next(((s["start"], s["end"]) for s in spans if isinstance(s.get("start"), int)), None)
            fps.append({"id": d.id, "score": round(float(ev.scores[i, c]), 4), "source": d.source,
                        "text": snippet(d.text, first, width), "evidence": spans})
        fns = []
        for i in fn:
            d = ev.docs[i]
            found = [w for w in cues.get(key, []) if w in d.text]
            fns.append({"id": d.id, "score": round(float(ev.scores[i, c]), 4), "source": d.source,
                        "text": snippet(d.text, None, width), "cues_found": found,
                        "skip_reason": ev.skip_reasons[i]})
        out[key] = {"false_positives": fps, "false_negatives": fns}
    return out
