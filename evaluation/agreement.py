"""Agreement between annotators (and between a model and annotators): the project's one implementation.

Input is a long table, one row per (item, annotator, facet, label) with a nominal ``value``:

======  =========  ==========  ===============  ========================================
item    annotator  facet       label            value
======  =========  ==========  ===============  ========================================
d1      ann1       relevance   relevant         ``"1"`` / ``"0"``
d1      ann1       stereotype  dirt             ``"1"`` / ``"0"`` (one row per label)
d1      ann1       stance      ``*``            label id or ``"none"`` (single-label facet)
======  =========  ==========  ===============  ========================================

Build it with :func:`long_table` from label objects (gold files, the annotation tool's database, a
model's prediction rows via :func:`prediction_labels`). Then :func:`agreement` gives

- Krippendorff's alpha (nominal, the ``krippendorff`` package) per facet and per label. A multi-label
  facet's alpha pools its labels' yes/no decisions (each (item, label) is one unit); a single-label
  facet's alpha is on its label (``none`` included); per-label alpha of a single-label facet is its
  one-vs-rest yes/no;
- Cohen's kappa (scikit-learn) for every annotator pair on the units both annotated;
- observed (pairwise) percent agreement, defined even where chance-corrected coefficients are not.

Gated facets: by default (``gated="conditional"``) an annotator who marks an item not relevant gives
*no* value for the gated facets, so those labels are compared only where both annotators found the item
relevant and a relevance disagreement is counted once, in relevance. ``gated="zero"`` records "no" /
``none`` instead (end to end).

Undefined coefficients are NaN with a note, never an exception: alpha with one value only
(everyone said "no" to a rare label), no unit annotated twice, a kappa pair with no shared item.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> tax = load_taxonomy()
    >>> a = {"relevant": True, "stereotype": ["dirt"], "stance": "stigmatizing"}
    >>> t = long_table([("d1", "A", a), ("d1", "B", a), ("d2", "A", {"relevant": False}),
    ...                 ("d2", "B", {"relevant": False})], tax)
    >>> agreement(t, tax)["facets"]["relevance"]["alpha"]
    1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from models.taxonomy import FacetKind, Taxonomy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "FACET_LEVEL",
    "LONG_COLUMNS",
    "Coefficient",
    "GatedMode",
    "agreement",
    "agreement_between_files",
    "cohen_kappa",
    "krippendorff_alpha",
    "long_table",
    "prediction_labels",
]

LONG_COLUMNS = ("item", "annotator", "facet", "label", "value")
#: ``label`` of the row holding a single-label facet's categorical value
FACET_LEVEL = "*"
NONE_VALUE = "none"


class GatedMode(str, Enum):
    """How gated facets are recorded for items an annotator marked not relevant."""

    conditional = "conditional"
    zero = "zero"


@dataclass(frozen=True)
class Coefficient:
    """One agreement figure.

    Attributes:
        value: the coefficient (NaN when undefined).
        n_units: units with at least two values (the pairable ones).
        percent_agreement: observed pairwise agreement over those units (NaN when none).
        note: why ``value`` is NaN, or None.
    """

    value: float
    n_units: int
    percent_agreement: float
    note: str | None = None

    def to_dict(self, name: str = "alpha") -> dict[str, Any]:
        return {name: _num(self.value), "n_units": self.n_units,
                "percent_agreement": _num(self.percent_agreement), "note": self.note}


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)


# ---- building the long table ----------------------------------------------------------------------
def _annotation(obj: Any) -> tuple[str, str, Mapping[str, Any]]:
    if isinstance(obj, Mapping):
        try:
            return str(obj["item"]), str(obj["annotator"]), obj["labels"]
        except KeyError as exc:
            raise ValueError(f"an annotation needs 'item', 'annotator' and 'labels'; {exc.args[0]!r} is missing") from None
    item, annotator, labels = obj
    return str(item), str(annotator), labels


def long_table(annotations: Iterable[Any], taxonomy: Taxonomy, *,
               gated: GatedMode | str = GatedMode.conditional) -> pd.DataFrame:
    """Turn label objects into the long table.

    Args:
        annotations: ``(item, annotator, labels)`` tuples or dicts with those keys; ``labels`` is a
            label object (``{"relevant": bool, "<facet>": [...] | "label" | None}``), validated here.
        taxonomy: the label scheme.
        gated: ``conditional`` (default) or ``zero``, see the module docstring.

    Returns:
        DataFrame with :data:`LONG_COLUMNS` (all strings).

    Raises:
        models.taxonomy.LabelError: a label object that does not fit the taxonomy (names item and annotator).
    """
    import pandas as pd

    mode = GatedMode(gated)
    gate = taxonomy.gate
    rows: list[tuple[str, str, str, str, str]] = []
    for obj in annotations:
        item, ann, raw = _annotation(obj)
        labels = taxonomy.validate_labels(raw, where=f"item {item!r}, annotator {ann!r}")
        relevant = True if gate is None else bool(labels[gate.output_key])
        for f in taxonomy.facets:
            skip = f.applies_to_gate and not relevant
            if skip and mode is GatedMode.conditional:
                continue
            value = labels[f.output_key]
            if f.kind is FacetKind.binary:
                rows.append((item, ann, f.id, f.labels[0].id, "1" if value else "0"))
            elif f.kind is FacetKind.multi_label:
                on = set(value or [])
                rows.extend((item, ann, f.id, lab.id, "1" if lab.id in on else "0") for lab in f.labels)
            else:
                rows.append((item, ann, f.id, FACET_LEVEL, value or NONE_VALUE))
    return pd.DataFrame(rows, columns=list(LONG_COLUMNS))


def prediction_labels(row: Mapping[str, Any], taxonomy: Taxonomy) -> dict[str, Any]:
    """The label object of one classifier output row (its facet keys), for comparing a model with annotators."""
    return taxonomy.validate_labels({f.output_key: row.get(f.output_key) for f in taxonomy.facets},
                                    where=f"prediction {row.get('id')!r}")


# ---- coefficients -------------------------------------------------------------------------------------
def _matrix(units: Sequence[str], annotators: Sequence[str], values: Sequence[str]
            ) -> tuple[np.ndarray, list[str], list[str]]:
    """Annotators × units matrix of value codes (NaN = missing) plus the value domain."""
    unit_ids = list(dict.fromkeys(units))
    ann_ids = sorted(set(annotators))
    domain = sorted(set(values))
    ui = {u: i for i, u in enumerate(unit_ids)}
    ai = {a: i for i, a in enumerate(ann_ids)}
    vi = {v: i for i, v in enumerate(domain)}
    m = np.full((len(ann_ids), len(unit_ids)), np.nan)
    for u, a, v in zip(units, annotators, values):
        r, c = ai[a], ui[u]
        if not np.isnan(m[r, c]):
            raise ValueError(f"annotator {a!r} has two values for unit {u!r}; keep one annotation per item "
                             "and annotator (the latest version)")
        m[r, c] = vi[v]
    return m, ann_ids, domain


def _percent_agreement(m: np.ndarray) -> tuple[float, int]:
    """Mean share of agreeing ordered pairs over units with two or more values, and that unit count."""
    filled = ~np.isnan(m)
    k = filled.sum(axis=0)
    pairable = k >= 2
    n_units = int(pairable.sum())
    if n_units == 0:
        return float("nan"), 0
    codes = np.unique(m[filled])
    same = sum(((m == c).sum(axis=0) * ((m == c).sum(axis=0) - 1)) for c in codes)
    share = same[pairable] / (k[pairable] * (k[pairable] - 1))
    return float(share.mean()), n_units


def krippendorff_alpha(units: Sequence[str], annotators: Sequence[str], values: Sequence[str]) -> Coefficient:
    """Krippendorff's alpha (nominal) of one variable.

    Args:
        units, annotators, values: parallel sequences, one entry per annotation (a unit is annotated at
            most once per annotator; missing annotations are simply absent).

    Returns:
        :class:`Coefficient`; NaN with a note when alpha is undefined.
    """
    if len(units) == 0:
        return Coefficient(float("nan"), 0, float("nan"), "no annotations")
    m, _, domain = _matrix(units, annotators, values)
    pa, n_units = _percent_agreement(m)
    if n_units == 0:
        return Coefficient(float("nan"), 0, pa, "no unit has values from two annotators")
    pairable = m[:, (~np.isnan(m)).sum(axis=0) >= 2]
    used = sorted({domain[int(v)] for v in pairable[~np.isnan(pairable)]})
    if len(used) < 2:
        return Coefficient(float("nan"), n_units, pa,
                           f"every annotation is {used[0]!r}: alpha is undefined when only one value is used "
                           "(no variation to agree on); see percent_agreement")
    import krippendorff

    value = float(krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal"))
    return Coefficient(value, n_units, pa, None)


def cohen_kappa(values_a: Sequence[str], values_b: Sequence[str]) -> Coefficient:
    """Cohen's kappa of two annotators on the same units (paired sequences, no missing values)."""
    if len(values_a) != len(values_b):
        raise ValueError(f"kappa needs paired values, got {len(values_a)} and {len(values_b)}")
    n = len(values_a)
    if n == 0:
        return Coefficient(float("nan"), 0, float("nan"), "no item annotated by both")
    pa = float(np.mean([a == b for a, b in zip(values_a, values_b)]))
    used = sorted(set(values_a) | set(values_b))
    if len(used) < 2:
        return Coefficient(float("nan"), n, pa, f"both annotators only used {used[0]!r}: kappa is undefined "
                           "(chance agreement is 1); see percent_agreement")
    from sklearn.metrics import cohen_kappa_score

    return Coefficient(float(cohen_kappa_score(list(values_a), list(values_b), labels=used)), n, pa, None)


