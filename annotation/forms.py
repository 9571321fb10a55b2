"""The labelling form built from a taxonomy: keyboard keys, and validation of what a browser submits.

Keys scale past ten labels with two keystrokes: a facet key (``1``–``9``, ``0``) arms a facet, then a
letter (``a``–``z``) toggles one of its labels, so every facet can have 26 labels with keys. A binary
facet (the relevance gate) toggles with its facet key alone.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> spec = form_spec(load_taxonomy())
    >>> [(f["key"], f["id"]) for f in spec["facets"]][:2]
    [('1', 'relevance'), ('2', 'stereotype')]
    >>> spec["facets"][1]["labels"][0]["key"], spec["facets"][1]["labels"][0]["score_key"]
    ('a', 'stereotype.poverty')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from annotation.spans import snap
from models.taxonomy import FacetKind, LabelError, Taxonomy

__all__ = [
    "FACET_KEYS",
    "LABEL_KEYS",
    "MAX_COMMENT",
    "MAX_SPANS",
    "SubmissionError",
    "clean_labels",
    "clean_spans",
    "empty_labels",
    "form_spec",
    "positive_keys",
]

FACET_KEYS = "1234567890"
LABEL_KEYS = "abcdefghijklmnopqrstuvwxyz"
MAX_SPANS = 200
MAX_COMMENT = 4000


class SubmissionError(ValueError):
    """A submission that does not fit the project's taxonomy; the message says what to change."""


def form_spec(tax: Taxonomy) -> dict[str, Any]:
    """The form as plain data for the page template and ``label.js``.

    Returns:
        ``{"gate": output key | None, "facets": [{"id", "key", "output_key", "kind", "name_zh", "name_en",
        "definition", "gated", "labels": [{"id", "key", "score_key", "name_zh", "name_en", "definition",
        "group"}]}]}`` — ``key`` is None past the tenth facet or the 26th label of a facet.
    """
    facets = []
    for i, f in enumerate(tax.facets):
        labels = [{"id": lab.id, "key": LABEL_KEYS[j] if j < len(LABEL_KEYS) else None,
                   "score_key": f.score_key(lab.id), "name_zh": lab.name_zh, "name_en": lab.name_en,
                   "definition": lab.definition, "group": lab.group}
                  for j, lab in enumerate(f.labels)]
        facets.append({"id": f.id, "key": FACET_KEYS[i] if i < len(FACET_KEYS) else None,
                       "output_key": f.output_key, "kind": f.kind.value, "name_zh": f.name_zh,
                       "name_en": f.name_en, "definition": f.definition, "gated": f.applies_to_gate,
                       "labels": labels})
    gate = tax.gate
    return {"gate": gate.output_key if gate is not None else None, "facets": facets}


def empty_labels(tax: Taxonomy) -> dict[str, Any]:
    """The label object with nothing chosen (gate false, lists empty, single labels None)."""
    return tax.validate_labels({})


def positive_keys(tax: Taxonomy, labels: Mapping[str, Any]) -> list[str]:
    """Score keys of the labels that are on in a (normalised) label object, in taxonomy order."""
    keys: list[str] = []
    for f in tax.facets:
        v = labels.get(f.output_key)
        if f.kind is FacetKind.binary:
            if v:
                keys.append(f.output_key)
        elif f.kind is FacetKind.multi_label:
            keys.extend(f.score_key(x) for x in f.label_ids if x in (v or []))
        elif v:
            keys.append(f.score_key(v))
    return keys


def clean_labels(tax: Taxonomy, labels: Any, *, require_single: bool = True) -> dict[str, Any]:
    """Validate and normalise a submitted label object.

    Args:
        labels: ``{output_key: value}`` as the browser sends it.
        require_single: a single-label facet (stance) must have a value whenever it applies.

    Raises:
        SubmissionError: unknown facet or label, a wrong shape, or a required facet left empty.
    """
    try:
        out = tax.validate_labels(labels if labels is not None else {})
    except LabelError as exc:
        raise SubmissionError(str(exc)) from None
    if require_single:
        gate = tax.gate
        gate_on = gate is None or bool(out[gate.output_key])
        for f in tax.facets:
            if f.kind is FacetKind.single_label and out[f.output_key] is None and (gate_on or not f.applies_to_gate):
                raise SubmissionError(f"choose one label of {f.name_en or f.id} ({f.name_zh}): it is required "
                                      "for this document")
    return out


def clean_spans(tax: Taxonomy, spans: Any, labels: Mapping[str, Any], text: str,
                ends: Sequence[int]) -> list[dict[str, Any]]:
    """Validate evidence spans, snap them to token boundaries and fill in their text.

    Args:
        spans: ``[{"start", "end", "key"}]`` with ``key`` a score key of a label that is on.
        labels: the normalised label object of the same submission.
        text: the document text; ends: its token end offsets.

    Returns:
        Distinct snapped spans sorted by key order then start: ``[{"key", "start", "end", "text"}]``.

    Raises:
        SubmissionError: a span for a label that is off, an unknown key, bad offsets, or too many spans.
    """
    if spans is None:
        return []
    if not isinstance(spans, list):
        raise SubmissionError("'spans' must be a list of {start, end, key}")
    if len(spans) > MAX_SPANS:
        raise SubmissionError(f"too many evidence spans ({len(spans)}); at most {MAX_SPANS}")
    on = positive_keys(tax, labels)
    order = {k: i for i, k in enumerate(tax.score_keys())}
    seen: set[tuple[str, int, int]] = set()
    out: list[dict[str, Any]] = []
    for i, sp in enumerate(spans):
        if not isinstance(sp, Mapping):
            raise SubmissionError(f"spans[{i}] must be an object with start, end and key")
        key = sp.get("key")
        if key not in order:
            raise SubmissionError(f"spans[{i}]: unknown label key {key!r}")
        if key not in on:
            raise SubmissionError(f"spans[{i}]: evidence for {key!r}, which is not selected; select the label "
                                  "or remove the span")
        try:
            start, end = int(sp.get("start")), int(sp.get("end"))
        except (TypeError, ValueError):
            raise SubmissionError(f"spans[{i}]: start and end must be integers") from None
        snapped = snap(start, end, text, ends)
        if snapped is None:
            raise SubmissionError(f"spans[{i}]: the selection [{start}, {end}) holds no words")
        s, e = snapped
        if (key, s, e) in seen:
            continue
        seen.add((key, s, e))
        out.append({"key": key, "start": s, "end": e, "text": text[s:e]})
    out.sort(key=lambda d: (order[d["key"]], d["start"], d["end"]))
    return out


def clean_comment(value: Any) -> str | None:
    """A comment trimmed and bounded (None when empty)."""
    if value is None:
        return None
    s = str(value).strip()
    if len(s) > MAX_COMMENT:
        raise SubmissionError(f"comment too long ({len(s)} characters); at most {MAX_COMMENT}")
    return s or None
