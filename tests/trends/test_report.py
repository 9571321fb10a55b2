"""The HTML report: self-contained, escaped, suppressed small cells — and it works in a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trends.build import TrendsResult, build_trends
from trends.config import TrendsConfig
from trends.report import report_data, script_json, write_report

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def result(store: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrendsResult:
    out = tmp_path_factory.mktemp("report")
    res = build_trends(store, out, TrendsConfig(min_count=2, bootstrap=100, examples_per_cell=2), model=model_dir)
    write_report(res)
    return res


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    assert m, "data block missing"
    return json.loads(m.group(1))


def test_report_is_one_offline_file(result: TrendsResult) -> None:
    html = Path(result.files["report"]).read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|iframe)[^>]+src=", html)
    assert "<link" not in html and "@import" not in html
    assert html.count("<script") == 3  # plotly, data, report script: all inline
    assert len(html) > 3_000_000  # plotly.js is embedded
    data = _data(html)
    assert data["places"][0] == "全国" and "北京" in data["places"]
    assert [f["id"] for f in data["facets"]] == ["relevance", "stereotype", "exclusion", "practice", "stance"]
    assert data["examples"]["cells"] and data["examples"]["docs"]
    assert "方法 Methods" in html and "Wilson" in html and result.model.model_id in html


def test_small_cells_carry_no_numbers(result: TrendsResult) -> None:
    data = report_data(result)
    seen_small = 0
    for by_key in data["series"].values():
        for s in by_key.values():
            for j, small in enumerate(s["small"]):
                if small:
                    seen_small += 1
                    assert s["est"][j] is None and s["count"][j] is None and s["denom"][j] is None
    assert seen_small > 0


def test_document_text_cannot_inject_markup(make_row, write_preds, tmp_path: Path, model_dir: Path) -> None:
    evil = "农民工</script><script>alert(1)</script><b>讨薪</b>"
    rows = [make_row(f"x{i}", "2023-01-05", "北京", relevant=True, scores={"relevant": 0.9},
                     evidence={"relevant": [{"start": 0, "end": 3, "text": "农民工", "source": "lexicon"}]}, text=evil)
            for i in range(3)]
    res = build_trends(write_preds(tmp_path / "p.jsonl", rows), tmp_path / "out", TrendsConfig(min_count=1, bootstrap=50))
    html = Path(write_report(res)).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "<b>讨薪" not in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in html
    doc = next(iter(_data(html)["examples"]["docs"].values()))
    assert "".join(t for t, _ in doc["segments"]) == evil  # the page inserts it as text
    assert script_json({"a": "</script>\u2028"}) == '{"a":"\\u003c/script\\u003e\\u2028"}'


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_in_chromium(result: TrendsResult, tmp_path: Path) -> None:
    """Headless Debian chromium: no console errors, charts drawn, a drill-down opens with highlighted evidence."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make browser` installs it (apt-get install chromium fonts-wqy-zenhei)")
    playwright = pytest.importorskip("playwright.sync_api")
    report = Path(result.files["report"])
    problems: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            # overview: one line chart per facet + the stance mix + the heat map; the first place section is open
            assert page.locator("#overview-charts .js-plotly-plot").count() == 6
            assert page.locator("#heatmap.js-plotly-plot").count() == 1
            assert page.locator("details.place[open] .js-plotly-plot").count() == 6
            assert page.locator("#overview-charts svg.main-svg").count() >= 6
            # another heat map by the selector
            page.select_option("#heat-key", "stereotype.dirt")
            page.wait_for_function("document.querySelector('#heatmap .gtitle').textContent.includes('stereotype')"
                                   " || document.querySelector('#heatmap .gtitle').textContent.includes('肮脏')")
            # drill down from a cell of the national table: the relevance of January 2023
            page.locator("#national-table button.cell:not(.small)").first.click()
            page.wait_for_selector("#drill:not([hidden])")
            title = page.locator("#drill .drill-title").inner_text()
            assert title.startswith("全国 · 2023-01")
            assert page.locator("#drill article.example").count() >= 1
            assert page.locator("#drill article.example mark").count() >= 1
            assert "documents" in page.locator("#drill .numbers").inner_text()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 20_000
            page.keyboard.press("Escape")
            assert page.locator("#drill").is_hidden()
        finally:
            browser.close()
    assert problems == []
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
