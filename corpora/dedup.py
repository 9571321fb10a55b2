"""Exact and near-duplicate detection, so reposts of one post count once (with ``dup_count`` kept).

- **Exact**: the BLAKE2b hash of the normalised text with whitespace removed (``content_hash``).
- **Near**: character shingles (3-grams by default) → MinHash signatures (datasketch ``MinHash.bulk`` with
  CRC-32 as the base hash: stable across processes and twice as fast as datasketch's default SHA-1)
  → LSH banding (``b`` bands of ``r`` rows chosen, as datasketch's ``MinHashLSH`` does, to minimise the
  false positive + negative area around the threshold, with false negatives weighted up) → candidates
  verified by the signatures' estimated Jaccard similarity ≥ ``threshold`` *and* the same stated numbers
  (:func:`number_tokens`: formulaic news about different meetings or dates shares most of its text). Texts shorter than ``min_chars`` are
  only deduplicated exactly: in a headline (``北京新增确诊3例`` vs ``…5例``) one character is the news.
- **Idempotence**: records are keyed (``record_key``); a key already in ``ingested_records`` is skipped.

The state lives in the store, not in memory: each batch looks its keys, hashes and band buckets up with
one join per table, so memory does not grow with the corpus and later runs see earlier documents.

Example:
    >>> import numpy as np
    >>> hasher = MinHasher(DedupConfig())
    >>> sig = hasher.signatures(["农民工讨薪难的问题一直困扰着建筑工地上的工人们，今年有所好转",
    ...                          "农民工讨薪难的问题一直困扰着建筑工地上的工人们，今年有所好转！"])
    >>> sig.shape, float(estimate_jaccard(sig[0], sig[1])) > 0.8
    ((2, 128), True)
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from stigmascope.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from corpora.store import CorpusStore

__all__ = [
    "Decision",
    "DedupConfig",
    "DedupItem",
    "Deduplicator",
    "MinHasher",
    "content_hash",
    "estimate_jaccard",
    "hash64",
    "key64",
    "lsh_params",
]


@dataclass
class DedupConfig:
    """Near-duplicate settings (part of the ingest config).

    Attributes:
        near: detect near-duplicates (exact duplicates are always folded).
        threshold: estimated Jaccard similarity of shingle sets at or above which two texts are one.
        shingle_size: characters per shingle.
        num_perm: MinHash permutations (signature length).
        min_chars: texts shorter than this (after removing whitespace) are only deduplicated exactly.
        max_chars: only the first ``max_chars`` characters are shingled (bounds the cost of long texts).
        seed: MinHash seed (fixed so signatures from different runs are comparable).
    """

    near: bool = True
    threshold: float = 0.8
    shingle_size: int = 3
    num_perm: int = 128
    min_chars: int = 30
    max_chars: int = 2000
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"dedup threshold must be in (0, 1], got {self.threshold}")
        if not 1 <= self.shingle_size <= 10:
            raise ValueError(f"shingle_size must be 1..10, got {self.shingle_size}")
        if not 16 <= self.num_perm <= 1024:
            raise ValueError(f"num_perm must be 16..1024, got {self.num_perm}")
        if self.min_chars < self.shingle_size:
            raise ValueError(f"min_chars ({self.min_chars}) must be >= shingle_size ({self.shingle_size})")
        if self.max_chars < self.min_chars:
            raise ValueError(f"max_chars ({self.max_chars}) must be >= min_chars ({self.min_chars})")

    def fingerprint(self) -> str:
        """The parameters that make stored signatures comparable (checked against the store)."""
        b, r = lsh_params(self.threshold, self.num_perm)
        return f"perm={self.num_perm};k={self.shingle_size};seed={self.seed};bands={b}x{r};hash=crc32"


def _squash(text: str) -> str:
    return "".join(text.split())


def content_hash(text: str) -> str:
    """Hash of a normalised text with all whitespace removed (32 hex characters)."""
    return hashlib.blake2b(_squash(text).encode("utf-8"), digest_size=16).hexdigest()


def hash64(content_hash_hex: str) -> int:
    """The first 64 bits of a :func:`content_hash` (joins on integers are several times faster)."""
    return int(content_hash_hex[:16], 16)


def key64(record_key: str) -> int:
    """A 64-bit hash of a record key (for the already-ingested lookup)."""
    return int.from_bytes(hashlib.blake2b(record_key.encode("utf-8"), digest_size=8).digest(), "big")


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int, fp_weight: float = 0.1) -> tuple[int, int]:
    """Bands ``b`` and rows ``r`` (``b*r <= num_perm``) minimising weighted false positive/negative area.

    The probability that two texts of Jaccard ``s`` share a bucket is ``1 - (1 - s**r)**b``. False
    positives are weighted low (0.1) because every candidate is verified on its signature anyway: at
    threshold 0.8 and 128 permutations this gives 14 bands of 9 rows, which finds a pair of similarity
    0.8 / 0.85 / 0.9 with probability 0.87 / 0.98 / 0.999 (equal weights would give 0.40 / 0.69 / 0.93).
    """
    xs = np.linspace(0.0, 1.0, 401)
    lo, hi = xs <= threshold, xs >= threshold
    best, best_err = (1, num_perm), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            p = 1.0 - (1.0 - xs**r) ** b
            fp = np.trapezoid(p[lo], xs[lo])
            fn = np.trapezoid(1.0 - p[hi], xs[hi])
            err = fp_weight * fp + (1 - fp_weight) * fn
            if err < best_err:
                best, best_err = (b, r), err
    return best


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*|第[零〇一二两三四五六七八九十百千万]+|"
                     r"[零〇一二两三四五六七八九十百千万亿]+(?=[届次期号年月日时名人个位万亿元岁天条项批轮])")


def numbers_field(text: str) -> str:
    """:func:`number_tokens` as stored in ``minhash_signatures.numbers`` (space-separated)."""
    return " ".join(number_tokens(text))


def number_tokens(text: str) -> tuple[str, ...]:
    """The numbers a text states (digits, 第N, and Chinese numerals before a counter such as 届/次/月/名), sorted.

    Near-duplicates must state the same numbers: formulaic reports of different events
    (``十四届全国人大二次会议`` vs ``…四次会议``, ``第二十二次委员长会议`` vs ``第六十四次``) share most
    shingles but are different documents, while reposts with small edits keep the numbers.
    """
    return tuple(sorted(_NUMBER.findall(text)))


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures (share of equal slots)."""
    return float(np.count_nonzero(a == b)) / len(a)


