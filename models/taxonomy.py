"""The label scheme as data: load, validate and query a taxonomy file.

Every part of stigmascope that needs label names (classifier heads, annotation forms, evaluation
tables, time series) reads them from a :class:`Taxonomy`; nothing hard-codes a label.

Example:
    >>> from models.taxonomy import load_taxonomy
    >>> tax = load_taxonomy()                      # the bundled default (codebook v1)
    >>> [f.id for f in tax.facets]
    ['relevance', 'stereotype', 'exclusion', 'practice', 'stance']
    >>> tax.gate.output_key
    'relevant'
    >>> tax.score_keys()[:3]
    ['relevant', 'stereotype.poverty', 'stereotype.dirt']
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "FacetKind",
    "Label",
    "Facet",
    "Taxonomy",
    "TaxonomyError",
    "LabelError",
    "load_taxonomy",
    "default_taxonomy_path",
]


class TaxonomyError(ValueError):
    """A taxonomy file is malformed. The message names the file, the place and what to do."""


class LabelError(ValueError):
    """A document's labels do not fit the taxonomy (unknown facet or label, wrong shape)."""


class FacetKind(str, Enum):
    """How a facet's labels combine."""

    binary = "binary"
    multi_label = "multi_label"
    single_label = "single_label"


@dataclass(frozen=True)
class Label:
    """One label of a facet."""

    id: str
    name_zh: str
    name_en: str
    definition: str = ""
    cues: tuple[str, ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class Facet:
    """A group of labels with one kind (binary, multi-label or single-label)."""

    id: str
    kind: FacetKind
    labels: tuple[Label, ...]
    name_zh: str = ""
    name_en: str = ""
    definition: str = ""
    gate: bool = False
    applies_to_gate: bool = False

    @property
    def label_ids(self) -> list[str]:
        return [lab.id for lab in self.labels]

    @property
    def output_key(self) -> str:
        """Key of this facet in prediction rows and gold labels.

        A binary facet is keyed by its single label id (``relevant``); other facets by the facet id.
        """
        return self.labels[0].id if self.kind is FacetKind.binary else self.id

    def score_key(self, label_id: str) -> str:
        """Key of one label's probability in a prediction's ``scores`` dict."""
        if self.kind is FacetKind.binary:
            return self.labels[0].id
        return f"{self.id}.{label_id}"

    def label(self, label_id: str) -> Label:
        for lab in self.labels:
            if lab.id == label_id:
                return lab
        raise LabelError(
            f"facet {self.id!r} has no label {label_id!r}{_hint(label_id, self.label_ids)}; "
            f"its labels are {self.label_ids}"
        )


@dataclass(frozen=True)
class Taxonomy:
    """A validated label scheme. Build it with :func:`load_taxonomy`."""

    name: str
    version: str
    facets: tuple[Facet, ...]
    language: str = "zh"
    source: str = ""
    path: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ---- lookup -------------------------------------------------------------------------------
    def facet(self, facet_id: str) -> Facet:
        for f in self.facets:
            if f.id == facet_id or f.output_key == facet_id:
                return f
        ids = [f.id for f in self.facets]
        raise LabelError(f"unknown facet {facet_id!r}{_hint(facet_id, ids)}; this taxonomy has {ids}")

    @property
    def gate(self) -> Facet | None:
        """The binary facet that decides whether the others apply (``relevance`` by default)."""
        for f in self.facets:
            if f.gate:
                return f
        return None

    @property
    def gated_facets(self) -> list[Facet]:
        return [f for f in self.facets if not f.gate]

    def score_keys(self) -> list[str]:
        """Flat list of every label's score key, in file order: ``relevant, stereotype.poverty, …``."""
        keys: list[str] = []
        for f in self.facets:
            if f.kind is FacetKind.binary:
                keys.append(f.labels[0].id)
            else:
                keys.extend(f.score_key(lab.id) for lab in f.labels)
        return keys

    def cue_words(self) -> dict[str, list[str]]:
        """Cue words per score key (only keys that have cues)."""
        out: dict[str, list[str]] = {}
        for f in self.facets:
            for lab in f.labels:
                if lab.cues:
                    out[f.score_key(lab.id)] = list(lab.cues)
        return out

    # ---- label vectors --------------------------------------------------------------------------
    def validate_labels(self, labels: Mapping[str, Any], *, where: str = "") -> dict[str, Any]:
        """Check a gold ``labels`` object and return it normalised.

        Normal form: the gate key maps to a bool; multi-label facets to sorted lists; single-label
        facets to a label id or ``None``. Gated facets are emptied when the gate is false.

        Raises:
            LabelError: unknown facet or label, or a value of the wrong shape; the message starts
                with ``where`` (e.g. ``"corpus.jsonl:12"``).
        """
        prefix = f"{where}: " if where else ""
        if not isinstance(labels, Mapping):
            raise LabelError(f"{prefix}'labels' must be an object, got {type(labels).__name__}")
        known = {f.output_key: f for f in self.facets}
        for key in labels:
            if key not in known:
                raise LabelError(
                    f"{prefix}unknown facet {key!r} in labels{_hint(key, list(known))}; "
                    f"this taxonomy ({self.name}) has {list(known)}. "
                    "Fix the data or pass the taxonomy it was labelled with (--taxonomy FILE)."
                )
        out: dict[str, Any] = {}
        gate = self.gate
        for f in self.facets:
            value = labels.get(f.output_key)
            if f.kind is FacetKind.binary:
                if value is None:
                    value = False
                if not isinstance(value, bool):
                    raise LabelError(f"{prefix}{f.output_key!r} must be true or false, got {value!r}")
                out[f.output_key] = value
            elif f.kind is FacetKind.multi_label:
                value = [] if value is None else value
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list):
                    raise LabelError(f"{prefix}{f.id!r} must be a list of labels, got {value!r}")
                for lab in value:
                    try:
                        f.label(lab)
                    except LabelError as exc:
                        raise LabelError(f"{prefix}{exc}") from None
                out[f.id] = sorted(set(value), key=f.label_ids.index)
            else:
                if isinstance(value, list):
                    if len(value) > 1:
                        raise LabelError(f"{prefix}{f.id!r} takes one label, got {value!r}")
                    value = value[0] if value else None
                if value is not None:
                    try:
                        f.label(value)
                    except LabelError as exc:
                        raise LabelError(f"{prefix}{exc}") from None
                out[f.id] = value
        if gate is not None and not out[gate.output_key]:
            for f in self.facets:
                if f.applies_to_gate:
                    out[f.output_key] = [] if f.kind is FacetKind.multi_label else None
        return out

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy as plain data (what is saved beside a model)."""
        return json.loads(json.dumps(self.raw, ensure_ascii=False))


# ---- loading --------------------------------------------------------------------------------------
_FACET_KEYS = {"id", "kind", "labels", "name", "definition", "gate", "applies_to"}
_LABEL_KEYS = {"id", "name", "definition", "cues", "group"}
_TOP_KEYS = {"name", "version", "language", "source", "facets"}


def default_taxonomy_path() -> Path:
    """Path of the bundled default taxonomy (codebook v1)."""
    return Path(str(resources.files("models") / "data" / "taxonomy.yaml"))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (YAML, or TOML by extension, or JSON).

    Args:
        path: the file; ``None`` loads the bundled default.

    Raises:
        TaxonomyError: with the file, the place and what to change.
    """
    p = Path(path) if path is not None else default_taxonomy_path()
    if not p.exists():
        raise TaxonomyError(f"{p}: taxonomy file not found. Pass an existing file with --taxonomy, or omit it.")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # parse errors from three libraries: report them the same way
        raise TaxonomyError(f"{p}: cannot parse taxonomy file: {exc}") from exc
    return taxonomy_from_dict(data, where=str(p))


