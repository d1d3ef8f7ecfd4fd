"""Children inherit their parent's weights where shapes did not change (alignment, the
trainer's initial weights, the recorded layers shown with the change list), runs record the
re-evaluation of their weights file, and an imported original REMAP model set keeps its
recorded accuracies ("recorded, not trained here")."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch.inherit import inheritable_layers
from remap.arch.layers import Activation, Conv2D, Dense, MaxPool
from remap.arch.spec import ArchSpec
from remap.cli.main import main as cli_main
from remap.jobs.worker import run_worker
from remap.service import Workspace
from remap.service.experiments import add_spec, run_ablation
from remap.service.exporting import import_model_set
from remap.service.views import model_details, model_rows
from remap.service.weights import inheriting

PARENT = ArchSpec(
    TINY_SHAPE,
    4,
    (Conv2D(3, 6), Activation("relu"), MaxPool(2), Dense(16), Activation("relu"), Dense(4)),
)


def test_layers_align_through_a_removal_and_only_unchanged_shapes_inherit() -> None:
    child = PARENT.with_layers([PARENT.layers[i] for i in (0, 1, 3, 4, 5)])  # pool removed
    # the conv keeps its shapes; Dense 16 now sees 600 features, not 150; Dense 4 is unchanged
    assert inheritable_layers(PARENT, child) == {0: 0, 4: 5}
    wider = PARENT.with_layers([Conv2D(3, 8), *PARENT.layers[1:]])
    assert inheritable_layers(PARENT, wider) == {5: 5}  # conv and Dense 16 changed
    assert inheritable_layers(PARENT, PARENT) == {0: 0, 3: 3, 5: 5}


def test_the_trainer_starts_from_the_given_weights() -> None:
    from remap.data import make_synthetic_split
    from remap.train.config import TrainConfig
    from remap.train.trainer import train_model

    split = make_synthetic_split(64, 16, input_shape=TINY_SHAPE, num_classes=4)
    init = {"conv1.weight": torch.full((6, 1, 3, 3), 0.125), "conv1.bias": torch.zeros(6)}
    frozen = TrainConfig(epochs=1, lr=0.0, device="cpu", early_stopping=False)
    result = train_model(PARENT, split, frozen, init_weights=init)
    assert result.weights is not None
    for key, tensor in init.items():
        assert torch.equal(result.weights[key], tensor)  # lr 0: still the inherited values


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return tiny_workspace(tmp_path, device="cpu", threads=1, epochs=1)


def test_an_ablation_child_inherits_and_shows_which_layers(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    with ws:
        parent_id = add_spec(ws, PARENT, name="parent").created[0]
        run_worker(ws.store.path, "w", lease_seconds=10)
        with inheriting(ws, True):
            result = run_ablation(ws, parent_id, [2])  # remove the pool
        with inheriting(ws, False):
            fresh = run_ablation(ws, parent_id, [4])  # remove the second relu
        run_worker(ws.store.path, "w", lease_seconds=10)
        (child_id,) = result.created
        run = ws.store.latest_run(child_id)
        assert run is not None and run.inherited == (0, 4)
        fresh_run = ws.store.latest_run(fresh.created[0])
        assert fresh_run is not None and fresh_run.inherited == ()
        details = model_details(ws, child_id)["run"]
        assert [layer["index"] for layer in details["inherited"]] == [0, 4]
        # the worker rebuilt the model from the file it wrote: the same accuracy
        assert run.val_acc is not None and run.reevaluated_acc is not None
        assert abs(run.reevaluated_acc - run.val_acc) <= 0.005
        assert details["reevaluated_acc"] == run.reevaluated_acc
        assert details["weights_bytes"] == run.weights_bytes
    assert cli_main(["show", str(child_id), "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "Removed MaxPool" in out and "inherited from the parent: layer 0 Conv2D" in out


def test_the_original_model_set_keeps_its_recorded_accuracies(
    tmp_path: Path, reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open(tmp_path, None, {"dataset": "digits"}) as ws:
        result = import_model_set(ws, reference_dir / "models.json", train=False)
        assert result.created and not result.jobs
        rows = {row.name: row for row in model_rows(ws)}
        first = rows["01736bca-7afa-48cf-99bc-8627e88f88db"]
        assert first.recorded_acc == pytest.approx(0.7808)
        assert first.val_acc is None and first.state == "untrained" and first.origin == "reference"
        record = ws.store.get_model(first.id).recorded
        assert record is not None and record["val_accs"][-1] == pytest.approx(0.7808)
    assert cli_main(["list", "-w", str(tmp_path)]) == 0
    assert "78.1%*" in capsys.readouterr().out
    assert cli_main(["show", str(first.id), "-w", str(tmp_path)]) == 0
    assert "78.1% recorded, not trained here" in capsys.readouterr().out
