"""Describe a corpus store: documents, copies folded, rejected by reason, by source and year, city coverage.

Example:
    >>> from corpora.stats import corpus_stats
    >>> s = corpus_stats("corpus.duckdb")       # doctest: +SKIP
    >>> s.documents, s.city_share, s.top_cities[:3]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpora.store import DEFAULT_DB, open_store

__all__ = ["CorpusStats", "corpus_stats"]


@dataclass
class CorpusStats:
    """Summary figures of one store.

    Attributes:
        documents: stored documents (after folding duplicates).
        copies: input records the documents stand for (``sum(dup_count)``).
        rejected: rejected records by reason (from every run).
        by_source: documents per ``source`` (``(none)`` when unmapped).
        by_year: documents per year of ``date`` (``(no date)`` for NULL dates).
        by_city_source: documents per attribution method (``metadata|dateline|text|none``).
        with_city: documents with a city; ``with_province``: with at least a province.
        top_cities: ``(city, province, documents)`` for the most frequent cities.
        by_script: documents per detected script of the raw text.
        runs: ingestion runs by status.
    """

    db: str
    documents: int = 0
    copies: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    by_year: dict[str, int] = field(default_factory=dict)
    by_city_source: dict[str, int] = field(default_factory=dict)
    with_city: int = 0
    with_province: int = 0
    top_cities: list[tuple[str, str | None, int]] = field(default_factory=list)
    by_script: dict[str, int] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def city_share(self) -> float:
        """Share of documents with a city (0 for an empty store)."""
        return self.with_city / self.documents if self.documents else 0.0

    @property
    def province_share(self) -> float:
        """Share of documents with at least a province."""
        return self.with_province / self.documents if self.documents else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able figures, with the shares."""
        return {**asdict(self), "rejected_total": self.rejected_total, "city_share": round(self.city_share, 4),
                "province_share": round(self.province_share, 4)}


def corpus_stats(db: str | Path = DEFAULT_DB, *, top: int = 15) -> CorpusStats:
    """Compute :class:`CorpusStats` for a store (opened read-only).

    Args:
        db: the corpus store.
        top: how many cities to list in ``top_cities``.

    Raises:
        InputError: the store does not exist or is not a corpus store.
    """
    with open_store(db, read_only=True) as store:
        q = store.con.execute

        def counts(sql: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in q(sql).fetchall()}

        docs, copies, with_city, with_prov = q(
            "SELECT count(*), coalesce(sum(dup_count), 0), count(city), count(province) FROM documents").fetchone()
        return CorpusStats(
            db=str(db), documents=int(docs), copies=int(copies), with_city=int(with_city),
            with_province=int(with_prov),
            rejected=counts("SELECT reason, count(*) FROM rejected GROUP BY reason ORDER BY 2 DESC, 1"),
            by_source=counts("SELECT coalesce(source, '(none)'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1"),
            by_year=counts("SELECT coalesce(CAST(year(date) AS VARCHAR), '(no date)') AS y, count(*) FROM documents "
                           "GROUP BY 1 ORDER BY 1"),
            by_city_source=counts("SELECT coalesce(city_source, 'none'), count(*) FROM documents GROUP BY 1 "
                                  "ORDER BY 2 DESC, 1"),
            top_cities=[(c, p, int(n)) for c, p, n in q(
                "SELECT city, any_value(province), count(*) FROM documents WHERE city IS NOT NULL "
                "GROUP BY city ORDER BY 3 DESC, 1 LIMIT ?", [top]).fetchall()],
            by_script=counts("SELECT coalesce(script, 'none'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1"),
            runs=counts("SELECT status, count(*) FROM runs GROUP BY status ORDER BY 1"),
        )
