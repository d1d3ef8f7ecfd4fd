"""Shared fixtures: the reference model set vendored in tests/data (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "data" / "remap-quickdraw"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "models.json").exists():
        pytest.fail(f"reference model set not found at {REFERENCE}")
    return REFERENCE
