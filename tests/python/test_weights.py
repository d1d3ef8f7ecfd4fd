"""Trained weights with real training on tiny data and real files: the worker writes a
finished run's weights atomically and the run references them; the keys are the exported
module's attributes; a worker killed with SIGKILL after an epoch resumes from its checkpoint
and ends exactly where an uninterrupted run ends; a v1 store gains the new columns."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from remap.arch.layers import Activation, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.codegen import export_source
from remap.jobs.onejob import checkpoint_path
from remap.jobs.worker import run_worker
from remap.store import Store
from remap.store import schema as schema_mod
from remap.train.config import TrainConfig
from remap.train.keys import built_key_map, layer_attributes
from remap.train.modules import build_module
from remap.train.weights import WeightsError, load_export_state, load_weights

SMALL = {
    "source": "synthetic",
    "n_train": 240,
    "n_test": 60,
    "input_shape": [1, 12, 12],
    "num_classes": 3,
    "seed": 0,
}
SPEC = ArchSpec(
    (1, 12, 12),
    3,
    (
        Conv2D(3, 6),
        BatchNorm(),
        Activation("relu"),
        MaxPool(2),
        Dropout(0.25),
        Flatten(),
        Dense(12),
        Dense(3),
    ),
)


def config(epochs: int = 2) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=16, early_stopping=False, device="cpu", threads=1)


def test_the_weights_keys_are_the_exported_modules_attribute_keys() -> None:
    built = build_module(SPEC)
    mapping = built_key_map(SPEC, built.state_dict().keys())
    namespace: dict[str, object] = {}
    exec(export_source(SPEC, class_name="M"), namespace)  # our own generated code
    exported = namespace["M"]()  # type: ignore[operator]
    assert sorted(mapping.values()) == sorted(exported.state_dict().keys())
    assert layer_attributes(SPEC) == (
        "conv1", "bn1", "act1", "pool1", "drop1", "flatten1", "fc1", "out",
    )  # fmt: skip


def test_a_finished_run_references_its_complete_weights_file(tmp_path: Path) -> None:
    path = tmp_path / ".remap" / "remap.db"
    with Store.open(path) as store:
        model_id, _ = store.add_model(SPEC, origin="sampled")
        store.enqueue(model_id, config(), SMALL)
    assert run_worker(path, "w", lease_seconds=10) == 1
    with Store.open(path) as store:
        run = store.latest_run(model_id)
        assert run is not None and run.weights_path == f"run-{run.id}.safetensors"
        file = store.weights_file(run)
        assert file is not None and file.stat().st_size == run.weights_bytes
        assert store.weights_usage() == (1, run.weights_bytes)
        assert list(store.weights_dir.iterdir()) == [file]  # no temp file, no checkpoint left
        split = _split()
        model = build_module(SPEC)
        load_export_state(model, SPEC, load_weights(file))
        model.eval()
        with torch.no_grad():
            preds = model(torch.from_numpy(split.test_x)).argmax(1).numpy()
        assert run.predictions is not None
        assert (preds == run.predictions).all()  # the file holds the recorded model


def test_finish_job_refuses_a_missing_or_partial_weights_file(tmp_path: Path) -> None:
    from remap.train.trainer import train_model

    with Store.open(tmp_path / "remap.db") as store:
        model_id, _ = store.add_model(SPEC, origin="sampled")
        job = store.enqueue(model_id, config(1), SMALL)
        assert store.claim_job("w", 10) is not None
        run_id = store.start_run(job, "w", "synthetic", "f" * 16)
        result = train_model(SPEC, _split(), config(1))
        store.weights_dir.mkdir()
        (store.weights_dir / "run-1.safetensors").write_bytes(b"partial")
        with pytest.raises(Exception, match="missing or incomplete"):
            store.finish_job(job, "w", run_id, result, weights=("run-1.safetensors", 100))
        with pytest.raises(Exception, match="missing or incomplete"):
            store.finish_job(job, "w", run_id, result, weights=("run-9.safetensors", 7))
        assert store.get_job(job).state == "running"  # nothing finished
        assert store.get_run(run_id).weights_path is None


def test_damaged_weights_files_are_named_with_the_layer(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    missing = tmp_path / "gone.safetensors"
    with pytest.raises(WeightsError, match="gone.safetensors: weights file not found"):
        load_weights(missing)
    good = {k: v.clone() for k, v in _export_state().items()}
    file = tmp_path / "w.safetensors"
    save_file(good, str(file))
    (tmp_path / "cut.safetensors").write_bytes(file.read_bytes()[:-40])
    with pytest.raises(WeightsError, match="cut.safetensors: not a complete safetensors"):
        load_weights(tmp_path / "cut.safetensors")
    good["fc1.weight"] = torch.zeros(5, 7)
    with pytest.raises(WeightsError, match=r"layer 6 \(fc1: Dense 12\) expects fc1.weight of"):
        load_export_state(build_module(SPEC), SPEC, good)


def _export_state() -> dict[str, torch.Tensor]:
    from remap.train.weights import export_state

    return export_state(build_module(SPEC), SPEC)


def _split():  # type: ignore[no-untyped-def]
    from remap.data.registry import load_split

    options = {k: v for k, v in SMALL.items() if k not in ("source", "seed")}
    return load_split("synthetic", 0.2, 0, **options)


# -- resume after kill -9 -------------------------------------------------------------------
SLOW = {**SMALL, "n_train": 1500, "n_test": 200, "input_shape": [1, 16, 16]}
SLOW_SPEC = ArchSpec(
    (1, 16, 16),
    3,
    (Conv2D(3, 16), Activation("relu"), Dropout(0.3), MaxPool(2), Flatten(), Dense(3)),
)


def _train_uninterrupted(path: Path) -> dict[str, torch.Tensor]:
    with Store.open(path) as store:
        model_id, _ = store.add_model(SLOW_SPEC, origin="sampled")
        store.enqueue(model_id, config(3), SLOW)
    assert run_worker(path, "w", lease_seconds=10) == 1
    with Store.open(path) as store:
        run = store.latest_run(model_id)
        assert run is not None
        file = store.weights_file(run)
        assert file is not None
        return load_weights(file)


def test_a_worker_killed_after_an_epoch_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "a" / "remap.db"
    with Store.open(path) as store:
        model_id, _ = store.add_model(SLOW_SPEC, origin="sampled")
        job = store.enqueue(model_id, config(3), SLOW)
        ckpt = checkpoint_path(store, job)
    cmd = [
        sys.executable, "-m", "remap.jobs.worker", "--store", str(path), "--worker-id", "doomed",
        "--lease-seconds", "30", "--threads", "1", "--until-idle",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        with Store.open(path) as store:
            deadline = time.monotonic() + 300
            while not any(e.kind == "epoch" for e in store.events_since(0)):
                assert proc.poll() is None, "the worker ended before its first epoch"
                assert time.monotonic() < deadline, "no epoch after 300 s"
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)  # an epoch was reported: its checkpoint exists
    finally:
        proc.wait()
    with Store.open(path) as store:
        assert store.get_job(job).state == "running"  # the killed worker still holds it
        killed_at = torch.load(ckpt, weights_only=True)["epoch"]
        assert killed_at in (1, 2)
        store.requeue_worker_jobs("doomed", "killed")
        assert store.get_job(job).attempts == 0  # it had trained an epoch: not its fault
    assert run_worker(path, "again", lease_seconds=10) == 1
    with Store.open(path) as store:
        run = store.latest_run(model_id)
        assert run is not None and run.resumed_from == killed_at
        assert [e.epoch for e in run.epochs] == [1, 2, 3]
        file = store.weights_file(run)
        assert file is not None and not ckpt.exists()  # the checkpoint went with the job
        resumed = load_weights(file)
    fresh = _train_uninterrupted(tmp_path / "b" / "remap.db")
    assert resumed.keys() == fresh.keys()
    for key in fresh:
        assert torch.equal(resumed[key], fresh[key]), key  # the same result, bit for bit


def test_a_v1_store_gains_the_weights_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    schema_mod._v1(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        model_id, _ = store.add_model(SPEC, origin="reference")
        store.set_recorded(model_id, {"val_acc": 0.5})
        assert store.get_model(model_id).recorded == {"val_acc": 0.5}
        assert store.weights_usage() == (0, 0)
