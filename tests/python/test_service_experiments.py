"""The service layer without training: experiments record lineage and queue jobs with the
right epochs, and bad requests raise ServiceError naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch import ArchSpec, Conv2D, Dense, MaxPool
from remap.service import ServiceError, experiments, queue, views
from remap.service.settings import WorkspaceSettings
from remap.store import UnknownModelError

PARENT = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(16), Dense(4)))


def test_sampling_queues_distinct_models_for_the_data_set(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        result = experiments.sample(ws, 4, seed=1)
        assert len(result.created) == 4 and len(result.jobs) == 4
        more = experiments.sample(ws, 3, seed=1)  # same seed: existing models are excluded
        assert not set(more.created) & set(result.created)
        rows = views.model_rows(ws)
        assert {r.state for r in rows} == {"queued"}
        assert all(r.params <= 20_000 for r in rows)
        assert all(m.spec.input_shape == TINY_SHAPE for m in ws.store.list_models())
        job = ws.store.get_job(result.jobs[0])
        assert job.config.epochs == 2 and job.config.early_stopping
        assert job.dataset["source"].endswith("tiny.npz")


def test_experiments_record_lineage_and_change_lists(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        added = experiments.add_spec(ws, PARENT, name="parent", train=False)
        parent_id = added.created[0]
        assert added.jobs == []
        ablation = experiments.run_ablation(ws, parent_id)
        assert len(ablation.created) == 3
        for child_id in ablation.created:
            child = ws.store.get_model(child_id)
            assert child.parent_id == parent_id and child.origin == "ablation"
            assert child.changes[0].startswith("Removed ")
        variation = experiments.run_variation(ws, parent_id, n=3, max_changes=2, seed=4)
        assert len(variation.created) + len(variation.skipped) == 3
        crafted = experiments.run_handcrafted(
            ws, parent_id, [{"op": "set", "index": 0, "field": "filters", "value": 4}]
        )
        child = ws.store.get_model(crafted.created[0])
        assert child.origin == "handcrafted"
        assert child.changes[0] == "Changed filters at index 0 from 8 to 4"
        # An untrained parent: children train with the workspace's early-stopping default.
        job = ws.store.get_job(crafted.jobs[0])
        assert job.config.early_stopping and job.config.epochs == 2
        assert [r.id for r in views.model_rows(ws) if r.parent_id == parent_id] == sorted(
            ablation.created + variation.created + crafted.created
        )


def test_bad_requests_name_the_field(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        parent_id = experiments.add_spec(ws, PARENT, train=False).created[0]
        with pytest.raises(ServiceError, match="^count: expected 1–10000"):
            experiments.sample(ws, 0)
        with pytest.raises(ServiceError, match="^layers: .*output layer is never removed"):
            experiments.run_ablation(ws, parent_id, [3])
        with pytest.raises(ServiceError, match=r"^edits: edits\[0\]\.op"):
            experiments.run_handcrafted(ws, parent_id, [{"op": "explode"}])
        with pytest.raises(ServiceError, match="^edits: the edits leave the model unchanged"):
            experiments.run_handcrafted(
                ws, parent_id, [{"op": "set", "index": 0, "field": "filters", "value": 8}]
            )
        wrong = ArchSpec((1, 28, 28), 10, (Conv2D(3, 4), Dense(10)))
        with pytest.raises(ServiceError, match="^model: .*expects input 1×28×28 with 10 classes"):
            experiments.add_spec(ws, wrong)
        with pytest.raises(UnknownModelError, match="unknown model id 999"):
            experiments.run_variation(ws, 999)
        with pytest.raises(UnknownModelError):
            queue.enqueue_models(ws, [parent_id, 999])
        assert ws.store.list_jobs() == []  # nothing queued by the failed call


def test_settings_are_validated_and_persisted(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path, workers=2) as ws:
        assert ws.settings.workers == 2
        with pytest.raises(ServiceError, match="^holdout: expected a fraction"):
            ws.update_settings({"holdout": 1.5})
        with pytest.raises(ServiceError, match="^device: expected auto"):
            ws.update_settings({"device": "tpu"})
        with pytest.raises(ServiceError, match="^colour: unknown setting"):
            ws.update_settings({"colour": "red"})
        assert ws.settings.holdout == 0.2
    from remap.service import Workspace

    with Workspace.open(tmp_path) as again:
        assert again.settings.workers == 2 and again.settings.max_params == 20_000
    assert WorkspaceSettings().merged({"epochs": None}).epochs == 10


def test_a_missing_data_set_is_a_clear_error(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        before = ws.settings
        with pytest.raises(ServiceError, match="^dataset: .*missing.npz"):
            ws.update_settings({"dataset": str(tmp_path / "missing.npz")})
        assert ws.settings == before  # refused before it was stored
        assert experiments.sample(ws, 1, train=False).created


def test_old_change_events_are_pruned_when_a_workspace_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remap.service import Workspace, workspace

    with tiny_workspace(tmp_path) as ws:
        experiments.sample(ws, 6, seed=2, train=False)
        last = ws.store.last_event_seq()
        assert len(ws.store.events_since(0)) > 5
    monkeypatch.setattr(workspace, "EVENTS_KEPT", 5)
    with Workspace.open(tmp_path) as again:
        kept = again.store.events_since(0)
        assert len(kept) <= 6 and kept[-1].seq >= last  # the newest stay, sequence intact
