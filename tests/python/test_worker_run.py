"""The worker loop in-process on tiny synthetic data: jobs finish with their results stored,
failing jobs are recorded and the next one still runs, a running job is cancelled between
batches, a worker whose lease was taken away abandons the job without writing a result."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import remap.train.trainer as trainer_mod
from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.jobs.executor import (
    MAX_QUICK_DEATHS,
    ExecutorError,
    LocalExecutor,
    default_worker_count,
    worker_devices,
)
from remap.jobs.worker import run_worker
from remap.store import Store
from remap.train.config import TrainConfig

DATA = {
    "source": "synthetic",
    "n_train": 240,
    "n_test": 60,
    "input_shape": [1, 8, 8],
    "num_classes": 3,
    "seed": 0,
}


def spec(filters: int) -> ArchSpec:
    return ArchSpec(
        (1, 8, 8), 3, (Conv2D(3, filters), Activation("relu"), MaxPool(2), Flatten(), Dense(3))
    )


def cfg(epochs: int = 2, **kw: Any) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=16, early_stopping=False, device="cpu", **kw)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "remap.db") as s:
        yield s


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def in_thread(store: Store, **kw: Any) -> tuple[threading.Thread, list[int]]:
    out: list[int] = []
    t = threading.Thread(
        target=lambda: out.append(run_worker(store.path, "w", poll_seconds=0.05, **kw)),
        daemon=True,
    )
    t.start()
    return t, out


def test_worker_trains_queued_jobs_and_stores_results(store: Store) -> None:
    m1, _ = store.add_model(spec(4), origin="sampled")
    m2, _ = store.add_model(spec(6), origin="sampled")
    j1 = store.enqueue(m1, cfg(2), DATA)
    j2 = store.enqueue(m2, cfg(3), DATA, priority=1)
    start = store.last_event_seq()
    assert run_worker(store.path, "w", poll_seconds=0.05) == 2
    jobs = {j.id: j for j in store.list_jobs()}
    assert jobs[j1].state == jobs[j2].state == "done"
    assert jobs[j2].finished_at <= jobs[j1].finished_at  # type: ignore[operator]
    run = store.latest_run(m2)
    assert run is not None and run.job_id == j2 and run.state == "finished"
    assert [e.epoch for e in run.epochs] == [1, 2, 3]
    assert run.dataset_name == "synthetic" and len(run.fingerprint) == 16
    assert run.predictions is not None and run.predictions.shape == (60,)
    assert run.confusion is not None and run.confusion.shape == (3, 3)
    assert int(run.confusion.sum()) == 60
    assert run.val_acc == pytest.approx(np.trace(run.confusion) / 60)
    assert run.device is not None and run.device.startswith("cpu")
    assert len(store.finished_runs(run.fingerprint)) == 2
    kinds = [e.kind for e in store.events_since(start)]
    assert kinds.count("epoch") == 5 and kinds.count("run_finished") == 2
    assert store.integrity_check() == "ok"


def test_failures_are_recorded_and_the_next_job_runs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    impossible, _ = store.add_model(
        ArchSpec((1, 8, 8), 3, (Conv2D(9, 4), Flatten(), Dense(3))), origin="handcrafted"
    )
    oom, _ = store.add_model(spec(5), origin="sampled")
    good, _ = store.add_model(spec(4), origin="sampled")
    j_bad = store.enqueue(impossible, cfg(), DATA)
    j_data = store.enqueue(good, cfg(), {"source": str(store.path.parent / "missing.npz")})
    j_oom = store.enqueue(oom, cfg(), DATA)
    j_good = store.enqueue(good, cfg(), DATA)
    real = trainer_mod.train_model

    def flaky(spec: ArchSpec, *args: Any, **kw: Any) -> Any:
        if spec.layers[0] == Conv2D(3, 5):
            raise RuntimeError("CUDA out of memory.\nTried to allocate 2.00 GiB")
        return real(spec, *args, **kw)

    monkeypatch.setattr(trainer_mod, "train_model", flaky)
    assert run_worker(store.path, "w", poll_seconds=0.05) == 1
    jobs = {j.id: j for j in store.list_jobs()}
    assert jobs[j_bad].state == "failed"
    assert (jobs[j_bad].error or "").startswith("ArchError: layer 0 (Conv2D 9×9/4)")
    assert jobs[j_data].state == "failed" and "missing.npz" in (jobs[j_data].error or "")
    assert jobs[j_oom].state == "failed"
    assert jobs[j_oom].error == "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert jobs[j_good].state == "done"
    assert [r.state for r in store.list_runs(oom)] == ["failed"]
    assert store.list_runs(oom)[0].error == jobs[j_oom].error


def test_cancelling_a_running_job_stops_it_between_batches(store: Store) -> None:
    long, _ = store.add_model(spec(4), origin="sampled")
    nxt, _ = store.add_model(spec(6), origin="sampled")
    j_long = store.enqueue(long, cfg(200), DATA)
    j_next = store.enqueue(nxt, cfg(1), DATA)
    thread, out = in_thread(store)
    wait_for(lambda: any(e.kind == "epoch" for e in store.events_since(0)))
    assert store.request_cancel(j_long) == "cancelling"
    asked = time.monotonic()
    wait_for(lambda: store.get_job(j_long).state == "cancelled")
    assert time.monotonic() - asked < 5.0  # between batches, not after 200 epochs
    thread.join(timeout=60)
    assert out == [1]
    run = store.list_runs(long)[0]
    assert run.state == "cancelled" and 1 <= len(run.epochs) < 200
    assert store.get_job(j_next).state == "done"


def test_a_worker_that_lost_its_lease_abandons_the_job(store: Store) -> None:
    m, _ = store.add_model(spec(4), origin="sampled")
    job_id = store.enqueue(m, cfg(200), DATA)
    thread, out = in_thread(store, lease_seconds=30.0)
    wait_for(lambda: any(e.kind == "epoch" for e in store.events_since(0)))
    # Someone else decides the lease expired (as a store with a later clock would).
    with Store.open(store.path, clock=lambda: time.time() + 3600) as future:
        assert future.requeue_expired() == 1
        assert future.request_cancel(job_id) == "cancelled"  # so that nobody reclaims it
    thread.join(timeout=60)
    assert not thread.is_alive() and out == [0]
    runs = store.list_runs(m)
    assert [r.state for r in runs] == ["failed"]
    n_epochs = len(runs[0].epochs)
    assert n_epochs < 200
    time.sleep(0.3)
    assert len(store.get_run(runs[0].id).epochs) == n_epochs  # nothing written afterwards
    assert store.get_job(job_id).state == "cancelled"


def test_stop_event_gives_the_job_back(store: Store) -> None:
    m, _ = store.add_model(spec(4), origin="sampled")
    job_id = store.enqueue(m, cfg(200), DATA)
    stop = threading.Event()
    thread, out = in_thread(store, until_idle=False, stop_event=stop)
    wait_for(lambda: any(e.kind == "epoch" for e in store.events_since(0)))
    stop.set()
    thread.join(timeout=30)
    assert out == [0]
    job = store.get_job(job_id)
    assert job.state == "queued" and job.attempts == 0 and job.worker_id is None
    assert [r.state for r in store.list_runs(m)] == ["failed"]


def test_max_jobs_and_paused_queue(store: Store) -> None:
    m, _ = store.add_model(spec(4), origin="sampled")
    ids = [store.enqueue(m, cfg(1, seed=i), DATA) for i in range(3)]
    assert run_worker(store.path, "w", max_jobs=1, poll_seconds=0.05) == 1
    store.set_paused(True)
    assert run_worker(store.path, "w", poll_seconds=0.05) == 0  # paused: idle at once
    assert [store.get_job(i).state for i in ids] == ["done", "queued", "queued"]


def test_worker_counts_and_devices_simulated_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import remap.jobs.placement as ex

    monkeypatch.setattr(ex, "cuda_device_count", lambda: 0)
    assert default_worker_count("auto") == 1
    assert default_worker_count("cpu", cpu_workers=3) == 3
    assert default_worker_count("cuda:1") == 1
    assert worker_devices("cpu", 2) == ["cpu", "cpu"]
    assert worker_devices("auto", 1) == [None]
    monkeypatch.setattr(ex, "cuda_device_count", lambda: 4)
    assert default_worker_count("auto") == 4 and default_worker_count("cuda") == 4
    assert worker_devices("auto", 4) == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert worker_devices("cuda:2", 1) == ["cuda:2"]
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor("x.db", workers=0)


def test_until_idle_waits_for_a_dead_workers_lease_then_reruns_the_job(store: Store) -> None:
    m, _ = store.add_model(spec(4), origin="sampled")
    job_id = store.enqueue(m, cfg(1), DATA)
    ghost = store.claim_job("ghost", 1.0)  # a worker that claimed the job and died
    assert ghost is not None and ghost.id == job_id
    started = time.monotonic()
    assert run_worker(store.path, "w", poll_seconds=0.05) == 1
    assert time.monotonic() - started >= 0.9  # it waited for the lease rather than quitting
    job = store.get_job(job_id)
    assert job.state == "done" and job.worker_id == "w" and job.attempts == 2


def test_executor_gives_up_on_workers_that_die_at_start(store: Store) -> None:
    m, _ = store.add_model(spec(4), origin="sampled")
    job_id = store.enqueue(m, cfg(1), DATA)
    broken = {**os.environ, "PYTHONHOME": str(store.path.parent / "no-such-python")}
    logs = store.path.parent / "logs"
    executor = LocalExecutor(store.path, workers=2, device="cpu", env=broken, log_dir=logs)
    executor.start()
    try:
        with pytest.raises(ExecutorError, match="died right after starting"):
            executor.wait_until_idle(poll=0.05, timeout=60)
        assert executor.running() == 0
        assert executor.restarts == 2 * (MAX_QUICK_DEATHS - 1)
    finally:
        executor.stop(timeout=5)
    assert store.get_job(job_id).state == "queued"  # untouched, for a working executor later
    assert "encodings" in (logs / "worker-1.log").read_text()  # the workers' own error
