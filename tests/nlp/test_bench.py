"""nlp.bench runs end to end on a small stand-in for the real-text folder and returns its figures."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.bench import main


def _fake_real_dir(root: Path) -> Path:
    (root / "xinwenlianbo_cctv").mkdir(parents=True)
    (root / "weibo_hot_search").mkdir()
    (root / "ced_weibo_rumor").mkdir()
    items = ["工地老板拖欠了三十多名农民工半年工资。\n劳动监察大队介入。", "F-16战机于2023-09-04T14:18起飞。",
             "今天上海气温回升，适合出游。"]
    (root / "xinwenlianbo_cctv" / "items.jsonl").write_text("".join(
        json.dumps({"date": f"2022010{i + 1}", "title": "t", "text": text}, ensure_ascii=False) + "\n"
        for i, text in enumerate(items)), encoding="utf-8")
    titles = ["农民工讨薪", "某明星官宣新剧", "城中村改造", "国足战平", "哈哈哈哈哈第二季"]
    (root / "weibo_hot_search" / "titles_unique_by_day.tsv").write_text(
        "date\ttitle\n" + "".join(f"2021-01-0{i + 1}\t{t}\n" for i, t in enumerate(titles)), encoding="utf-8")
    (root / "ced_weibo_rumor" / "original_microblogs.jsonl").write_text(
        json.dumps({"record": {"text": "外地人在城中村租房"}}, ensure_ascii=False) + "\n", encoding="utf-8")
    return root


def test_bench_figures(tmp_path: Path) -> None:
    res = main(["--real-dir", str(_fake_real_dir(tmp_path / "real")), "--spacy-docs", "3"])
    seg = res["segmentation"]
    assert seg["news_items"] == 3 and seg["hot_titles"] == 5
    assert seg["news_item_mismatches"] == 0 and seg["hot_title_mismatches"] == 0
    assert seg["jieba_mb_s"] > 0 and seg["ratio_cut_vs_jieba"] > 0
    assert res["spacy"]["news_docs"] == 3 and res["spacy"]["hot_with_matchers_docs_s"] > 0
    pf = res["prefilter"]
    assert pf["hot_pass_rate"] == 0.4  # 农民工讨薪, 城中村改造
    assert pf["weibo_pass_rate"] == 1.0


def test_bench_without_real_text(tmp_path: Path) -> None:
    res = main(["--real-dir", str(tmp_path)])
    assert "not found" in res["error"]
