"""Fixtures for the NLP tests: segmenters are built once per session (each takes ~0.3–0.6 s)."""

from __future__ import annotations

import pytest

from nlp.segment import Segmenter, SegmenterConfig


@pytest.fixture(scope="session")
def seg_jieba() -> Segmenter:
    return Segmenter(SegmenterConfig(backend="jieba"))


@pytest.fixture(scope="session")
def seg_rjieba() -> Segmenter:
    pytest.importorskip("rjieba")
    return Segmenter(SegmenterConfig(backend="rjieba"))


@pytest.fixture(scope="session", params=["jieba", "rjieba"])
def seg(request: pytest.FixtureRequest, seg_jieba: Segmenter) -> Segmenter:
    """Both backends in turn: every expectation must hold for each."""
    if request.param == "jieba":
        return seg_jieba
    return request.getfixturevalue("seg_rjieba")
