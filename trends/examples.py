"""Example documents behind each cell, for the report's drill-down: evidence highlighted, PII scrubbed.

For every (place, period, score key) cell of the places shown in the report, the documents the
classifier put in the cell with the highest scores (``examples_per_cell``), chosen in DuckDB with a
top-k aggregate (``max_by(…, k)``) over the predicted labels. Each example's text is cut to a window around the key's evidence
spans (from the prediction's ``evidence``), split into plain and highlighted segments, and every segment
passes through :class:`corpora.pii.Scrubber` (phones, ID numbers, e-mails, @handles → pseudonyms).
The report escapes the text (it is inserted as text nodes, never as HTML).

Example:
    >>> segments("农民工在工地讨薪", [(4, 6)], window=40)
    [('农民工在', False), ('工地', True), ('讨薪', False)]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trends.config import NATIONAL, TrendsConfig

__all__ = ["locate_spans", "segments", "select_examples"]


def locate_spans(text: str, spans: Sequence[dict[str, Any]]) -> tuple[list[tuple[int, int]], list[str]]:
    """Character ranges of evidence spans in ``text``.

    A span's ``start``/``end`` are used when ``text[start:end]`` equals its ``text``; otherwise its text is
    searched for. Spans found nowhere are returned as plain phrases.

    Returns:
        ``(ranges, unplaced)``: merged, sorted ``(start, end)`` ranges and the phrases not found.
    """
    ranges: list[tuple[int, int]] = []
    unplaced: list[str] = []
    for sp in spans:
        if not isinstance(sp, dict):
            continue
        phrase = str(sp.get("text") or "")
        s, e = sp.get("start"), sp.get("end")
        if isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text) and (
                not phrase or text[s:e] == phrase):
            ranges.append((s, e))
        elif phrase and phrase in text:
            i = text.index(phrase)
            ranges.append((i, i + len(phrase)))
        elif phrase:
            unplaced.append(phrase)
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged, unplaced


def segments(text: str, ranges: Sequence[tuple[int, int]], *, window: int = 160) -> list[tuple[str, bool]]:
    """Cut ``text`` to about ``window`` characters around the ranges and split it into segments.

    Returns:
        ``[(piece, highlighted), …]``; ``…`` marks cut ends.
    """
    if ranges:
        lo = max(0, ranges[0][0] - window // 3)
        hi = min(len(text), max(ranges[-1][1], lo + window))
    else:
        lo, hi = 0, min(len(text), window)
    out: list[tuple[str, bool]] = []
    pos = lo
    for s, e in ranges:
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < hi:
        out.append((text[pos:hi], False))
    if lo > 0:
        out.insert(0, ("…", False))
    if hi < len(text):
        out.append(("…", False))
    return out


def _scrubbed(segs: list[tuple[str, bool]], scrubber: Any) -> list[tuple[str, bool]]:
    done = [(scrubber.scrub(t), m) for t, m in segs]
    whole = "".join(t for t, _ in segs)
    if scrubber.scrub(whole) != "".join(t for t, _ in done):
        # an identifier straddles a highlight boundary: drop the highlighting rather than leak it
        return [(scrubber.scrub(whole), False)]
    return done


def select_examples(con: Any, *, places: list[str], config: TrendsConfig, has_text: bool, gate_key: str,
                    gated_keys: list[str], suppressed: set[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """Pick and prepare example documents for every cell of ``places`` (and the national row).

    Args:
        con: the DuckDB connection holding ``tr_docs`` and ``tr_text`` (:mod:`trends.source`).
        places: places shown in the report (the national row is always included).
        config: ``freq``, ``examples_per_cell``, ``snippet_chars``, ``pii_salt``.
        has_text: whether ``tr_text.text`` holds the documents' text.
        gate_key: the gate's score key; gated_keys: the order of ``tr_docs.sc``.
        suppressed: ``(place, period_start ISO, score key)`` of small cells, which get no examples.

    Returns:
        ``{"cells": {"place|YYYY-MM-DD|key": [doc ids]}, "docs": {doc id|key: {...}}}`` ready for JSON.
    """
    from corpora.pii import Scrubber

    k = int(config.examples_per_cell)
    if k == 0:
        return {"cells": {}, "docs": {}}
    freq = config.freq.value
    con.execute("CREATE OR REPLACE TEMP TABLE tr_report_places AS SELECT unnest(?::VARCHAR[]) AS place", [places])
    gate = gate_key.replace("'", "''")
    keys = "[" + ", ".join("'" + k.replace("'", "''") + "'" for k in gated_keys) + "]::VARCHAR[]"
    # positives only: the gate for relevant documents, each predicted label with its score (no full long table)
    gate_rows = (f"""
            SELECT place, CAST(date_trunc('{freq}', date) AS DATE) AS period_start, '{gate}' AS key, doc_id, date,
                   p_gate AS score
            FROM tr_docs WHERE relevant
            UNION ALL""" if gate_key else "")
    rows = con.execute(f"""
        WITH pos AS ({gate_rows}
            SELECT place, CAST(date_trunc('{freq}', date) AS DATE), lab, doc_id, date,
                   sc[list_position({keys}, lab)]
            FROM (SELECT place, date, doc_id, sc, unnest(labels) AS lab FROM tr_docs WHERE relevant)),
        cand AS (
            SELECT * FROM pos WHERE place IN (SELECT place FROM tr_report_places)
            UNION ALL
            SELECT '{NATIONAL}', period_start, key, doc_id, date, score FROM pos)
        SELECT place, period_start, key,
               max_by(struct_pack(doc_id := doc_id, date := date, score := score),
                      (coalesce(score, -1.0), doc_id), {k}) AS top
        FROM cand GROUP BY place, period_start, key""").fetchall()
    suppressed = suppressed or set()
    cells: dict[str, list[str]] = {}
    wanted: dict[str, list[tuple[str, Any, float | None, str]]] = {}
    for place, start, key, top in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        if (place, start.isoformat(), key) in suppressed:
            continue
        cell = f"{place}|{start.isoformat()}|{key}"
        for item in top:
            doc_id, date, score = item["doc_id"], item["date"], item["score"]
            cells.setdefault(cell, []).append(f"{doc_id}|{key}")
            wanted.setdefault(doc_id, []).append((key, date, score, place))
    if not wanted:
        return {"cells": cells, "docs": {}}
    con.execute("CREATE OR REPLACE TEMP TABLE tr_wanted AS SELECT unnest(?::VARCHAR[]) AS doc_id", [list(wanted)])
    texts = {r[0]: r[1:] for r in con.execute(
        "SELECT t.doc_id, t.text, CAST(t.evidence AS VARCHAR), t.source, t.outlet FROM tr_text t "
        "JOIN tr_wanted w ON w.doc_id = t.doc_id").fetchall()}
    scrubber = Scrubber(salt=config.pii_salt)
    docs: dict[str, Any] = {}
    for doc_id, uses in wanted.items():
        text, evidence, source, outlet = texts.get(doc_id, (None, None, None, None))
        try:
            ev = json.loads(evidence) if evidence else {}
        except json.JSONDecodeError:
            ev = {}
        ev = ev if isinstance(ev, dict) else {}
        for key, date, score, place in uses:
            ref = f"{doc_id}|{key}"
            if ref in docs:
                continue
            spans = ev.get(key) or []
            if has_text and text:
                ranges, unplaced = locate_spans(text, spans)
                segs = _scrubbed(segments(text, ranges, window=config.snippet_chars), scrubber)
            else:
                segs, unplaced = [], [str(s.get("text")) for s in spans if isinstance(s, dict) and s.get("text")]
            docs[ref] = {"id": str(doc_id), "date": date.isoformat() if date is not None else None,
                         "score": None if score is None else round(float(score), 3),
                         "source": source, "outlet": outlet, "segments": [[t, bool(m)] for t, m in segs],
                         "phrases": [scrubber.scrub(p) for p in unplaced]}
    return {"cells": cells, "docs": docs}