# ---- per facet / label / pair -------------------------------------------------------------------------
Variable = tuple[str, str, np.ndarray, np.ndarray, np.ndarray]  # level, name, units, annotators, values


def _variables(cols: Mapping[str, np.ndarray], taxonomy: Taxonomy) -> Iterable[Variable]:
    """(level, name, units, annotators, values) for every facet and every label (arrays of str)."""
    facet, label, item, ann, value = (cols[c] for c in ("facet", "label", "item", "annotator", "value"))
    for f in taxonomy.facets:
        in_facet = facet == f.id
        if f.kind is FacetKind.binary:
            sel = in_facet
            yield "facet", f.id, item[sel], ann[sel], value[sel]
            yield "label", f.score_key(f.labels[0].id), item[sel], ann[sel], value[sel]
        elif f.kind is FacetKind.multi_label:
            sel = in_facet
            units = np.array([f"{i}\x1f{lab}" for i, lab in zip(item[sel], label[sel])], dtype=object)
            yield "facet", f.id, units, ann[sel], value[sel]
            for lab in f.labels:
                s2 = in_facet & (label == lab.id)
                yield "label", f.score_key(lab.id), item[s2], ann[s2], value[s2]
        else:
            sel = in_facet & (label == FACET_LEVEL)
            yield "facet", f.id, item[sel], ann[sel], value[sel]
            for lab in f.labels:
                yield "label", f.score_key(lab.id), item[sel], ann[sel], np.where(value[sel] == lab.id, "1", "0")


