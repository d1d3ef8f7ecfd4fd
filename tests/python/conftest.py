"""Shared fixtures: paths to the reference model set (beside the checkout, in ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "remap-quickdraw"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "models.json").exists():
        pytest.fail(f"reference model set not found at {REFERENCE} (../shared beside the checkout)")
    return REFERENCE
