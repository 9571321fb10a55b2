"""Process one batch of records: fields → normalise → date → city → keys and dedup → rows to write.

Used by :func:`corpora.ingest.ingest_paths`, which reads the files and hands batches here. Each stage runs
over the whole batch (so the time per stage can be measured) and drops the records it rejects, with a
message that names the field and says what to do.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from corpora.dedup import DedupItem, Deduplicator, content_hash, hash64, key64, numbers_field
from corpora.fields import FieldMap
from corpora.readers import Reason, Record, raw_of
from corpora.store import BatchWrite

if TYPE_CHECKING:  # pragma: no cover
    from corpora.ingest import FileReport, IngestConfig, IngestReport

__all__ = ["Pipeline", "process_batch"]

_CHINA = timezone(timedelta(hours=8))
_CHAIN_HEAD = re.compile(r"@([^:：\s]{1,40})\s*[:：]\s*")
# Texts that are a platform's placeholder, not the author's words (after normalisation).
_NO_OWN_WORDS = frozenset({"转发微博", "转发", "repost", "轉發微博", "分享图片", "分享图片。", "图片评论"})


@dataclass(slots=True)
class _Doc:
    rec: Record
    fields: dict[str, Any]
    raw_text: str
    record_key: str = ""
    doc_id: str = ""
    fallback_key: str | None = None
    text: str = ""
    quoted: str | None = None
    script: str = "none"
    meta: dict[str, Any] = field(default_factory=dict)
    dt: datetime | None = None
    city: str | None = None
    province: str | None = None
    city_source: str = "none"


class Pipeline:
    """Per-run state: the normaliser, date cache, city resolver, deduplicator and report."""

    def __init__(self, store: Any, report: IngestReport, config: IngestConfig, crawl_time: datetime | None) -> None:
        """Build the per-run stages (normaliser, city resolver, deduplicator) over an open store."""
        from corpora.cities import CityResolver
        from corpora.normalise import Normaliser

        self.store, self.report, self.config, self.crawl_time = store, report, config, crawl_time
        self.normaliser = Normaliser()
        self.resolver = CityResolver()
        self.dedup = Deduplicator(store, config.dedup)
        self.date_cache: dict[Any, datetime | str] = {}
        self.meta_cache: dict[str, Any] = {}
        self.max_year = (crawl_time or datetime.now()).year + 1

    # -- stages ----------------------------------------------------------------------------------
    def parse_date(self, value: Any) -> datetime | str:
        """A naive China-time datetime, or an error message."""
        key = value if isinstance(value, (str, int, float)) else None
        if key is not None and key in self.date_cache:
            return self.date_cache[key]
        from corpora.dates import parse_date

        try:
            if isinstance(value, datetime):
                dt = value
            elif isinstance(value, Date):
                dt = datetime(value.year, value.month, value.day)
            else:
                dt = parse_date(value.strip() if isinstance(value, str) else value, crawl_time=self.crawl_time)
            if dt.tzinfo is not None:
                dt = dt.astimezone(_CHINA).replace(tzinfo=None)
            result: datetime | str = dt
            if not self.config.min_year <= dt.year <= self.max_year:
                result = f"implausible date {dt:%Y-%m-%d} from {value!r} (outside {self.config.min_year}–{self.max_year})"
        except ValueError as exc:
            result = f"unparseable date {value!r}: {exc}"
        if key is not None and len(self.date_cache) < 200_000:
            self.date_cache[key] = result
        return result

    def resolve_city(self, text: str, meta: str | None) -> Any:
        """City of a document; a metadata value that names a city is resolved once and cached."""
        if meta:
            hit = self.meta_cache.get(meta)
            if hit is None:
                hit = self.resolver.resolve("", meta)
                if len(self.meta_cache) < 100_000:
                    self.meta_cache[meta] = hit
            if hit.source == "metadata" and hit.city:
                return hit
        return self.resolver.resolve(text, meta)


def _rejected_row(run_id: str, rec: Record, reason: str, field_name: str | None, limit: int) -> tuple:
    return (run_id, rec.file, rec.line, field_name, reason, raw_of(rec, limit))


def process_batch(pipe: Pipeline, fr: FileReport, batch: list[Record], mapping: FieldMap | None,
                  fingerprint: str, *, clear: bool, fresh: bool = False) -> None:
    """Turn one batch of records into documents, folded copies and rejections, and write them in one transaction.

    Args:
        pipe: the run's stages and report.
        fr: the file's report (counts are added to it).
        batch: records as read, in file order.
        mapping: the file's field mapping (None only when the file had no readable record).
        fingerprint: the file's :func:`~corpora.ingest.file_fingerprint` (keys records without an id).
        clear: first batch of the file: also delete the file's rejections from earlier runs (they are
            rejected again now if still bad).
        fresh: the file was never ingested before (skip the already-ingested lookup for line keys).
    """
    cfg, report, run_id = pipe.config, pipe.report, pipe.report.run_id
    stage = report.stage_seconds
    out = BatchWrite(clear_rejected_files=[fr.path] if clear else [])
    fr.records += len(batch)

    def reject(rec: Record, reason: str, field_name: str | None, message: str) -> None:
        fr.rejected[reason] += 1
        report.examples.setdefault(reason, f"{rec.file}:{rec.line}: {message}")
        out.rejected.append(_rejected_row(run_id, rec, reason, field_name, cfg.raw_max_chars))

    # 1. fields and text checks
    t = time.perf_counter()
    docs: list[_Doc] = []
    text_field = (mapping.path_of("text") or mapping.path_of("title")) if mapping else None
    for rec in batch:
        if rec.error is not None:
            reject(rec, rec.error.reason.value, rec.error.field, rec.error.message)
            continue
        if mapping is None:  # pragma: no cover - a batch with data always has a mapping
            continue
        fields = mapping.extract(rec.data or {})
        body, title = fields.get("text"), fields.get("title")
        if body is None and title is None:
            reject(rec, Reason.missing_text.value, text_field,
                   f"no text field {text_field!r} in this record; map the right field with --map text=FIELD")
            continue
        parts = []
        for value in (title, body):
            if isinstance(value, (dict, list)):
                reject(rec, Reason.bad_text.value, text_field, f"text is a {type(value).__name__}, not a string; "
                       "map a string field (e.g. --map text=record.text)")
                break
            if value is not None and str(value).strip():
                parts.append(str(value).strip())
        else:
            raw_text = "\n".join(parts)
            if not raw_text:
                reject(rec, Reason.empty_text.value, text_field, "text is empty")
            elif len(raw_text) > cfg.max_text_chars:
                reject(rec, Reason.text_too_long.value, text_field,
                       f"text has {len(raw_text):,} characters, above max_text_chars={cfg.max_text_chars:,} "
                       "(set max_text_chars in the ingest config to keep such records)")
            else:
                doc = _Doc(rec, fields, raw_text)
                if len(parts) == 2:
                    doc.meta["has_title"] = True
                docs.append(doc)
    stage["fields"] += time.perf_counter() - t

    # 2. normalise
    t = time.perf_counter()
    kept: list[_Doc] = []
    normalise = pipe.normaliser.normalise
    for d in docs:
        norm = normalise(d.raw_text)
        text, quoted = norm.text.strip(), (norm.quoted or "").strip() or None
        if not text and not quoted:
            reject(d.rec, Reason.empty_text.value, text_field,
                   "text is empty after normalisation (only links, mentions or emoji codes)")
            continue
        if text.lower() in _NO_OWN_WORDS:
            text = ""
        if not text:
            chain = _split_chain(quoted or "")
            while chain and not chain[0][1]:
                chain.pop(0)
            if not chain:
                reject(d.rec, Reason.empty_text.value, text_field,
                       f"no words of its own ({d.raw_text[:20]!r}): a repost whose original is not in the record")
                continue
            (user, text), rest = chain[0], chain[1:]
            quoted = " //".join(f"@{u}: {w}" if u else w for u, w in rest) or None
            d.meta["pure_repost"] = True
            if user:
                d.meta["reposted_from"] = user
        d.text, d.quoted, d.script = text, quoted, norm.script
        if norm.mentions:
            d.meta["mentions"] = norm.mentions
        if norm.hashtags:
            d.meta["hashtags"] = norm.hashtags
        kept.append(d)
    stage["normalise"] += time.perf_counter() - t

    # 3. dates
    t = time.perf_counter()
    docs, kept = kept, []
    date_field = mapping.path_of("date") if mapping else None
    for d in docs:
        value = d.fields.get("date")
        if value is None or (isinstance(value, str) and not value.strip()):
            fr.no_date += 1
            kept.append(d)
            continue
        parsed = pipe.parse_date(value)
        if isinstance(parsed, str):
            reject(d.rec, Reason.bad_date.value, date_field, parsed + "; fix the value, map another field with "
                   "--map date=FIELD, or pass --crawl-time for relative dates")
            continue
        d.dt = parsed
        kept.append(d)
    stage["dates"] += time.perf_counter() - t

    # 4. cities
    t = time.perf_counter()
    for d in kept:
        meta = d.fields.get("city")
        meta = str(meta).strip() if meta is not None and str(meta).strip() else None
        text = d.text
        if d.meta.get("has_title") and "\n" in text:  # the body's first line may be a dateline: put it first
            title, body = text.split("\n", 1)
            text = f"{body}\n{title}"
        hit = pipe.resolve_city(text if not d.quoted else f"{text}\n{d.quoted}", meta)
        d.city, d.province, d.city_source = hit.city, hit.province, hit.source
        if meta:
            d.meta["city_meta"] = meta
    stage["cities"] += time.perf_counter() - t

    # 5. keys, dedup, rows
    t = time.perf_counter()
    items = []
    for d in kept:
        rec = d.rec
        ident = d.fields.get("id")
        ident = str(ident).strip() if ident is not None and not isinstance(ident, (dict, list)) else ""
        if ident:
            d.record_key, d.doc_id = f"id:{ident}", ident
            d.fallback_key = f"{fingerprint}:{rec.line}"
        else:
            d.record_key, d.doc_id = f"{fingerprint}:{rec.line}", f"{fingerprint}-{rec.line}"
        items.append(DedupItem(d.record_key, d.doc_id, d.text, content_hash(d.text)))
    _rekey_colliding_ids(pipe, kept, items, fingerprint)
    decisions, sigs, sig_idx = pipe.dedup.resolve(items, fresh_prefix=f"{fingerprint}:" if fresh else None)
    stage["dedup"] += time.perf_counter() - t

    t = time.perf_counter()
    now = datetime.now()
    meta_head = '{"file": ' + json.dumps(fr.path, ensure_ascii=False) + ', "line": '
    new_index: dict[str, int] = {}
    cols = out.documents
    for d, it, dec in zip(kept, items, decisions):
        rec = d.rec
        if dec.kind == "seen":
            fr.already_ingested += 1
            continue
        day = d.dt.date() if d.dt else None
        if dec.kind == "new":
            fr.stored += 1
            report.cities[d.city_source] += 1
            new_index[it.doc_id] = len(cols["id"])
            if d.meta.pop("has_title", None):
                d.meta["title"] = str(d.fields["title"]).strip()
            meta = f'{meta_head}{rec.line}' + (", " + json.dumps(d.meta, ensure_ascii=False, default=str)[1:]
                                                if d.meta else "}")
            for name, value in (("id", it.doc_id), ("text", d.text), ("raw_text", d.raw_text),
                                ("quoted_text", d.quoted), ("date", day), ("datetime", d.dt), ("city", d.city),
                                ("province", d.province), ("city_source", d.city_source),
                                ("source", _str(d.fields.get("source"))), ("outlet", _str(d.fields.get("outlet"))),
                                ("script", d.script), ("content_hash", it.content_hash), ("dup_of", None),
                                ("dup_count", 1), ("meta", meta),
                                ("run_id", run_id), ("ingested_at", now)):
                cols[name].append(value)
        else:
            if dec.kind == "exact":
                fr.exact_dups += 1
            else:
                fr.near_dups += 1
            target = dec.target or ""
            if target in new_index:
                cols["dup_count"][new_index[target]] += 1
            else:
                out.dup_increments[target] = out.dup_increments.get(target, 0) + 1
        out.ingested.append((it.record_key, it.doc_id if dec.kind == "new" else dec.target, it.content_hash,
                             "stored" if dec.kind == "new" else dec.kind, dec.similarity, rec.file, rec.line,
                             day, run_id))
    if sigs is not None and len(sig_idx):
        ids = [items[i].doc_id for i in sig_idx]
        out.signatures = [(items[i].doc_id, sig.tobytes(), numbers_field(items[i].text))
                          for i, sig in zip(sig_idx, sigs)]
        buckets = pipe.dedup.hasher.buckets(sigs)
        nb = buckets.shape[1]
        out.bands = (np.tile(np.arange(nb, dtype=np.uint8), len(ids)), buckets.reshape(-1),
                     [doc_id for doc_id in ids for _ in range(nb)])
    pipe.store.write_batch(out)
    stage["write"] += time.perf_counter() - t


def _rekey_colliding_ids(pipe: Pipeline, docs: list[_Doc], items: list[DedupItem], fingerprint: str) -> None:
    """A mapped id already stored with a *different* text is another document: key it by file and line.

    The same id with the same text is the same record crawled again (skipped as already ingested).
    """
    import pyarrow as pa

    keyed = [i for i, d in enumerate(docs) if d.fallback_key]
    if not keyed:
        return
    con = pipe.store.con
    ask = {key64(items[i].record_key): items[i].record_key for i in keyed}
    con.register("_q_ids", pa.table({"k": pa.array(list(ask), pa.uint64())}))
    stored = {ask[k]: h for k, h in con.execute("SELECT key64, any_value(hash64) FROM ingested_records "
                                                "WHERE key64 IN (SELECT k FROM _q_ids) GROUP BY key64").fetchall()}
    con.unregister("_q_ids")
    in_batch: dict[str, int] = {}
    for i in keyed:
        d, it = docs[i], items[i]
        known = stored.get(it.record_key, in_batch.get(it.record_key))
        if known is not None and known != hash64(it.content_hash):
            it.record_key = d.record_key = d.fallback_key or it.record_key
            it.doc_id = d.doc_id = f"{d.doc_id}~{fingerprint}-{d.rec.line}"
        else:
            in_batch.setdefault(it.record_key, hash64(it.content_hash))


def _split_chain(quoted: str) -> list[tuple[str | None, str]]:
    """``@a: words //@b: more`` → ``[("a", "words"), ("b", "more")]`` (speaker None when absent)."""
    out: list[tuple[str | None, str]] = []
    for seg in quoted.split("//"):
        seg = seg.strip()
        if not seg:
            continue
        m = _CHAIN_HEAD.match(seg)
        out.append((m.group(1), seg[m.end():].strip()) if m else (None, seg))
    return out


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value).strip()
    return s or None

