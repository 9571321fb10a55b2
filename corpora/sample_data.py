"""Regenerate the bundled sample inputs (``corpora/sample/``) used by ``make demo``.

The sample is the bundled corpus's dev and test documents (written for the project, never trained on
by the default model) dressed up as the messy exports users arrive with:

* ``news_export_gbk.csv`` — a news-database export in GBK with Chinese column names, ``2019年5月1日 08:30``
  dates, some empty city cells, one record with an empty text;
* ``weibo_crawl.json`` — a crawler's JSON array: nested ``user.location`` ("广东 深圳"), unix-millisecond
  ``created_at``, and reposts of some posts (``转发微博 //@…: original``) that dedup folds into the original;
* ``forum_posts.jsonl`` — forum posts with ``2020/05/01 13:45`` times and a board name, plus one truncated
  line (a crawler cut-off) that ingestion rejects and keeps in ``rejected``.

Run ``python -m corpora.sample_data`` after the corpus changes.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from corpora.annotated import default_corpus_path, read_gold

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
_CN = timezone(timedelta(hours=8))


def _province_of(city: str | None, gazetteer) -> str:
    if not city:
        return ""
    places = gazetteer.lookup(city)
    return places[0].province if places else ""


def build_sample(out_dir: Path = SAMPLE_DIR, *, seed: int = 7) -> dict[str, int]:
    """Write the three sample files; returns records written per file."""
    from corpora.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    rng = random.Random(seed)
    docs = [d for d in read_gold(default_corpus_path()) if d.split in ("dev", "test")]
    out_dir.mkdir(parents=True, exist_ok=True)
    news = [d for d in docs if d.source == "news"]
    weibo = [d for d in docs if d.source == "weibo"]
    forum = [d for d in docs if d.source == "forum"]

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["编号", "正文", "发布时间", "媒体", "城市"])
    for d in news:
        y, m, day = (int(x) for x in str(d.date).split("-"))
        when = f"{y}年{m}月{day}日 {rng.randint(6, 22):02d}:{rng.choice([0, 15, 30, 45]):02d}"
        city = (d.city or "") if rng.random() > 0.2 else ""
        w.writerow([d.id, d.text, when, d.outlet or "", city])
    w.writerow(["news-empty-1", "", "2021年3月2日 09:00", "某晚报", "广州"])
    (out_dir / "news_export_gbk.csv").write_bytes(buf.getvalue().encode("gb18030"))

    posts = []
    for d in weibo:
        dt = datetime.fromisoformat(str(d.date)).replace(hour=rng.randint(0, 23), minute=rng.randint(0, 59), tzinfo=_CN)
        loc = f"{_province_of(d.city, gaz)} {d.city}".strip() if d.city else rng.choice(["其他", "海外 美国", ""])
        post = {"mid": d.id, "text": d.text, "created_at": int(dt.timestamp() * 1000),
                "user": {"screen_name": f"用户{rng.randint(10000, 99999)}", "location": loc},
                "reposts_count": rng.randint(0, 300), "source": "微博"}
        posts.append(post)
        if rng.random() < 0.08:  # reposts of this post: the same words under another id
            for k in range(rng.randint(1, 3)):
                posts.append({**post, "mid": f"{d.id}-rt{k}", "text": f"转发微博 //@{post['user']['screen_name']}: {d.text}",
                              "created_at": post["created_at"] + rng.randint(60, 86400) * 1000,
                              "user": {"screen_name": f"用户{rng.randint(10000, 99999)}", "location": ""}})
    (out_dir / "weibo_crawl.json").write_text(json.dumps(posts, ensure_ascii=False, indent=1), encoding="utf-8")

    lines = []
    for d in forum:
        y, m, day = (int(x) for x in str(d.date).split("-"))
        board = f"{d.city}吧" if d.city else (d.outlet or "综合讨论")
        lines.append(json.dumps({"post_id": d.id, "content": d.text, "time": f"{y}/{m}/{day} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                                 "board": board, "site": d.outlet}, ensure_ascii=False))
    lines.insert(len(lines) // 2, '{"post_id": "cut-off-1", "content": "楼主说得对，我们小区')
    (out_dir / "forum_posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"news_export_gbk.csv": len(news) + 1, "weibo_crawl.json": len(posts), "forum_posts.jsonl": len(lines)}


if __name__ == "__main__":  # pragma: no cover
    print(build_sample())