class MinHasher:
    """Character-shingle MinHash signatures and LSH band buckets."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.bands, self.rows = lsh_params(config.threshold, config.num_perm)
        rng = np.random.default_rng(12345)
        self._mix = rng.integers(1, 2**63 - 1, size=self.rows, dtype=np.uint64) | np.uint64(1)

    def shingles(self, text: str) -> list[bytes]:
        """The text's shingles (whitespace removed, first ``max_chars`` characters), UTF-8 encoded."""
        s = _squash(text)[: self.config.max_chars]
        k = self.config.shingle_size
        return list({s[i:i + k].encode("utf-8") for i in range(max(1, len(s) - k + 1))})

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures, shape ``(len(texts), num_perm)``, dtype uint32."""
        from datasketch import MinHash

        if not texts:
            return np.zeros((0, self.config.num_perm), dtype=np.uint32)
        hashes = MinHash.bulk([self.shingles(t) for t in texts], num_perm=self.config.num_perm,
                              seed=self.config.seed, hashfunc=zlib.crc32)
        return np.vstack([m.hashvalues for m in hashes]).astype(np.uint32)

    def buckets(self, sigs: np.ndarray) -> np.ndarray:
        """LSH bucket per band, shape ``(n, bands)``, dtype uint64 (a mixed hash of the band's rows)."""
        n = sigs.shape[0]
        used = sigs[:, : self.bands * self.rows].astype(np.uint64).reshape(n, self.bands, self.rows)
        with np.errstate(over="ignore"):
            mixed = (used * self._mix).sum(axis=2, dtype=np.uint64)
            mixed ^= mixed >> np.uint64(29)
        return mixed


@dataclass(slots=True)
class DedupItem:
    """One candidate document: its record key, proposed id, text to compare and exact hash."""

    record_key: str
    doc_id: str
    text: str
    content_hash: str


@dataclass(slots=True)
class Decision:
    """What to do with an item: ``new`` (store), ``exact``/``near`` (fold into ``target``), ``seen`` (skip)."""

    kind: str
    target: str | None = None
    similarity: float | None = None


class Deduplicator:
    """Decide, batch by batch, which items are new, duplicates of stored documents, or already ingested."""

    def __init__(self, store: CorpusStore, config: DedupConfig) -> None:
        self.store = store
        self.config = config
        self.hasher = MinHasher(config)
        stored = store.info("minhash")
        if stored is None:
            if not store.read_only:
                store.set_info("minhash", config.fingerprint())
        elif config.near and stored != config.fingerprint():
            raise ConfigError(f"{store.path}: near-duplicate settings differ from those this store was built with "
                              f"({stored} vs {config.fingerprint()}); use the same dedup settings or a new --db")

    def resolve(self, items: Sequence[DedupItem], *, fresh_prefix: str | None = None
                ) -> tuple[list[Decision], np.ndarray | None, list[int]]:
        """Decide for every item, in order (earlier items win within the batch).

        Args:
            items: the batch.
            fresh_prefix: record keys starting with it are known never to have been ingested (a file seen
                for the first time), so they skip the already-ingested lookup.

        Returns:
            decisions (one per item); signatures ``(m, num_perm)`` uint32 of the new near-dup-eligible items
            (or None); and the indices of those ``m`` items.
        """
        import pyarrow as pa

        con = self.store.con
        decisions: list[Decision | None] = [None] * len(items)
        ask = {key64(it.record_key): it.record_key for it in items
               if not (fresh_prefix and it.record_key.startswith(fresh_prefix))}
        seen: set[str] = set()
        if ask:
            con.register("_q_keys", pa.table({"k": pa.array(list(ask), pa.uint64())}))
            seen = {ask[r[0]] for r in con.execute(
                "SELECT DISTINCT key64 FROM ingested_records WHERE key64 IN (SELECT k FROM _q_keys)").fetchall()}
            con.unregister("_q_keys")
        batch_keys: set[str] = set()
        for i, it in enumerate(items):
            if it.record_key in seen or it.record_key in batch_keys:
                decisions[i] = Decision("seen")
            batch_keys.add(it.record_key)

        live = [i for i in range(len(items)) if decisions[i] is None]
        hashes = {i: hash64(items[i].content_hash) for i in live}
        known: dict[int, str] = {}
        if hashes:
            con.register("_q_hash", pa.table({"h": pa.array(list(set(hashes.values())), pa.uint64())}))
            known = dict(con.execute("SELECT hash64, min(doc_id) FROM ingested_records "
                                     "WHERE hash64 IN (SELECT h FROM _q_hash) GROUP BY hash64").fetchall())
            con.unregister("_q_hash")
        first_in_batch: dict[int, int] = {}
        copies: list[tuple[int, int]] = []  # (item, earlier item in this batch with the same hash)
        for i in live:
            h = hashes[i]
            if h in known:
                decisions[i] = Decision("exact", known[h], 1.0)
            elif h in first_in_batch:
                decisions[i] = Decision("exact", None, 1.0)
                copies.append((i, first_in_batch[h]))
            else:
                first_in_batch[h] = i

        eligible = [i for i in live if decisions[i] is None and self.config.near
                    and len(_squash(items[i].text)) >= self.config.min_chars]
        sigs = None
        if eligible:
            sigs = self.hasher.signatures([items[i].text for i in eligible])
            self._near(items, eligible, sigs, decisions)
        out = [d if d is not None else Decision("new") for d in decisions]
        for i, first in copies:  # fold into the first copy, or into what the first copy was folded into
            out[i].target = out[first].target if out[first].kind == "near" else items[first].doc_id
        keep = [j for j, i in enumerate(eligible) if out[i].kind == "new"]
        new_sigs = sigs[keep] if sigs is not None else None
        return out, new_sigs, [eligible[j] for j in keep]

    def _near(self, items: Sequence[DedupItem], eligible: list[int], sigs: np.ndarray,
              decisions: list[Decision | None]) -> None:
        import pyarrow as pa

        con = self.store.con
        buckets = self.hasher.buckets(sigs)  # (m, bands)
        m, nb = buckets.shape
        band_idx = np.tile(np.arange(nb, dtype=np.uint8), m)
        con.register("_q_bk", pa.table({"band": pa.array(band_idx, pa.uint8()),
                                        "bucket": pa.array(buckets.reshape(-1), pa.uint64()),
                                        "j": pa.array(np.repeat(np.arange(m), nb), pa.int64())}))
        rows = con.execute("SELECT DISTINCT q.j, b.doc_id FROM _q_bk q JOIN minhash_bands b "
                           "ON b.band = q.band AND b.bucket = q.bucket").fetchall()
        con.unregister("_q_bk")
        cand: dict[int, set[str]] = {}
        for j, doc_id in rows:
            cand.setdefault(j, set()).add(doc_id)
        stored_sigs: dict[str, np.ndarray] = {}
        stored_numbers: dict[str, tuple[str, ...]] = {}
        wanted = sorted({d for ds in cand.values() for d in ds})
        if wanted:
            con.register("_q_ids", pa.table({"d": wanted}))
            for doc_id, blob, nums in con.execute("SELECT doc_id, sig, numbers FROM minhash_signatures "
                                                  "WHERE doc_id IN (SELECT d FROM _q_ids)").fetchall():
                stored_sigs[doc_id] = np.frombuffer(blob, dtype=np.uint32)
                stored_numbers[doc_id] = tuple(nums.split(" ")) if nums else ()
            con.unregister("_q_ids")
        numbers = [number_tokens(items[i].text) for i in eligible]
        threshold = self.config.threshold
        in_batch: dict[tuple[int, int], list[int]] = {}  # (band, bucket) -> earlier new eligible positions j
        for j, i in enumerate(eligible):
            scored: list[tuple[float, str, tuple[str, ...]]] = []
            for doc_id in cand.get(j, ()):
                sig = stored_sigs.get(doc_id)
                if sig is not None:
                    scored.append((estimate_jaccard(sigs[j], sig), doc_id, stored_numbers[doc_id]))
            peers = {p for b in range(nb) for p in in_batch.get((b, int(buckets[j, b])), ())}
            for p in peers:
                scored.append((estimate_jaccard(sigs[j], sigs[p]), items[eligible[p]].doc_id, numbers[p]))
            # the most similar candidate above the threshold that states the same numbers
            match = max(((sim, doc_id) for sim, doc_id, nums in scored if sim >= threshold and nums == numbers[j]),
                        default=None)
            if match is not None:
                decisions[i] = Decision("near", match[1], match[0])
                continue
            for b in range(nb):
                in_batch.setdefault((b, int(buckets[j, b])), []).append(j)
