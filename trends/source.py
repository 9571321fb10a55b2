"""Read predictions from the corpus store or a classify output into one table inside DuckDB.

Sources (CONTRACTS.md): the store (``predictions`` joined to ``documents``), a classify output file
(``.jsonl`` or ``.parquet``, one row per document), or a directory of Parquet shards partitioned by
date (read with ``hive_partitioning``). Whatever the source, :func:`load_predictions` leaves:

- ``tr_docs`` (temporary view over the materialised ``tr_stage``), one row per dated document:
  ``doc_id, date DATE, city, province, place, w DOUBLE, relevant BOOLEAN, scored BOOLEAN,
  p_gate DOUBLE, labels VARCHAR[], sc DOUBLE[]`` — ``place`` is the city or province (``未知`` when
  missing), ``w`` the weight (1, or ``dup_count``), ``labels`` the predicted score keys except the gate
  (empty unless relevant), ``sc`` the gated keys' scores in :attr:`SourceInfo.gated_keys` order
  (relevant documents only).
- ``tr_long`` (view), the long form: one row per (document, score key) that has a score —
  ``doc_id, date, place, w, key, decided BOOLEAN, score DOUBLE`` (the gate for every scored document,
  the gated keys for relevant ones).
- ``tr_text`` (view): ``doc_id, text, evidence`` for the drill-down (``text`` NULL when the source has
  none).
- ``tr_excluded`` (temporary table): ``doc_id, field, reason`` for documents left out of the series.

Example:
    >>> import duckdb                                                   # doctest: +SKIP
    >>> con = duckdb.connect()
    >>> info = load_predictions(con, "pred.jsonl", taxonomy=load_taxonomy())
    >>> con.execute("SELECT count(*) FROM tr_docs").fetchone()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from models.taxonomy import FacetKind, Taxonomy
from stigmascope.errors import InputError
from trends.config import UNKNOWN_PLACE, PlaceLevel, Weight

__all__ = ["SourceInfo", "SourceKind", "detect_kind", "load_predictions"]

_DUCKDB_MAGIC = b"DUCK"


class SourceKind(str, Enum):
    """Where predictions come from."""

    store = "store"
    jsonl = "jsonl"
    parquet = "parquet"
    parquet_dir = "parquet_dir"


@dataclass
class SourceInfo:
    """What :func:`load_predictions` read.

    Attributes:
        kind, path: the source.
        model_id: the model whose predictions were read (store: chosen or given; files: as given).
        models_available: model ids present in the store.
        n_rows: predictions read; n_dated: documents in ``tr_docs``; n_excluded: left out (see
            ``tr_excluded``).
        n_unpredicted: store documents without a prediction by this model.
        has_text: documents' text is available for the drill-down.
        gated_keys: order of ``tr_docs.sc``.
        notes: things the methods section should say about the data.
    """

    kind: SourceKind
    path: str
    model_id: str | None
    n_rows: int = 0
    n_dated: int = 0
    n_excluded: int = 0
    n_unpredicted: int = 0
    has_text: bool = False
    has_dup_count: bool = False
    gated_keys: list[str] = field(default_factory=list)
    models_available: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list_lit(values: list[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]::VARCHAR[]"


def detect_kind(path: str | Path) -> SourceKind:
    """Which kind of source ``path`` is (by suffix, or a DuckDB file by its header).

    Raises:
        InputError: missing path or unknown format.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("predictions not found; give the store (--db FILE) or a classify output "
                         "(PRED.jsonl, PRED.parquet, or a folder of Parquet shards)", path=str(p))
    if p.is_dir():
        if not any(p.rglob("*.parquet")):
            raise InputError("folder holds no .parquet files; give a folder of Parquet prediction shards",
                             path=str(p))
        return SourceKind.parquet_dir
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return SourceKind.jsonl
    if suffix == ".parquet":
        return SourceKind.parquet
    with p.open("rb") as fh:
        head = fh.read(16)
    if suffix in (".duckdb", ".db", ".ddb") or head[8:12] == _DUCKDB_MAGIC:
        return SourceKind.store
    raise InputError(f"unknown predictions format {p.suffix!r}; use the store (.duckdb) with --db, or a "
                     "classify output .jsonl / .parquet", path=str(p))


