"""The real-text dev set: labels kept in the project, texts read from ``../shared/data/real``.

Real news and Weibo text is for measurement only: it is never copied into the project and never
trained on. What the project keeps is a label file keyed by a stable reference to each text
(``evaluation/data/real_dev_labels.jsonl``); the texts are joined in at load time when the folder is
present, so a user's clone without it simply has no real-text dev set.

Keys:
    ``ced:<source_file>#<index>``  a repost/comment in ced_weibo_rumor/reposts_comments_migrant_term_hits.jsonl
    ``hot:<date>:<sha1(title)[:12]>`` a title in weibo_hot_search/titles_migrant_term_hits.tsv
    ``cctv:<date>:<sha1(title)[:12]>`` a news item in xinwenlianbo_cctv/items.jsonl (its text, without
                                      the page's repaste markers)
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

__all__ = ["default_real_dir", "labels_path", "iter_candidates", "load_real_dev"]


def default_real_dir() -> Path:
    """``../shared/data/real`` beside the checkout (may not exist)."""
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def labels_path() -> Path:
    """The bundled label file of the real-text dev set."""
    return Path(str(resources.files("evaluation") / "data" / "real_dev_labels.jsonl"))


def _hot_key(date: str, title: str) -> str:
    return f"hot:{date}:{hashlib.sha1(title.encode('utf-8')).hexdigest()[:12]}"


def _cctv_key(date: str, title: str) -> str:
    return f"cctv:{date}:{hashlib.sha1(title.encode('utf-8')).hexdigest()[:12]}"


def cctv_text(raw: str) -> str:
    """A 新闻联播 item's text as the project reads it (the page's repaste markers removed)."""
    return raw.replace("<!--repaste.body.begin-->", "").replace("<!--repaste.body.end-->", "").strip()


def iter_candidates(real_dir: str | Path | None = None) -> Iterator[dict[str, Any]]:
    """Every text that can be labelled: ``{"key", "text", "date", "source"}`` (texts stay in memory)."""
    base = Path(real_dir) if real_dir else default_real_dir()
    ced = base / "ced_weibo_rumor" / "reposts_comments_migrant_term_hits.jsonl"
    if ced.exists():
        with ced.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                rec = row.get("record") or {}
                text = (rec.get("text") or "").strip()
                if text:
                    yield {"key": f"ced:{row['source_file']}#{row['index']}", "text": text,
                           "date": str(rec.get("date", ""))[:10] or None, "source": "weibo"}
    hot = base / "weibo_hot_search" / "titles_migrant_term_hits.tsv"
    if hot.exists():
        with hot.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                yield {"key": _hot_key(row["date"], row["title"]), "text": row["title"], "date": row["date"],
                       "source": "weibo_hot_search"}
    cctv = base / "xinwenlianbo_cctv" / "items.jsonl"
    if cctv.exists():
        with cctv.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                d, text = str(row.get("date", "")), cctv_text(str(row.get("text") or ""))
                if text:
                    yield {"key": _cctv_key(d, str(row.get("title") or "")), "text": text,
                           "date": f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else None, "source": "news"}


def load_real_dev(real_dir: str | Path | None = None, labels: str | Path | None = None) -> list[dict[str, Any]]:
    """Labelled real texts as gold rows (``id, text, date, source, labels``); empty when the folder is absent."""
    from models.taxonomy import load_taxonomy

    tax = load_taxonomy()
    lab_file = Path(labels) if labels else labels_path()
    if not lab_file.exists():
        return []
    wanted = {}
    with lab_file.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                wanted[row["key"]] = tax.validate_labels(row["labels"], where=f"{lab_file}:{lineno}")
    out = []
    for cand in iter_candidates(real_dir):
        if cand["key"] in wanted:
            out.append({"id": cand["key"], "text": cand["text"], "date": cand["date"], "source": cand["source"],
                        "labels": wanted.pop(cand["key"])})
    return out


def _main(argv: list[str]) -> int:
    if argv[:1] == ["candidates"]:
        for cand in iter_candidates():
            print(json.dumps(cand, ensure_ascii=False))
        return 0
    if argv[:1] == ["export"] and len(argv) == 2:  # a gold file for `stigmascope evaluate` (outside the repo!)
        with open(argv[1], "w", encoding="utf-8") as fh:
            for row in load_real_dev():
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 0
    print("usage: python -m evaluation.real_dev candidates | export OUT.jsonl", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
