"""Rendering helpers: guidelines Markdown is rendered without raw HTML or script links; coefficient bands."""

from __future__ import annotations

import math

import pytest

from annotation.render import alpha_class, environment, markdown_html


def test_guidelines_markdown_is_safe() -> None:
    html = markdown_html("# 标注指南\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(1))\n\n"
                         "| 文本 | 判定 |\n|---|---|\n| 农民工 | 相关 |\n")
    assert "<h1>标注指南</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<table>" in html and "<td>农民工</td>" in html


def test_bundled_guidelines_render() -> None:
    from annotation.projects import default_guidelines_path

    html = markdown_html(default_guidelines_path().read_text(encoding="utf-8"))
    assert html.count("<h2>") >= 8 and "<code>hukou_welfare</code>" in html


@pytest.mark.parametrize("value, css", [(0.95, "coef-good"), (0.8, "coef-good"), (0.7, "coef-fair"),
                                        (0.5, "coef-poor"), (-0.2, "coef-poor"), (None, "coef-na"),
                                        (math.nan, "coef-na")])
def test_alpha_bands(value, css: str) -> None:
    assert alpha_class(value) == css


def test_templates_autoescape() -> None:
    out = environment().from_string("{{ x }}").render(x="<img src=x onerror=alert(1)>")
    assert out == "&lt;img src=x onerror=alert(1)&gt;"
    out = environment().from_string("{{ x|tojson }}").render(x="</script><script>")
    assert "</script>" not in out and "\\u003c/script\\u003e" in out