def _pair_values(units: np.ndarray, anns: np.ndarray, values: np.ndarray, a: str, b: str
                 ) -> tuple[list[str], list[str]]:
    va = {u: v for u, x, v in zip(units, anns, values) if x == a}
    vb = {u: v for u, x, v in zip(units, anns, values) if x == b}
    common = [u for u in va if u in vb]
    return [va[u] for u in common], [vb[u] for u in common]


def agreement(table: pd.DataFrame, taxonomy: Taxonomy, *, pairs: bool = True) -> dict[str, Any]:
    """Krippendorff's alpha per facet and label, Cohen's kappa per annotator pair.

    Args:
        table: the long table (:func:`long_table`, or any frame with :data:`LONG_COLUMNS`).
        taxonomy: the label scheme the table was built with.
        pairs: also compute kappa for every annotator pair.

    Returns:
        ``{"n_items", "annotators", "n_annotations", "facets": {facet: {alpha, n_units,
        percent_agreement, note}}, "labels": {score_key: {…}}, "pairs": [{"a", "b", "n_items",
        "facets": {facet: {kappa, n_units, percent_agreement, note}}, "labels": {…}}]}``.

    Raises:
        ValueError: missing columns, or two values from one annotator for one unit.
    """
    missing = [c for c in LONG_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"agreement table lacks columns {missing}; expected {list(LONG_COLUMNS)}")
    cols = {c: table[c].astype(str).to_numpy(dtype=object) for c in LONG_COLUMNS}
    annotators = sorted(set(cols["annotator"]))
    items_of = {a: set(cols["item"][cols["annotator"] == a]) for a in annotators}
    out: dict[str, Any] = {"n_items": len(set(cols["item"])), "annotators": annotators,
                           "n_annotations": len(set(zip(cols["item"], cols["annotator"]))),
                           "facets": {}, "labels": {}, "pairs": []}
    variables = list(_variables(cols, taxonomy))
    for level, name, units, anns, values in variables:
        coef = krippendorff_alpha(list(units), list(anns), list(values))
        out["facets" if level == "facet" else "labels"][name] = coef.to_dict("alpha")
    if pairs:
        for a, b in combinations(annotators, 2):
            entry: dict[str, Any] = {"a": a, "b": b, "n_items": len(items_of[a] & items_of[b]), "facets": {},
                                     "labels": {}}
            for level, name, units, anns, values in variables:
                coef = cohen_kappa(*_pair_values(units, anns, values, a, b))
                entry["facets" if level == "facet" else "labels"][name] = coef.to_dict("kappa")
            out["pairs"].append(entry)
    return out


