"""Trained models leave the tool (real training on a tiny .npz, real files, real
subprocesses): export writes the .py and its .safetensors, ``load_trained`` under
``python -I`` predicts exactly what the stored weights predict, the file scripts and exports
with torch, damaged weights name the file and layer, ``remap evaluate`` re-scores an id and a
file, and ``remap gc`` removes what it should and nothing else."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch.layers import Activation, BatchNorm, Conv2D, Dense, Dropout, MaxPool
from remap.arch.spec import ArchSpec
from remap.cli.main import main as cli_main
from remap.jobs.worker import run_worker
from remap.service import ServiceError, Workspace
from remap.service.evaluate import evaluate_file, evaluate_model
from remap.service.experiments import add_spec
from remap.service.exporting import export_model, export_summary
from remap.store.gc import collect_weights

RUFF = Path(sys.executable).with_name("ruff")
SPEC = ArchSpec(
    TINY_SHAPE,
    4,
    (
        Conv2D(3, 6),
        BatchNorm(),
        Activation("relu"),
        MaxPool(2),
        Dropout(0.2),
        Dense(16),
        Activation("relu"),
        Dense(4),
    ),
)


def _train(ws: Workspace, spec: ArchSpec = SPEC) -> int:
    added = add_spec(ws, spec, name="tiny", train=True)
    model_id = (added.created or added.existing)[0]
    if not added.jobs:
        ws.store.enqueue(model_id, ws.train_config(), ws.settings.dataset_ref())
    run_worker(ws.store.path, "w", lease_seconds=10)
    return model_id


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, int]]:
    root = tmp_path_factory.mktemp("ws")
    ws = tiny_workspace(root, device="cpu", threads=1, epochs=2)
    model_id = _train(ws)
    yield ws, model_id
    ws.close()


def _import(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own exported file
    return module


def test_export_writes_the_weights_and_load_trained_predicts_like_the_store(
    trained: tuple[Workspace, int],
) -> None:
    ws, model_id = trained
    path = export_model(ws, model_id, "out", "best.py")
    summary = export_summary(path)
    assert summary["weights"] == str(path.with_suffix(".safetensors"))
    text = path.read_text()
    assert "def load_trained(" in text and "CLASS_NAMES = (" in text and "INPUT_STD = 1.0" in text
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        done = subprocess.run([str(RUFF), *args, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    stored = evaluate_model(ws, model_id)
    exported = evaluate_file(ws, path)  # python -I subprocess
    assert (exported.predictions == stored.predictions).all()
    run = ws.store.latest_run(model_id, ws.split().fingerprint)
    assert run is not None and run.val_acc is not None
    assert abs(exported.accuracy - run.val_acc) <= 0.005
    module = _import(path)
    model = module.load_trained()  # type: ignore[attr-defined]
    assert not model.training
    x = torch.from_numpy(ws.split().test_x[:5])
    with torch.no_grad():
        expected = model(x)
        assert torch.allclose(torch.jit.script(model)(x), expected, atol=1e-5)
        program = torch.export.export(model, (x,))
        assert torch.allclose(program.module()(x), expected, atol=1e-5)
    assert list(module.CLASS_NAMES) == list(ws.split().classes)  # type: ignore[attr-defined]
    with pytest.raises(ServiceError, match="already exists"):
        export_model(ws, model_id, "out", "best.py")


def test_damaged_exported_weights_name_the_file_and_layer(
    trained: tuple[Workspace, int], tmp_path: Path
) -> None:
    from safetensors.torch import load_file, save_file

    ws, model_id = trained
    path = export_model(ws, model_id, tmp_path, "m.py")
    weights = path.with_suffix(".safetensors")
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])
    with pytest.raises(ServiceError, match=r"m\.safetensors: not a complete safetensors file"):
        evaluate_file(ws, path)
    weights.write_bytes(good)
    state = load_file(str(weights))
    state["conv1.weight"] = torch.zeros(8, 1, 3, 3)
    save_file(state, str(weights))
    load_trained = _import(path).load_trained  # type: ignore[attr-defined]
    with pytest.raises(
        ValueError, match=r"m\.safetensors: layer conv1 expects conv1.weight of shape "
        r"\(6, 1, 3, 3\) but the file has \(8, 1, 3, 3\)",
    ):  # fmt: skip
        load_trained()
    weights.unlink()
    with pytest.raises(FileNotFoundError, match=r"m\.safetensors: weights file not found"):
        load_trained()
    (tmp_path / "plain.py").write_text("x = 1\n")
    with pytest.raises(ServiceError, match="defines no load_trained"):
        evaluate_file(ws, tmp_path / "plain.py")


def test_remap_evaluate_on_an_id_and_on_a_file(
    trained: tuple[Workspace, int], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, model_id = trained
    path = export_model(ws, model_id, "cli", "m.py")
    run = ws.store.latest_run(model_id, ws.split().fingerprint)
    assert run is not None and run.val_acc is not None
    for target in (str(model_id), str(path)):
        assert cli_main(["evaluate", target, "-w", str(ws.root), "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert abs(answer["accuracy"] - run.val_acc) <= 0.005, target
    assert cli_main(["evaluate", str(model_id), "-w", str(ws.root)]) == 0
    assert "recorded when trained" in capsys.readouterr().out


def test_gc_removes_what_it_should_and_nothing_else(tmp_path: Path) -> None:
    ws = tiny_workspace(tmp_path, device="cpu", threads=1, epochs=1, gc_weights="off")
    with ws:
        model_id = _train(ws)
        _train(ws)  # a second run of the same model supersedes the first
        runs = [r for r in ws.store.list_runs(model_id) if r.weights_path]
        assert len(runs) == 2
        old, new = (ws.store.weights_file(r) for r in runs)
        assert old is not None and new is not None and old.exists()
        folder = ws.store.weights_dir
        orphan = folder / "run-999.safetensors"
        orphan.write_bytes(b"x" * 10)
        stale = folder / "job-1.ckpt"  # job 1 is done
        stale.write_bytes(b"x")
        young_tmp = folder / ".run-5.safetensors.abc.tmp"
        young_tmp.write_bytes(b"x")
        old_tmp = folder / ".run-6.safetensors.def.tmp"
        old_tmp.write_bytes(b"x")
        os.utime(old_tmp, (time.time() - 3600, time.time() - 3600))
        unknown = folder / "notes.txt"
        unknown.write_text("mine")
        dry = collect_weights(ws.store, dry_run=True)
        assert old.exists() and sorted(dry.removed) == sorted(
            [old.name, orphan.name, stale.name, old_tmp.name]
        )
        report = collect_weights(ws.store)
        assert sorted(report.removed) == sorted(dry.removed)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [new.name, young_tmp.name, unknown.name]
        )
        assert ws.store.get_run(runs[0].id).weights_path is None
        assert ws.store.weights_usage() == (1, new.stat().st_size)
        ws.update_settings({"gc_weights": "auto"})
        _train(ws)  # the worker collects after the run: the previous latest goes
        assert not new.exists()
        assert ws.store.weights_usage()[0] == 1