def _columns(con: Any, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _label_expr(taxonomy: Taxonomy, cols: dict[str, str]) -> str:
    """SQL building the ``labels`` list (score keys) from a classify output's facet columns."""
    gate = taxonomy.gate
    parts: list[str] = []
    for f in taxonomy.facets:
        if gate is not None and f is gate:
            continue
        key = f.output_key
        if key not in cols:
            continue
        c = _q(key)
        if f.kind is FacetKind.multi_label:
            parts.append(f"list_transform(coalesce(TRY_CAST({c} AS VARCHAR[]), []::VARCHAR[]), x -> {_lit(f.id + '.')} || x)")
        elif f.kind is FacetKind.single_label:
            parts.append(f"CASE WHEN {c} IS NULL THEN []::VARCHAR[] ELSE [{_lit(f.id + '.')} || CAST({c} AS VARCHAR)] END")
        else:
            parts.append(f"CASE WHEN TRY_CAST({c} AS BOOLEAN) THEN [{_lit(key)}] ELSE []::VARCHAR[] END")
    if not parts:
        return "[]::VARCHAR[]"
    out = parts[0]
    for p in parts[1:]:
        out = f"list_concat({out}, {p})"
    return out


def _file_relation(con: Any, kind: SourceKind, path: Path, taxonomy: Taxonomy) -> None:
    """Register the raw file as view ``tr_raw`` (raises a clear error when it is not a classify output)."""
    import duckdb

    p = str(path).replace("'", "''")
    try:
        if kind is SourceKind.jsonl:
            cols = {"id": "VARCHAR", "date": "VARCHAR", "city": "VARCHAR", "province": "VARCHAR",
                    "dup_count": "INTEGER", "text": "VARCHAR", "source": "VARCHAR", "outlet": "VARCHAR",
                    "scores": "MAP(VARCHAR, DOUBLE)", "evidence": "JSON", "skip_reason": "VARCHAR"}
            for f in taxonomy.facets:
                cols[f.output_key] = ("BOOLEAN" if f.kind is FacetKind.binary else
                                      "VARCHAR[]" if f.kind is FacetKind.multi_label else "VARCHAR")
            spec = "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in cols.items()) + "}"
            # the keys the file really has (detected on a sample); the typed view fills absent keys with NULL
            found = _columns(con, f"read_json('{p}', format='newline_delimited')")
            con.execute(f"CREATE OR REPLACE TEMP VIEW tr_raw AS SELECT * FROM read_json('{p}', "
                        f"format='newline_delimited', columns={spec})")
        elif kind is SourceKind.parquet:
            con.execute(f"CREATE OR REPLACE TEMP VIEW tr_raw AS SELECT * FROM read_parquet('{p}')")
        else:
            con.execute(f"CREATE OR REPLACE TEMP VIEW tr_raw AS SELECT * FROM read_parquet('{p}/**/*.parquet', "
                        "hive_partitioning=true, union_by_name=true)")
        if kind is not SourceKind.jsonl:
            found = _columns(con, "tr_raw")
    except duckdb.Error as exc:  # IO, invalid input, conversion errors for unreadable files
        raise InputError(f"cannot read predictions ({str(exc).splitlines()[0]}); expected classify output "
                         "(CONTRACTS.md 'Classifier output')", path=str(path)) from None
    gate = taxonomy.gate
    need = ["id", "scores"] + ([gate.output_key] if gate is not None else [])
    missing = [c for c in need if c not in found]
    if missing:
        raise InputError(f"not a classify output: no column(s) {missing} (found {list(found)[:12]}); write it "
                         "with `stigmascope classify … --out PRED.jsonl`", path=str(path), field=missing[0])


