"""The Ray executor on a real local Ray instance (2 CPUs, started once for this module): the
queue runs as Ray tasks while only the driver writes the store; epochs arrive live; each run
records executor and node; the data set goes into Ray's object store once; a Ray worker
process killed with SIGKILL mid-task has its job run again with exactly one result; a
running job is cancelled; a driver that vanished leaves leases the next driver takes over;
stopping gives running jobs back to the queue."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from service_helpers import remap, write_tiny_npz

import remap.jobs.ray_executor as ray_executor_mod
from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.jobs.executor import ExecutorError
from remap.jobs.ray_executor import RayExecutor, ray_init_options, task_resources
from remap.store import Store
from remap.train.config import TrainConfig

DATA = {
    "source": "synthetic",
    "n_train": 1200,
    "n_test": 200,
    "input_shape": [1, 8, 8],
    "num_classes": 3,
    "seed": 0,
}


def cfg(epochs: int) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=16, early_stopping=False, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(**ray_init_options("", 2))
    yield
    ray.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "remap.db") as s:
        yield s


def model(store: Store, filters: int = 8) -> int:
    spec = ArchSpec(
        (1, 8, 8), 3, (Conv2D(3, filters), Activation("relu"), MaxPool(2), Flatten(), Dense(3))
    )
    return store.add_model(spec, origin="sampled")[0]


def wait_for(predicate: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def running_task(executor: RayExecutor, job_id: int, store: Store) -> dict[str, Any]:
    """The job's task once its worker reported its pid and at least one epoch was stored."""

    def ready() -> dict[str, Any] | None:
        for task in executor.describe():
            if task["job_id"] == job_id and task["pid"] is not None:
                run_id = store.get_job(job_id).run_id
                if run_id is not None and store.get_run(run_id).epochs:
                    return task
        return None

    found: dict[str, Any] = wait_for(ready)
    return found


def test_task_resources_share_gpus_or_take_a_cpu() -> None:
    assert task_resources(2, 32, 4, "auto") == ({"num_gpus": 0.25, "num_cpus": 1.0}, 8)
    assert task_resources(1, 16, 1, "cuda:3") == ({"num_gpus": 1.0, "num_cpus": 1.0}, 1)
    assert task_resources(2, 32, 4, "cpu") == ({"num_cpus": 1.0}, 32)
    assert task_resources(0, 2, 4, "auto") == ({"num_cpus": 1.0}, 2)
    options = ray_init_options("", 2)
    assert options["num_cpus"] == 2 and options["log_to_driver"] is False
    assert options["address"] == "local"  # a new instance, never someone else's cluster
    assert options["include_dashboard"] is False
    assert ray_init_options("ray://head:10001", 2)["address"] == "ray://head:10001"
    assert "num_cpus" not in ray_init_options("auto", 2)


def test_queue_runs_as_ray_tasks_with_every_epoch_stored_and_the_data_put_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[dict[str, Any]] = []
    real_load = ray_executor_mod.load_job_split

    def counting_load(dataset: dict[str, Any]) -> Any:
        loads.append(dataset)
        return real_load(dataset)

    monkeypatch.setattr(ray_executor_mod, "load_job_split", counting_load)
    jobs = [store.enqueue(model(store, f), cfg(2), DATA) for f in (4, 6, 8)]
    executor = RayExecutor(store.path, device="cpu")
    with executor:
        assert executor.wait_until_idle(poll=0.05, timeout=300)
        assert executor.capacity == 2  # one task per CPU of the local instance
    assert len(loads) == 1  # one load, one ray.put for the whole queue
    for job_id in jobs:
        job = store.get_job(job_id)
        assert job.state == "done" and job.attempts == 1
        runs = store.list_runs(job.model_id)
        assert [r.state for r in runs] == ["finished"]
        assert runs[0].executor == "ray" and runs[0].node == ray.util.get_node_ip_address()
        assert [e.epoch for e in runs[0].epochs] == [1, 2]
        assert runs[0].worker_id is not None and runs[0].worker_id.startswith("ray-")
        # The weights came back with the result; the driver wrote and re-scored the file.
        assert store.weights_file(runs[0]) is not None
        assert runs[0].reevaluated_acc == pytest.approx(runs[0].val_acc, abs=0.02)
    # That epochs reach the store while a task still runs is shown with long jobs below
    # (a 2-epoch job on this data can finish within one driver poll, epochs and all).


def test_a_killed_ray_worker_process_reruns_its_job_with_one_result(store: Store) -> None:
    job_id = store.enqueue(model(store), cfg(12), DATA)
    with RayExecutor(store.path, device="cpu", tasks=1) as executor:
        task = running_task(executor, job_id, store)
        os.kill(task["pid"], signal.SIGKILL)
        assert executor.wait_until_idle(poll=0.1, timeout=300)
    job = store.get_job(job_id)
    # A loss after an epoch was stored costs no attempt (the model trains; the machine died).
    assert job.state == "done" and job.attempts == 1
    runs = store.list_runs(job.model_id)
    assert [r.state for r in runs] == ["failed", "finished"]
    assert "interrupted" in (runs[0].error or "") and "WorkerCrashedError" in runs[0].error
    assert len(runs[1].epochs) == 12 and runs[1].id == job.run_id


