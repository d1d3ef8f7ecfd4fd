"""The prediction map measures trained models apart by held-out disagreement (default) or by
the gap between their per-class accuracies, chosen per request (the map's distance select)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lsp_fixtures.harness import add_trained
from service_helpers import TINY_SHAPE, write_tiny_npz

from remap.arch import ArchSpec, Conv2D, Dense, MaxPool
from remap.service import ServiceError, Workspace
from remap.service.maps import get_map


def _xy(result: dict[str, Any]) -> np.ndarray:
    return np.array([(p["x"], p["y"]) for p in sorted(result["points"], key=lambda p: p["id"])])


def test_per_class_distance_lays_out_the_trained_models(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    specs = [
        ArchSpec(TINY_SHAPE, 4, (Conv2D(3, f), MaxPool(2), Dense(4))) for f in (2, 4, 6, 8, 10)
    ]
    store = tmp_path / ".remap" / "remap.db"
    store.parent.mkdir()
    ids = add_trained(store, data, specs, [0.3, 0.5, 0.7, 0.8, 0.95], seed=1)
    with Workspace.open(tmp_path, None, {"dataset": str(data), "projection": "mds"}) as ws:
        default = get_map(ws, "prediction")
        per_class = get_map(ws, "prediction", distance="per_class")
        assert default["distance"] == "disagreement" and per_class["distance"] == "per_class"
        assert {p["id"] for p in per_class["points"]} == set(ids)
        assert per_class["axes"]["x"].startswith("per-class accuracy")
        assert not np.allclose(_xy(default), _xy(per_class)), (
            "a different distance, a different map"
        )
        # each layout is cached under its own key: asking again moves nothing
        again = get_map(ws, "prediction", distance="per_class")
        assert np.allclose(_xy(again), _xy(per_class))
        assert get_map(ws, "architecture", distance="per_class")["distance"] is None
        with pytest.raises(ServiceError, match="distance"):
            get_map(ws, "prediction", distance="euclid")
