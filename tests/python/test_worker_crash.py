"""Crash safety with real worker processes: a worker killed with SIGKILL in the middle of a
training leaves a sound store, its job runs again and every result is stored exactly once;
the executor restarts dead workers and gives jobs back on stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.jobs.executor import LocalExecutor
from remap.store import Store
from remap.train.config import TrainConfig

DATA = {
    "source": "synthetic",
    "n_train": 800,
    "n_test": 120,
    "input_shape": [1, 16, 16],
    "num_classes": 4,
    "seed": 0,
}
CONFIG = TrainConfig(epochs=6, batch_size=16, early_stopping=False, device="cpu", threads=1)


def spec(filters: int) -> ArchSpec:
    return ArchSpec(
        (1, 16, 16),
        4,
        (Conv2D(3, filters), Activation("relu"), MaxPool(2), Flatten(), Dense(4)),
    )


def wait_for(cond: Callable[[], bool], timeout: float = 180.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def worker_cmd(path: Path, worker_id: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "remap.jobs.worker",
        "--store",
        str(path),
        "--worker-id",
        worker_id,
        "--lease-seconds",
        "2",
        "--poll-seconds",
        "0.1",
        "--threads",
        "1",
        *extra,
    ]


def first_epoch_of_running_job(store: Store) -> int | None:
    for e in store.events_since(0):
        if e.kind == "epoch" and store.get_job(e.job_id).state == "running":  # type: ignore[arg-type]
            return e.job_id
    return None


def check_results_exactly_once(store: Store) -> None:
    assert store.integrity_check() == "ok"
    for job in store.list_jobs():
        assert job.state == "done", (job.id, job.state, job.error)
        runs = [r for r in store.list_runs(job.model_id) if r.job_id == job.id]
        finished = [r for r in runs if r.state == "finished"]
        assert len(finished) == 1, (job.id, [(r.id, r.state) for r in runs])
        assert finished[0].id == job.run_id
        assert [e.epoch for e in finished[0].epochs] == list(range(1, CONFIG.epochs + 1))
        assert finished[0].predictions is not None and finished[0].predictions.shape == (120,)


def runs_resumed(store: Store, job_id: int) -> bool:
    runs = [r for r in store.list_runs(store.get_job(job_id).model_id) if r.job_id == job_id]
    return runs[-1].resumed_from is not None and runs[-1].resumed_from >= 1


def test_sigkill_mid_training_then_restart(tmp_path: Path) -> None:
    path = tmp_path / ".remap" / "remap.db"
    with Store.open(path) as store:
        models = [store.add_model(spec(f), origin="sampled")[0] for f in (4, 6, 8)]
        jobs = [store.enqueue(m, CONFIG, DATA) for m in models]

        first = subprocess.Popen(
            worker_cmd(path, "victim"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_for(lambda: first_epoch_of_running_job(store) is not None, what="an epoch")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        interrupted = first_epoch_of_running_job(store)
        assert interrupted is not None  # killed while still training
        assert store.get_job(interrupted).worker_id == "victim"
        assert store.integrity_check() == "ok"

        second = subprocess.run(
            worker_cmd(path, "rescuer", "--until-idle"),
            capture_output=True,
            timeout=120,
        )
        assert second.returncode == 0, second.stderr.decode()[-2000:]
        assert second.stdout == b""  # workers never write to stdout

        check_results_exactly_once(store)
        job = store.get_job(interrupted)
        # it had finished an epoch: resumed from its checkpoint, no attempt counted
        assert job.attempts == 1 and job.worker_id == "rescuer"
        assert runs_resumed(store, interrupted)
        runs = [r for r in store.list_runs(job.model_id) if r.job_id == interrupted]
        assert [r.state for r in runs] == ["failed", "finished"]
        assert "victim lost its lease" in (runs[0].error or "")
        assert {j.id for j in store.list_jobs(["done"])} == set(jobs)


def test_executor_restarts_a_killed_worker_and_requeues_on_stop(tmp_path: Path) -> None:
    path = tmp_path / "remap.db"
    with Store.open(path) as store:
        model, _ = store.add_model(spec(4), origin="sampled")
        store.enqueue(model, CONFIG, DATA)
        executor = LocalExecutor(
            path, workers=1, device="cpu", lease_seconds=60.0, poll_seconds=0.1, threads=1,
            log_dir=tmp_path / "logs",
        )  # fmt: skip
        executor.start()
        try:
            assert executor.running() == 1
            wait_for(lambda: first_epoch_of_running_job(store) is not None, what="an epoch")
            victim = first_epoch_of_running_job(store)
            pid = executor.describe()[0]["pid"]
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: executor.running() == 0, what="the worker to die")
            # the dead worker's job is re-queued at once (not after the 60 s lease)
            assert executor.restart_dead() == 1 and executor.running() == 1
            job = store.get_job(victim)  # type: ignore[arg-type]
            # killed after an epoch: re-queued without counting the attempt (it resumes)
            assert (job.state, job.attempts) in {("queued", 0), ("running", 1)}
            assert "exit code -9" in (store.list_runs(job.model_id)[0].error or "")
            seen: list[dict[str, int]] = []

            def progress(s: Store) -> None:
                seen.append(s.job_counts())

            assert executor.wait_until_idle(poll=0.1, progress=progress, timeout=120)
            assert seen and seen[-1]["done"] == 1
            check_results_exactly_once(store)

            # stop() asks the worker to give its current job back to the queue
            extra, _ = store.add_model(spec(10), origin="sampled")
            long_job = store.enqueue(extra, CONFIG.replace(epochs=500), DATA)
            wait_for(
                lambda: any(
                    e.kind == "epoch" and e.job_id == long_job for e in store.events_since(0)
                ),
                what="the long job",
            )
        finally:
            executor.stop(timeout=20)
        assert executor.running() == 0
        job = store.get_job(long_job)
        assert job.state == "queued" and job.attempts == 0
        assert [r.state for r in store.list_runs(extra)] == ["failed"]
        log_text = (tmp_path / "logs" / "worker-0.log").read_text()
        assert "given back to the queue" in log_text