def agreement_between_files(path_a: str | Path, path_b: str | Path, taxonomy: Taxonomy | None = None, *,
                            gated: GatedMode | str = GatedMode.conditional, names: tuple[str, str] | None = None,
                            max_listed: int = 25) -> dict[str, Any]:
    """Agreement between two gold files keyed by ``id`` (e.g. a second annotator's pass over a sample).

    Args:
        path_a, path_b: gold JSON Lines files (annotated-corpus format).
        taxonomy: the label scheme (default: the bundled one).
        gated: see :class:`GatedMode`.
        names: annotator names (default: the file stems, made distinct).
        max_listed: ids listed per disagreeing label.

    Returns:
        :func:`agreement`'s result plus ``files``, ``only_in_a``/``only_in_b`` (counts), ``shared``,
        and ``disagreements`` ``{score_key: [ids]}`` for reviewing the guidelines.

    Raises:
        stigmascope.errors.InputError: unreadable files or no shared id.
    """
    from corpora.annotated import read_gold
    from models.taxonomy import load_taxonomy
    from stigmascope.errors import InputError

    tax = taxonomy or load_taxonomy()
    docs_a = {d.id: d.labels for d in read_gold(path_a, tax)}
    docs_b = {d.id: d.labels for d in read_gold(path_b, tax)}
    name_a, name_b = names or (Path(path_a).stem, Path(path_b).stem)
    if name_a == name_b:
        name_a, name_b = f"{name_a} (A)", f"{name_b} (B)"
    shared = [i for i in docs_a if i in docs_b]
    if not shared:
        raise InputError(f"no id is in both {path_a} and {path_b}; agreement needs the same documents labelled twice",
                         path=str(path_b), field="id")
    anns = [(i, name_a, docs_a[i]) for i in shared] + [(i, name_b, docs_b[i]) for i in shared]
    result = agreement(long_table(anns, tax, gated=gated), tax)
    result.update({"files": [str(path_a), str(path_b)], "shared": len(shared),
                   "only_in_a": len(docs_a) - len(shared), "only_in_b": len(docs_b) - len(shared),
                   "gated": GatedMode(gated).value, "disagreements": _disagreements(shared, docs_a, docs_b, tax,
                                                                                    max_listed)})
    return result


def _disagreements(ids: Sequence[str], a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]],
                   tax: Taxonomy, limit: int) -> dict[str, list[str]]:
    from models.layout import LabelLayout

    lay = LabelLayout(tax)
    ya, ma = lay.encode([a[i] for i in ids])
    yb, mb = lay.encode([b[i] for i in ids])
    out: dict[str, list[str]] = {}
    for c, key in enumerate(lay.keys):
        rows = np.flatnonzero((ya[:, c] != yb[:, c]) & ma[:, c] & mb[:, c])
        if len(rows):
            out[key] = [ids[r] for r in rows[:limit]]
    return out