def taxonomy_from_dict(data: Any, *, where: str = "<taxonomy>") -> Taxonomy:
    """Validate plain data (as read from a file or a saved model) into a :class:`Taxonomy`."""
    if not isinstance(data, dict):
        raise TaxonomyError(f"{where}: expected a mapping with 'name' and 'facets' at the top level")
    _reject_unknown(data, _TOP_KEYS, where)
    facets_raw = data.get("facets")
    if not isinstance(facets_raw, list) or not facets_raw:
        raise TaxonomyError(f"{where}: 'facets' must be a non-empty list of facets")
    facets: list[Facet] = []
    seen_facets: set[str] = set()
    for i, fr in enumerate(facets_raw):
        fw = f"{where}: facets[{i}]"
        if not isinstance(fr, dict):
            raise TaxonomyError(f"{fw}: each facet must be a mapping")
        _reject_unknown(fr, _FACET_KEYS, fw)
        fid = _ident(fr.get("id"), fw + ".id")
        fw = f"{where}: facet {fid!r}"
        if fid in seen_facets:
            raise TaxonomyError(f"{fw}: duplicate facet id; each facet id must be unique")
        seen_facets.add(fid)
        kind_raw = fr.get("kind")
        try:
            kind = FacetKind(str(kind_raw).replace("-", "_"))
        except ValueError:
            kinds = [k.value for k in FacetKind]
            raise TaxonomyError(
                f"{fw}: unknown facet kind {kind_raw!r}{_hint(str(kind_raw), kinds)}; use one of {kinds}"
            ) from None
        labels_raw = fr.get("labels")
        if not isinstance(labels_raw, list) or not labels_raw:
            raise TaxonomyError(f"{fw}: 'labels' is empty; a facet needs at least one label")
        if kind is FacetKind.binary and len(labels_raw) != 1:
            raise TaxonomyError(f"{fw}: a binary facet has exactly one label (the 'yes'), got {len(labels_raw)}")
        if kind is FacetKind.single_label and len(labels_raw) < 2:
            raise TaxonomyError(f"{fw}: a single_label facet needs at least two labels")
        labels: list[Label] = []
        seen_labels: set[str] = set()
        for j, lr in enumerate(labels_raw):
            lw = f"{fw}: labels[{j}]"
            if not isinstance(lr, dict):
                raise TaxonomyError(f"{lw}: each label must be a mapping with at least an 'id'")
            _reject_unknown(lr, _LABEL_KEYS, lw)
            lid = _ident(lr.get("id"), lw + ".id")
            if lid in seen_labels:
                raise TaxonomyError(f"{fw}: duplicate label id {lid!r}")
            seen_labels.add(lid)
            zh, en = _names(lr.get("name"), lid)
            cues = lr.get("cues") or []
            if not isinstance(cues, list) or not all(isinstance(c, str) and c for c in cues):
                raise TaxonomyError(f"{lw}: 'cues' must be a list of non-empty strings")
            labels.append(
                Label(id=lid, name_zh=zh, name_en=en, definition=str(lr.get("definition", "")),
                      cues=tuple(cues), group=lr.get("group"))
            )
        zh, en = _names(fr.get("name"), fid)
        gate = bool(fr.get("gate", False))
        if gate and kind is not FacetKind.binary:
            raise TaxonomyError(f"{fw}: only a binary facet can be the gate")
        applies = fr.get("applies_to")
        if applies not in (None, "gate", "all"):
            raise TaxonomyError(f"{fw}: 'applies_to' must be 'gate' or 'all', got {applies!r}")
        facets.append(
            Facet(id=fid, kind=kind, labels=tuple(labels), name_zh=zh, name_en=en,
                  definition=str(fr.get("definition", "")), gate=gate, applies_to_gate=applies == "gate")
        )
    gates = [f for f in facets if f.gate]
    if len(gates) > 1:
        raise TaxonomyError(f"{where}: more than one gate facet ({[f.id for f in gates]}); mark one")
    if not gates and any(f.applies_to_gate for f in facets):
        raise TaxonomyError(f"{where}: a facet says 'applies_to: gate' but no facet has 'gate: true'")
    keys = [f.output_key for f in facets]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise TaxonomyError(f"{where}: output keys collide: {sorted(dup)} (a binary facet's label id equals a facet id)")
    return Taxonomy(
        name=str(data.get("name", "unnamed")), version=str(data.get("version", "0")), facets=tuple(facets),
        language=str(data.get("language", "zh")), source=str(data.get("source", "")), path=where, raw=data,
    )


def _names(raw: Any, fallback: str) -> tuple[str, str]:
    if isinstance(raw, dict):
        return str(raw.get("zh", fallback)), str(raw.get("en", fallback))
    if isinstance(raw, str):
        return raw, raw
    return fallback, fallback


def _ident(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where}: missing or empty id")
    if not value.replace("_", "").isalnum() or not value.isascii():
        raise TaxonomyError(f"{where}: id {value!r} must be ASCII letters, digits and underscores")
    return value


def _reject_unknown(d: dict, allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    for key in d:
        if key not in allowed:
            raise TaxonomyError(f"{where}: unknown key {key!r}{_hint(key, sorted(allowed))}; allowed: {sorted(allowed)}")


def _hint(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
