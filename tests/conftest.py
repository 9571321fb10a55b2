"""Shared test fixtures: paths to bundled data and to the optional real-text folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """``../shared/data/real`` beside the checkout; tests that need it skip when it is absent."""
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is not present (a user's clone has no shared/ folder)")
    return REAL
