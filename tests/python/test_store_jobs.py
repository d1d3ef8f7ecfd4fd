"""The job queue and runs in the store: ordering, priority, reorder, pause, cancellation,
exclusive claims under racing processes, lease expiry, exactly-once results, events."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from remap.arch.layers import Activation, Conv2D, Dense, Flatten
from remap.arch.spec import ArchSpec
from remap.store import (
    MAX_ATTEMPTS_KEY,
    JobStateError,
    LeaseLostError,
    Store,
    StoreError,
    UnknownJobError,
)
from remap.train.config import TrainConfig
from remap.train.metrics import EpochMetrics, TrainResult

DATA = {"source": "synthetic", "holdout": 0.2, "seed": 0}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def spec(filters: int) -> ArchSpec:
    return ArchSpec((1, 8, 8), 3, (Conv2D(3, filters), Activation("relu"), Flatten(), Dense(3)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    s = Store.open(tmp_path / "remap.db", clock=clock)
    yield s
    s.close()


def add(store: Store, n: int) -> list[int]:
    return [store.add_model(spec(f + 1), origin="sampled")[0] for f in range(n)]


def epoch(n: int, acc: float = 0.5) -> EpochMetrics:
    return EpochMetrics(n, 1.0 / n, acc, 1.1 / n, acc, 1e-3, 0.1)


def result(acc: float = 0.75, epochs: int = 2) -> TrainResult:
    return TrainResult(
        epochs=tuple(epoch(i + 1, acc) for i in range(epochs)),
        train_acc=acc + 0.1,
        val_acc=acc,
        val_loss=0.5,
        per_class_acc=(1.0, 0.5, 0.75),
        confusion=np.array([[4, 0, 0], [1, 1, 0], [0, 1, 3]], dtype=np.int64),
        predictions=np.array([0, 0, 0, 0, 1, 0, 2, 1, 2, 2], dtype=np.int16),
        params=123,
        seconds=1.5,
        device="cpu (1 thread)",
        stopped_early=False,
    )


def queued_ids(store: Store) -> list[int]:
    return [j.id for j in store.list_jobs(["queued"])]


# -- ordering ---------------------------------------------------------------------------------
def test_enqueue_and_order_by_priority_then_position(store: Store, clock: Clock) -> None:
    m = add(store, 4)
    j = [store.enqueue(m[i], TrainConfig(epochs=1 + i), DATA) for i in range(3)]
    urgent = store.enqueue(m[3], TrainConfig(), DATA, priority=5)
    job = store.get_job(j[1])
    assert (job.state, job.model_id, job.config, job.dataset) == (
        "queued",
        m[1],
        TrainConfig(epochs=2),
        DATA,
    )
    assert (job.attempts, job.worker_id, job.run_id, job.cancel_requested) == (0, None, None, False)
    assert queued_ids(store) == [urgent, j[0], j[1], j[2]]
    claimed = store.claim_job("w1", 30)
    assert claimed is not None and claimed.id == urgent
    assert claimed.state == "running" and claimed.worker_id == "w1" and claimed.attempts == 1
    assert claimed.lease_until == pytest.approx(clock.t + 30)
    clock.t += 1
    store.request_cancel(j[2])
    listing = store.list_jobs()
    assert [x.id for x in listing] == [urgent, j[0], j[1], j[2]]
    assert [x.state for x in listing] == ["running", "queued", "queued", "cancelled"]
    assert store.job_counts() == {"queued": 2, "running": 1, "done": 0, "failed": 0, "cancelled": 1}
    with pytest.raises(StoreError, match="unknown job state 'waiting'"):
        store.list_jobs(["waiting"])


def test_reorder_moves_listed_jobs_first_and_keeps_the_rest(store: Store) -> None:
    m = add(store, 5)
    j = [store.enqueue(mid, TrainConfig(), DATA) for mid in m[:4]]
    high = store.enqueue(m[4], TrainConfig(), DATA, priority=3)
    assert queued_ids(store) == [high, *j]
    store.reorder([j[3], j[1]])
    assert queued_ids(store) == [j[3], j[1], high, j[0], j[2]]
    store.reorder([j[2], j[0], j[1], j[3], high])
    assert queued_ids(store) == [j[2], j[0], j[1], j[3], high]
    assert store.claim_job("w", 10).id == j[2]  # type: ignore[union-attr]


def test_reorder_rejects_bad_ids_without_changing_anything(store: Store) -> None:
    m = add(store, 3)
    j = [store.enqueue(mid, TrainConfig(), DATA) for mid in m]
    running = store.claim_job("w", 10)
    assert running is not None and running.id == j[0]
    before = queued_ids(store)
    with pytest.raises(JobStateError, match=f"job {j[0]} is running"):
        store.reorder([j[2], j[0]])
    with pytest.raises(UnknownJobError, match="unknown job id 99"):
        store.reorder([j[2], 99])
    with pytest.raises(StoreError, match="more than once"):
        store.reorder([j[2], j[2]])
    assert queued_ids(store) == before


# -- pause and cancel ---------------------------------------------------------------------------
def test_pause_stops_claims_until_resumed(store: Store) -> None:
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    assert not store.is_paused()
    store.set_paused(True)
    assert store.is_paused()
    assert store.claim_job("w", 10) is None
    store.set_paused(False)
    claimed = store.claim_job("w", 10)
    assert claimed is not None and claimed.id == job_id
    assert store.claim_job("w", 10) is None  # empty


def test_cancel_queued_running_and_finished_jobs(store: Store) -> None:
    m = add(store, 2)
    queued = store.enqueue(m[0], TrainConfig(), DATA, priority=-1)
    running = store.enqueue(m[1], TrainConfig(), DATA)
    assert store.claim_job("w", 10).id == running  # type: ignore[union-attr]
    assert store.request_cancel(queued) == "cancelled"
    assert store.get_job(queued).state == "cancelled"
    assert store.claim_job("w2", 10) is None  # a cancelled job is never handed out
    assert not store.is_cancel_requested(running)
    assert store.request_cancel(running) == "cancelling"
    assert store.is_cancel_requested(running)
    assert store.get_job(running).state == "running"
    run_id = store.start_run(running, "w", "synthetic", "f" * 16)
    assert store.cancel_job_run(running, "w")
    job = store.get_job(running)
    assert job.state == "cancelled" and job.finished_at is not None
    assert store.get_run(run_id).state == "cancelled"
    with pytest.raises(JobStateError, match=f"job {running} is already cancelled"):
        store.request_cancel(running)


# -- leases -------------------------------------------------------------------------------------
def test_heartbeat_and_lease_expiry_requeue(store: Store, clock: Clock) -> None:
    m = add(store, 2)
    first = store.enqueue(m[0], TrainConfig(), DATA)
    second = store.enqueue(m[1], TrainConfig(), DATA)
    assert store.claim_job("w1", 10).id == first  # type: ignore[union-attr]
    run_id = store.start_run(first, "w1", "synthetic", "a" * 16)
    assert store.add_epoch(run_id, epoch(1))
    clock.t += 8
    assert store.heartbeat(first, "w1", 10)  # lease now runs to t + 10
    assert not store.heartbeat(first, "w2", 10)
    clock.t += 9
    assert store.requeue_expired() == 0
    clock.t += 2  # lease expired
    assert store.requeue_expired() == 1
    job = store.get_job(first)
    # it finished an epoch: the loss is not the model's fault and costs no attempt
    assert job.state == "queued" and job.worker_id is None and job.attempts == 0
    assert "w1 lost its lease" in (job.error or "")
    run = store.get_run(run_id)
    assert run.state == "failed" and "interrupted" in (run.error or "")
    assert not store.heartbeat(first, "w1", 10)  # the old worker must abandon it
    assert not store.add_epoch(run_id, epoch(2))  # and its late epochs are ignored
    assert len(store.get_run(run_id).epochs) == 1
    # the re-queued job keeps its place ahead of the later job
    again = store.claim_job("w2", 10)
    assert again is not None and again.id == first and again.attempts == 1
    assert queued_ids(store) == [second]


def test_a_loss_counts_as_an_attempt_only_before_the_first_epoch(
    store: Store, clock: Clock
) -> None:
    store.set_setting("jobs.max_attempts", 2)
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    for attempt in range(5):  # killed after an epoch every time: never the model's fault
        assert store.claim_job(f"w{attempt}", 10) is not None
        run_id = store.start_run(job_id, f"w{attempt}", "synthetic", "a" * 16)
        assert store.add_epoch(run_id, epoch(1))
        assert store.requeue_worker_jobs(f"w{attempt}", "killed") == 1
        assert store.get_job(job_id).state == "queued"
    for _ in range(2):  # killed before the first epoch ends: counted, then failed
        assert store.claim_job("x", 10) is not None
        store.start_run(job_id, "x", "synthetic", "a" * 16)
        store.requeue_worker_jobs("x", "killed")
    job = store.get_job(job_id)
    assert job.state == "failed" and "gave up after 2 attempts" in (job.error or "")


def test_claim_requeues_expired_leases_first(store: Store, clock: Clock) -> None:
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    assert store.claim_job("dead", 5) is not None
    assert store.claim_job("alive", 5) is None
    clock.t += 6
    claimed = store.claim_job("alive", 5)
    assert claimed is not None and claimed.id == job_id and claimed.worker_id == "alive"


def test_a_job_that_keeps_killing_workers_fails_after_max_attempts(
    store: Store, clock: Clock
) -> None:
    (m,) = add(store, 1)
    store.set_setting(MAX_ATTEMPTS_KEY, 2)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    for attempt in (1, 2):
        assert store.claim_job(f"w{attempt}", 5) is not None
        clock.t += 6
    assert store.claim_job("w3", 5) is None
    job = store.get_job(job_id)
    assert job.state == "failed" and "gave up after 2 attempts" in (job.error or "")


def test_release_and_requeue_of_a_dead_worker(store: Store) -> None:
    m = add(store, 2)
    a = store.enqueue(m[0], TrainConfig(), DATA)
    b = store.enqueue(m[1], TrainConfig(), DATA)
    assert store.claim_job("w1", 60).id == a  # type: ignore[union-attr]
    assert store.claim_job("w2", 60).id == b  # type: ignore[union-attr]
    assert store.release_job(a, "w1", "shutting down")
    assert not store.release_job(a, "w1")  # no longer its own
    job = store.get_job(a)
    assert job.state == "queued" and job.attempts == 0  # a clean release is not an attempt
    assert store.requeue_worker_jobs("w2", "worker w2 died (exit code -9)") == 1
    job = store.get_job(b)
    assert job.state == "queued" and job.attempts == 1 and "exit code -9" in (job.error or "")
    # a dead worker whose job was being cancelled leaves it cancelled, not queued
    assert store.claim_job("w3", 60).id == a  # type: ignore[union-attr]
    store.request_cancel(a)
    store.requeue_worker_jobs("w3", "died")
    assert store.get_job(a).state == "cancelled"


# -- runs and results ---------------------------------------------------------------------------
def test_finish_job_stores_results_once(store: Store) -> None:
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(epochs=2), DATA)
    store.claim_job("w", 30)
    run_id = store.start_run(job_id, "w", "synthetic", "b" * 16)
    assert store.get_job(job_id).run_id == run_id
    store.add_epoch(run_id, epoch(1, 0.6))
    live = store.latest_run(m, finished_only=False)
    assert live is not None and live.state == "running" and len(live.epochs) == 1
    assert store.latest_run(m) is None
    res = result()
    assert store.finish_job(job_id, "w", run_id, res)
    assert not store.finish_job(job_id, "w", run_id, res)  # second time: nothing
    job = store.get_job(job_id)
    assert job.state == "done" and job.lease_until is None and job.finished_at is not None
    run = store.latest_run(m, fingerprint="b" * 16)
    assert run is not None and run.id == run_id and run.state == "finished"
    assert run.epochs == res.epochs
    assert (run.val_acc, run.train_acc, run.val_loss) == (0.75, res.train_acc, 0.5)
    assert run.per_class_acc == (1.0, 0.5, 0.75)
    assert run.confusion is not None and run.confusion.dtype == np.int64
    assert np.array_equal(run.confusion, res.confusion)
    assert run.predictions is not None and run.predictions.dtype == np.int16
    assert np.array_equal(run.predictions, res.predictions)
    assert (run.params, run.seconds, run.device, run.stopped_early) == (123, 1.5, res.device, False)
    assert run.config == TrainConfig(epochs=2) and run.dataset_name == "synthetic"
    assert store.latest_run(m, fingerprint="c" * 16) is None


def test_finish_job_after_a_lost_lease_writes_nothing(store: Store, clock: Clock) -> None:
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    store.claim_job("slow", 5)
    old_run = store.start_run(job_id, "slow", "synthetic", "d" * 16)
    clock.t += 6
    store.claim_job("fast", 5)  # re-queues and takes the job
    new_run = store.start_run(job_id, "fast", "synthetic", "d" * 16)
    assert store.finish_job(job_id, "fast", new_run, result(0.9))
    assert not store.finish_job(job_id, "slow", old_run, result(0.1))
    assert not store.fail_job(job_id, "slow", "late failure")
    assert not store.cancel_job_run(job_id, "slow")
    with pytest.raises(LeaseLostError, match=f"job {job_id} is no longer held by slow"):
        store.start_run(job_id, "slow", "synthetic", "d" * 16)
    runs = store.list_runs(m)
    assert [(r.id, r.state) for r in runs] == [(old_run, "failed"), (new_run, "finished")]
    assert [r.val_acc for r in runs if r.state == "finished"] == [0.9]
    assert store.get_job(job_id).state == "done"


def test_fail_job_records_one_line(store: Store) -> None:
    (m,) = add(store, 1)
    job_id = store.enqueue(m, TrainConfig(), DATA)
    store.claim_job("w", 30)
    run_id = store.start_run(job_id, "w", "synthetic", "e" * 16)
    assert store.fail_job(job_id, "w", "ValueError: bad\n  shape\tsomewhere")
    job = store.get_job(job_id)
    assert job.state == "failed" and job.error == "ValueError: bad shape somewhere"
    assert store.get_run(run_id).state == "failed"
    with pytest.raises(JobStateError, match="already failed"):
        store.request_cancel(job_id)


def test_finished_runs_gives_the_latest_finished_run_per_model(store: Store) -> None:
    m = add(store, 3)
    fp = "f" * 16
    accs = {}
    for acc in (0.5, 0.8):
        for i, mid in enumerate(m[:2]):
            job_id = store.enqueue(mid, TrainConfig(), DATA)
            store.claim_job("w", 30)
            run_id = store.start_run(job_id, "w", "synthetic", fp)
            store.finish_job(job_id, "w", run_id, result(acc + i / 100))
            accs[mid] = (run_id, acc + i / 100)
    other = store.enqueue(m[2], TrainConfig(), DATA)
    store.claim_job("w", 30)
    store.finish_job(other, "w", store.start_run(other, "w", "other", "0" * 16), result())
    runs = store.finished_runs(fp)
    assert [(r.model_id, r.id, r.val_acc) for r in runs] == [(mid, *accs[mid]) for mid in m[:2]]
    assert len(store.list_runs(m[0])) == 2


def test_job_and_run_events(store: Store) -> None:
    (m,) = add(store, 1)
    start = store.last_event_seq()
    job_id = store.enqueue(m, TrainConfig(), DATA)
    store.claim_job("w", 30)
    run_id = store.start_run(job_id, "w", "synthetic", "a" * 16)
    store.add_epoch(run_id, epoch(1, 0.4))
    store.finish_job(job_id, "w", run_id, result())
    events = store.events_since(start)
    assert [e.kind for e in events] == [
        "job_changed",
        "job_changed",
        "run_started",
        "epoch",
        "run_finished",
        "job_changed",
    ]
    assert [e.payload.get("state") for e in events if e.kind == "job_changed"] == [
        "queued",
        "running",
        "done",
    ]
    assert all(e.job_id == job_id and e.model_id == m for e in events)
    assert events[3].payload["run_id"] == run_id and events[3].payload["val_acc"] == 0.4
    assert events[4].payload["val_acc"] == 0.75


def test_bad_enqueue_arguments(store: Store) -> None:
    (m,) = add(store, 1)
    with pytest.raises(StoreError, match="'source'"):
        store.enqueue(m, TrainConfig(), {"holdout": 0.2})
    with pytest.raises(StoreError, match="TrainConfig"):
        store.enqueue(m, {"epochs": 2}, DATA)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="lease_seconds must be positive"):
        store.claim_job("w", 0)
    with pytest.raises(KeyError, match="unknown model id 99"):
        store.enqueue(99, TrainConfig(), DATA)
    assert store.list_jobs() == []


# -- racing processes -------------------------------------------------------------------------
def _claim_all(path: str, worker: str, out: mp.Queue, start: Any) -> None:  # type: ignore[type-arg]
    claimed = []
    with Store.open(path) as s:
        start.wait()  # all processes claim at the same moment
        while (job := s.claim_job(worker, 60)) is not None:
            claimed.append(job.id)
            time.sleep(0.002)  # "work", so that the claimers interleave
    out.put((worker, claimed))


def test_claims_are_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    with Store.open(path) as s:
        (m,) = add(s, 1)
        jobs = [s.enqueue(m, TrainConfig(seed=i), DATA) for i in range(60)]
    # fork: the children start at once (no re-import); each opens its own connection
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = ctx.Barrier(3)
    procs = [
        ctx.Process(target=_claim_all, args=(str(path), f"w{i}", out, start)) for i in range(3)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    claimed = [j for ids in results.values() for j in ids]
    assert sorted(claimed) == jobs  # every job once, none twice
    with Store.open(path) as s:
        owners = {j.id: j.worker_id for j in s.list_jobs(["running"])}
        assert len(owners) == 60
        for worker, ids in results.items():
            assert all(owners[j] == worker for j in ids)
        assert s.integrity_check() == "ok"
