"""Server-side rendering: the Jinja2 environment (autoescaped), Markdown guidelines, and shared helpers.

Documents are untrusted text: templates only ever print them through autoescaping, data for the
scripts goes out as JSON inside ``<script type="application/json">`` (``tojson`` escapes ``<``, ``>``,
``&`` and quotes), and the scripts insert text with ``textContent`` only.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "alpha_class", "environment", "markdown_html", "render"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def alpha_class(value: float | None) -> str:
    """CSS class of an agreement coefficient (Krippendorff's bands: >= .800 reliable, >= .667 tentative)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "coef-na"
    if value >= 0.8:
        return "coef-good"
    if value >= 0.667:
        return "coef-fair"
    return "coef-poor"


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment (autoescape on for every template; undefined names are errors)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["coef"] = _fmt
    env.filters["alpha_class"] = alpha_class
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.0f}%"
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template to an HTML response."""
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code)


@functools.lru_cache(maxsize=32)
def markdown_html(text: str) -> str:
    """Guidelines Markdown as HTML: CommonMark plus tables; raw HTML in the source is escaped, unsafe link
    schemes (``javascript:``) are refused."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    return md.render(text)
