"""End to end through the service with real worker processes and real training: the queue
runs dry, results land in the store, children train for their parent's epochs, the maps
show every model and stay stable as models are added, and exports run on their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch import ArchSpec, Conv2D, Dense, MaxPool
from remap.service import experiments, exporting, queue, views
from remap.service.maps import get_map
from remap.service.status import dataset_summary, workspace_status

PARENT = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(16), Dense(4)))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a parent, its ablation children and two sampled models, trained."""
    root = tmp_path_factory.mktemp("trained")
    with tiny_workspace(root, epochs=2, threads=1) as ws:
        parent_id = experiments.add_spec(ws, PARENT, name="parent").created[0]
        experiments.sample(ws, 2, seed=3)
        queue.run_until_idle(ws, workers=1, timeout=600)
        children = experiments.run_ablation(ws, parent_id)
        assert children.jobs
        for job_id in children.jobs:
            job = ws.store.get_job(job_id)
            assert job.config.epochs == len(ws.store.latest_run(parent_id).epochs)
            assert job.config.early_stopping is False
        summary = queue.run_until_idle(ws, workers=1, timeout=600)
        assert summary.queued == 0 and summary.running == 0 and summary.failed == 0
    return root


def test_every_model_is_trained_with_metrics(trained: Path) -> None:
    from remap.service import Workspace

    with Workspace.open(trained) as ws:
        rows = views.model_rows(ws)
        assert len(rows) == 6 and {r.state for r in rows} == {"trained"}
        assert all(r.val_acc is not None and 0 <= r.val_acc <= 1 for r in rows)
        details = views.model_details(ws, rows[0].id)
        run = details["run"]
        assert run is not None and len(run["epochs"]) == rows[0].epochs
        confusion = np.array(run["confusion"])
        assert confusion.shape == (4, 4) and confusion.sum() == len(ws.split().test_y) == 64
        assert len(run["per_class_acc"]) == 4
        status = workspace_status(ws, "cold")
        assert status["queue"]["done"] == 6 and status["dataset"]["input_shape"] == [1, 12, 12]
        summary = dataset_summary(ws, per_class=2)
        assert [c["train"] + c["held_out"] for c in summary["classes"]] == [80] * 4
        assert all(len(c["examples"]) == 2 for c in summary["classes"])


def test_maps_show_all_models_and_stay_stable(trained: Path) -> None:
    from remap.service import Workspace

    with Workspace.open(trained, None, {"projection": "mds"}) as ws:
        arch = get_map(ws, "architecture")
        pred = get_map(ws, "prediction")
        acc = get_map(ws, "accuracy")
        ids = {r.id for r in views.model_rows(ws)}
        for result in (arch, pred, acc):
            assert {p["id"] for p in result["points"]} == ids
        assert {(e["parent"], e["child"]) for e in arch["edges"]} == {
            (m.parent_id, m.id) for m in ws.store.list_models() if m.parent_id is not None
        }
        # Grow the architecture map past the size at which additions are placed, not re-fitted.
        experiments.sample(ws, 10, seed=10, train=False)
        before = {p["id"]: (p["x"], p["y"]) for p in get_map(ws, "architecture")["points"]}
        new = experiments.sample(ws, 1, seed=11, train=False).created
        after = get_map(ws, "architecture")
        assert after["movement"] is not None and after["movement"]["kind"] == "place_new"
        assert after["movement"]["max"] == pytest.approx(0.0, abs=1e-12)
        moved = {p["id"]: (p["x"], p["y"]) for p in after["points"]}
        assert all(moved[i] == pytest.approx(before[i]) for i in before)
        assert new[0] in moved
        rows, _ = ws.store.matrix_rows_extent("otmann", "default")
        assert rows == len(ids) + 11


def test_export_of_a_trained_model_runs_on_its_own(trained: Path) -> None:
    from remap.service import Workspace

    with Workspace.open(trained) as ws:
        best = max(views.model_rows(ws), key=lambda r: r.val_acc or 0)
        path = exporting.export_model(ws, best.id, "exported", class_name="Best")
        assert path.parent == trained / "exported"
        text = path.read_text()
        assert f"Model id: {best.id}" in text and "Held-out accuracy" in text
        out = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert f"parameters: {best.params:,}" in out.stdout
        with pytest.raises(Exception, match="exists"):
            exporting.export_model(ws, best.id, "exported", path.name, class_name="Best")
        imported = exporting.import_python_file(ws, path, train=False)
        assert imported.existing == [best.id]  # the same architecture: de-duplicated


def test_cli_workspace_distances_and_maps(trained: Path) -> None:
    import json

    from remap.service import Workspace

    with Workspace.open(trained) as ws:
        ids = [m.id for m in ws.store.list_models()]
        trained_ids = [r.id for r in views.model_rows(ws) if r.val_acc is not None]

    def remap(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "remap", *args, "-w", str(trained)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    out = remap("distances", "--metric", "otmann")
    assert out.returncode == 0, out.stderr
    rows = [line.split(",") for line in out.stdout.splitlines()]
    assert rows[0] == ["id", *map(str, ids)]
    matrix = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    assert np.allclose(matrix, matrix.T) and np.all(np.diag(matrix) == 0)
    pred = remap("distances", "--metric", "prediction")
    assert pred.returncode == 0, pred.stderr
    assert pred.stdout.splitlines()[0] == ",".join(["id", *map(str, trained_ids)])
    shown = remap("map", "accuracy", "--json")
    assert shown.returncode == 0, shown.stderr
    points = json.loads(shown.stdout)["points"]
    assert sorted(p["id"] for p in points) == sorted(trained_ids)
    bad = remap("map", "colour")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