def load_predictions(con: Any, source: str | Path, *, taxonomy: Taxonomy, by: PlaceLevel = PlaceLevel.city,
                     weight: Weight = Weight.none, model_id: str | None = None) -> SourceInfo:
    """Read any prediction source into ``tr_docs`` / ``tr_long`` / ``tr_text`` / ``tr_excluded``.

    Args:
        con: an open DuckDB connection (in-memory is fine; the store is attached read-only).
        source: the store file, a classify output file, or a folder of Parquet shards.
        taxonomy: the label scheme the predictions were made with (the model's).
        by: place level of ``tr_docs.place``.
        weight: document weight (``dup_count`` needs that column: the store has it).
        model_id: which model's predictions to read from a store holding several.

    Returns:
        A :class:`SourceInfo`.

    Raises:
        InputError: unreadable source, missing columns, labels outside the taxonomy, no predictions.
    """
    kind = detect_kind(source)
    path = Path(source)
    gate = taxonomy.gate
    gate_key = gate.output_key if gate is not None else None
    gated_keys = [k for k in taxonomy.score_keys() if k != gate_key]
    info = SourceInfo(kind=kind, path=str(path), model_id=model_id, gated_keys=gated_keys)
    if kind is SourceKind.store:
        base = _store_base(con, path, info)
    else:
        _file_relation(con, kind, path, taxonomy)
        base = _file_base(con, taxonomy, info, weight)
    if weight is Weight.dup_count and not info.has_dup_count:
        raise InputError("--weight dup_count needs each document's dup_count: use the store (--db FILE), or a "
                         "predictions file with a dup_count column", path=str(path), field="dup_count")
    con.execute(f"CREATE OR REPLACE TEMP VIEW tr_base AS {base}")
    # checked on the predictions alone (the store's view joins documents: no need to run the join for this)
    _check_labels(con, taxonomy, path, "tr_pred_only" if kind is SourceKind.store else "tr_base")
    join, province_expr = "", "b.province"
    if by is PlaceLevel.province:
        _register_city_provinces(con)
        join, province_expr = " LEFT JOIN tr_city_province cp ON cp.c = b.city", "coalesce(b.province, cp.p)"
    w = "w_dup" if weight is Weight.dup_count else "1.0::DOUBLE"
    place_expr = "city" if by is PlaceLevel.city else "prov"
    k_gated = _list_lit(gated_keys)
    gate_score = f"scores[{_lit(gate_key)}]" if gate_key else "NULL::DOUBLE"
    relevant = "coalesce(relevant, false)" if gate_key else "scores IS NOT NULL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE tr_stage AS
        SELECT doc_id, date_raw, TRY_CAST(date_raw AS DATE) AS date, nullif(trim(b.city), '') AS city,
               nullif(trim(CAST({province_expr} AS VARCHAR)), '') AS prov, {w} AS w, {relevant} AS relevant,
               (scores IS NOT NULL AND cardinality(scores) > 0) AS scored,
               CASE WHEN scores IS NULL OR cardinality(scores) = 0 THEN NULL ELSE {gate_score} END AS p_gate,
               CASE WHEN {relevant} THEN labels ELSE []::VARCHAR[] END AS labels,
               CASE WHEN {relevant} AND scores IS NOT NULL AND cardinality(scores) > 0
                    THEN list_transform({k_gated}, k -> scores[k]) END AS sc
        FROM tr_base b{join}""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE tr_excluded AS
        SELECT doc_id, 'date' AS field,
               CASE WHEN date_raw IS NULL OR trim(CAST(date_raw AS VARCHAR)) = '' THEN 'no date'
                    ELSE 'unparseable date ' || CAST(date_raw AS VARCHAR) END AS reason
        FROM tr_stage WHERE date IS NULL""")
    # a view, not a second copy of every row: the dated documents of the one materialised table
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW tr_docs AS
        SELECT doc_id, date, city, prov AS province, coalesce({place_expr}, {_lit(UNKNOWN_PLACE)}) AS place,
               w, relevant, scored, p_gate, labels, sc
        FROM tr_stage WHERE date IS NOT NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW tr_long AS
        SELECT doc_id, date, place, w, {_lit(gate_key or '')} AS key, relevant AS decided, p_gate AS score
        FROM tr_docs WHERE scored
        UNION ALL
        SELECT doc_id, date, place, w, k.key, list_contains(labels, k.key) AS decided, sc[k.pos] AS score
        FROM tr_docs, (SELECT unnest({k_gated}) AS key, generate_subscripts({k_gated}, 1) AS pos) k
        WHERE relevant AND sc IS NOT NULL""")
    info.n_rows, info.n_dated = (int(v) for v in con.execute(
        "SELECT count(*), count(date) FROM tr_stage").fetchone())
    info.n_excluded = info.n_rows - info.n_dated
    if info.n_rows == 0:
        raise InputError("no predictions to aggregate (the source is empty)", path=str(path))
    return info