def test_epochs_stream_live_then_cancel_a_running_ray_task_and_stop_gives_jobs_back(
    store: Store,
) -> None:
    cancelled = store.enqueue(model(store, 4), cfg(400), DATA)
    given_back = store.enqueue(model(store, 6), cfg(400), DATA)
    with RayExecutor(store.path, device="cpu", tasks=2) as executor:
        running_task(executor, cancelled, store)
        running_task(executor, given_back, store)
        # Both jobs (400 epochs each) are still running with epochs already in the store.
        for job_id in (cancelled, given_back):
            live = store.get_job(job_id)
            assert live.state == "running" and live.run_id is not None
            assert store.get_run(live.run_id).epochs
        assert store.request_cancel(cancelled) == "cancelling"
        wait_for(lambda: store.get_job(cancelled).state == "cancelled")
    job = store.get_job(cancelled)
    assert store.get_run(job.run_id or 0).state == "cancelled"
    back = store.get_job(given_back)  # the executor stopped: back to the queue, not failed
    assert back.state == "queued" and back.attempts == 0
    assert [r.state for r in store.list_runs(back.model_id)] == ["failed"]


def test_a_vanished_drivers_job_runs_again_once_its_lease_expires(store: Store) -> None:
    job_id = store.enqueue(model(store), cfg(1), DATA)
    claimed = store.claim_job("ray-deadhost-1-t1", lease_seconds=0.5)  # then the driver died
    assert claimed is not None
    store.start_run(job_id, "ray-deadhost-1-t1", "synthetic", "0" * 16, executor="ray")
    with RayExecutor(store.path, device="cpu", tasks=1) as executor:
        assert executor.wait_until_idle(poll=0.1, timeout=300)
    job = store.get_job(job_id)
    assert job.state == "done" and job.attempts == 2
    assert [r.state for r in store.list_runs(job.model_id)] == ["failed", "finished"]


def test_cli_trains_through_ray_and_show_reports_executor_and_node(tmp_path: Path) -> None:
    """`remap train --executor ray` in its own process, joining this module's Ray instance
    as a cluster (``--ray-address``): stdout carries only REMAP's lines, and `remap show
    --json` says where each run trained."""
    data = write_tiny_npz(tmp_path)
    setup = remap("settings", f"dataset={data}", "epochs=1", "max_params=20000", "-w", tmp_path)
    assert setup.returncode == 0, setup.stderr
    assert remap("sample", "2", "-w", tmp_path).returncode == 0
    address = ray.get_runtime_context().gcs_address
    out = remap("train", "--executor", "ray", "--ray-address", address, "-w", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "queue empty: 2 done, 0 failed, 0 cancelled"
    shown = json.loads(remap("show", "1", "--json", "-w", tmp_path).stdout)
    assert shown["run"]["executor"] == "ray" and shown["run"]["node"]


def test_the_language_servers_runtime_runs_the_queue_through_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's executor choice (setting `executor`), through lsp/runtime.py's
    sync_executor as the watcher calls it; it joins the Ray instance already running."""
    from remap.lsp.runtime import Runtime
    from remap.service import experiments

    monkeypatch.setenv("REMAP_LSP_WARMUP", "0")
    data = write_tiny_npz(tmp_path)
    rt = Runtime()
    settings = {"dataset": str(data), "epochs": 1, "maxParams": 20000, "executor": "ray"}
    try:
        assert rt.submit(rt.open, tmp_path, {**settings, "workers": 2}).result() == []
        rt.submit(lambda: experiments.sample(rt.workspace(), 2, 0)).result()

        def tick() -> dict[str, int]:
            ws = rt.workspace()
            counts = ws.store.job_counts()
            rt.sync_executor(counts, ws.store.is_paused())
            return counts

        wait_for(lambda: rt.submit(tick).result()["done"] == 2, timeout=240)
        runs = rt.submit(lambda: [r.executor for r in rt.workspace().store.list_runs(1)]).result()
        assert runs == ["ray"]
    finally:
        rt.close()


def test_a_driver_that_cannot_reach_ray_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(self: RayExecutor) -> None:
        raise ConnectionError("no Ray cluster at head:6379")

    monkeypatch.setattr(RayExecutor, "_connect", unreachable)
    with Store.open(tmp_path / "remap.db") as store:
        store.enqueue(model(store), cfg(1), DATA)
    executor = RayExecutor(tmp_path / "remap.db", address="head:6379")
    executor.start()
    with pytest.raises(ExecutorError, match="no Ray cluster at head:6379"):
        executor.wait_until_idle(poll=0.05, timeout=60)
    assert executor.restart_dead() == 0  # not retried in a loop; reported instead
    (entry,) = executor.describe()
    assert entry["alive"] is False and "no Ray cluster" in entry["error"]
    executor.stop()
    with Store.open(tmp_path / "remap.db") as store:
        assert store.job_counts()["queued"] == 1  # nothing was claimed
