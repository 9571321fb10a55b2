"""Static charts: PNG and SVG files for small multiples, heat maps and the stance mix."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.taxonomy import load_taxonomy
from trends.aggregate import aggregate
from trends.charts import cjk_font, write_charts
from trends.config import TrendsConfig
from trends.modelinfo import read_model_info
from trends.source import load_predictions


@pytest.fixture(scope="module")
def table(store: Path, model_dir: Path):
    con = duckdb.connect()
    info = load_predictions(con, store, taxonomy=load_taxonomy())
    return aggregate(con, model=read_model_info(model_dir), config=TrendsConfig(min_count=2, freq="quarter",
                                                                                bootstrap=100),
                     gated_keys=info.gated_keys)


def test_every_chart_is_written_as_png_and_svg(table, tmp_path: Path) -> None:
    from PIL import Image

    tax = load_taxonomy()
    out = write_charts(table, tmp_path / "charts", taxonomy=tax, places=["北京", "上海", "深圳", "广州"],
                       keys=["relevant", "stereotype.dirt"])
    names = sorted(Path(f).name for f in out["files"])
    expected = sorted([f"small_multiples_{f.id}.{e}" for f in tax.facets for e in ("png", "svg")]
                      + [f"mix_stance.{e}" for e in ("png", "svg")]
                      + [f"heatmap_{k}.{e}" for k in ("relevant", "stereotype_dirt") for e in ("png", "svg")])
    assert names == expected
    for f in out["files"]:
        assert Path(f).stat().st_size > 2000
    with Image.open(tmp_path / "charts" / "heatmap_relevant.png") as im:
        assert im.size[0] > 500 and im.size[1] > 300
    svg = (tmp_path / "charts" / "small_multiples_relevance.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    if out["font"]:  # text is kept as text in SVG: the place names are searchable in a paper's figure
        assert "北京" in svg and "全国" in svg


def test_cjk_font_is_found_when_installed() -> None:
    font = cjk_font()
    root = Path("/usr/share/fonts")
    installed = root.is_dir() and any(True for _ in root.rglob("*wqy*"))
    if installed:
        assert font is not None and "WenQuanYi" in font
    else:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-zenhei)")