def _store_base(con: Any, path: Path, info: SourceInfo) -> str:
    import duckdb

    try:
        con.execute(f"ATTACH {_lit(str(path))} AS tr_store (READ_ONLY)")
    except duckdb.Error as exc:  # locked by a writer, or not a DuckDB file
        raise InputError(f"cannot open the corpus store read-only ({str(exc).splitlines()[0]}); is another "
                         "stigmascope process writing to it?", path=str(path)) from None
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_catalog = 'tr_store'").fetchall()}
    for t in ("documents", "predictions"):
        if t not in tables:
            what = "ingest documents with `stigmascope ingest`" if t == "documents" else \
                "classify them with `stigmascope classify --db FILE`"
            raise InputError(f"the store has no {t!r} table; {what} first", path=str(path), field=t)
    rows = con.execute("SELECT model, count(*), max(created_at) FROM tr_store.predictions GROUP BY model "
                       "ORDER BY max(created_at) DESC NULLS LAST").fetchall()
    info.models_available = [str(r[0]) for r in rows]
    if not rows:
        raise InputError("the store holds no predictions; run `stigmascope classify --db FILE` first",
                         path=str(path), field="predictions")
    if info.model_id is None:
        info.model_id = info.models_available[0]
        if len(rows) > 1:
            info.notes.append(f"the store holds predictions of {len(rows)} models; used the most recent, "
                              f"{info.model_id} (choose with --model or model_id)")
    elif info.model_id not in info.models_available:
        raise InputError(f"the store has no predictions by model {info.model_id!r}; it has {info.models_available}. "
                         "Classify with that model first, or omit --model", path=str(path), field="model")
    info.has_text = True
    info.has_dup_count = True
    mid = _lit(info.model_id)
    info.n_unpredicted = int(con.execute(
        "SELECT count(*) FROM tr_store.documents d WHERE NOT EXISTS (SELECT 1 FROM tr_store.predictions p "
        f"WHERE p.doc_id = d.id AND p.model = {mid})").fetchone()[0])
    con.execute(f"CREATE OR REPLACE TEMP VIEW tr_pred_only AS SELECT doc_id, labels, scores FROM tr_store.predictions "
                f"WHERE model = {mid}")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW tr_text AS
        SELECT p.doc_id, d.text, p.evidence, d.source, d.outlet FROM tr_store.predictions p
        JOIN tr_store.documents d ON d.id = p.doc_id WHERE p.model = {mid}""")
    return f"""SELECT p.doc_id, d.date AS date_raw, d.city, d.province, CAST(coalesce(d.dup_count, 1) AS DOUBLE) AS w_dup,
               p.relevant, p.labels, p.scores
        FROM tr_store.predictions p JOIN tr_store.documents d ON d.id = p.doc_id WHERE p.model = {mid}"""


def _file_base(con: Any, taxonomy: Taxonomy, info: SourceInfo, weight: Weight) -> str:
    cols = _columns(con, "tr_raw")
    gate = taxonomy.gate
    rel = f"TRY_CAST({_q(gate.output_key)} AS BOOLEAN)" if gate is not None else "NULL::BOOLEAN"
    has_dup = "dup_count" in cols and con.execute(
        "SELECT count(dup_count) FROM tr_raw").fetchone()[0] > 0
    info.has_dup_count = has_dup
    province = "CAST(province AS VARCHAR)" if "province" in cols else "NULL::VARCHAR"
    date = "date" if "date" in cols else "NULL::VARCHAR"
    city = "CAST(city AS VARCHAR)" if "city" in cols else "NULL::VARCHAR"
    scores = "scores" if "MAP" in cols["scores"].upper() else "TRY_CAST(scores AS MAP(VARCHAR, DOUBLE))"
    text = "CAST(text AS VARCHAR)" if "text" in cols else "NULL::VARCHAR"
    info.has_text = "text" in cols and con.execute("SELECT count(text) FROM tr_raw").fetchone()[0] > 0
    evidence = "TRY_CAST(evidence AS JSON)" if "evidence" in cols else "NULL::JSON"
    src = "CAST(source AS VARCHAR)" if "source" in cols else "NULL::VARCHAR"
    outlet = "CAST(outlet AS VARCHAR)" if "outlet" in cols else "NULL::VARCHAR"
    con.execute(f"CREATE OR REPLACE TEMP VIEW tr_text AS SELECT CAST(id AS VARCHAR) AS doc_id, {text} AS text, "
                f"{evidence} AS evidence, {src} AS source, {outlet} AS outlet FROM tr_raw")
    dup = "CAST(coalesce(dup_count, 1) AS DOUBLE)" if has_dup else "1.0"
    return (f"SELECT CAST(id AS VARCHAR) AS doc_id, {date} AS date_raw, {city} AS city, {province} AS province, "
            f"{dup} AS w_dup, {rel} AS relevant, {_label_expr(taxonomy, cols)} AS labels, {scores} AS scores "
            "FROM tr_raw")


def _check_labels(con: Any, taxonomy: Taxonomy, path: Path, relation: str) -> None:
    keys = _list_lit(taxonomy.score_keys())
    bad = con.execute(f"""SELECT doc_id, list_filter(labels, x -> NOT list_contains({keys}, x))[1] FROM {relation}
        WHERE NOT list_has_all({keys}, labels) LIMIT 1""").fetchone()
    if bad:
        raise InputError(f"document {bad[0]!r} has label {bad[1]!r}, which the taxonomy "
                         f"({taxonomy.name} {taxonomy.version}) does not have; pass --model with the model "
                         "(or --taxonomy) the predictions were made with", path=str(path), field="labels")
    bad = con.execute(f"""SELECT doc_id, list_filter(map_keys(scores), x -> NOT list_contains({keys}, x))[1]
        FROM {relation} WHERE scores IS NOT NULL AND NOT list_has_all({keys}, map_keys(scores)) LIMIT 1""").fetchone()
    if bad:
        raise InputError(f"document {bad[0]!r} has a score for {bad[1]!r}, which the taxonomy does not have; "
                         "pass --model with the model the predictions were made with", path=str(path),
                         field="scores")


def _register_city_provinces(con: Any) -> None:
    """Register ``tr_city_province(c, p)``: city → province from the gazetteer (for files without province)."""
    import pyarrow as pa

    from corpora.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    cities = list(gaz.cities)
    con.register("tr_city_province_arrow", pa.table({"c": cities, "p": [gaz.cities[c].province for c in cities]}))
    con.execute("CREATE OR REPLACE TEMP TABLE tr_city_province AS SELECT * FROM tr_city_province_arrow")
    con.unregister("tr_city_province_arrow")
