"""A training worker: a loop that claims jobs from the store, trains them and records the
results, in its own process (``python -m remap.jobs.worker --store PATH``).

For each claimed job: load the split (cached per process), plan it (a checkpoint to resume,
inherited weights: :mod:`remap.jobs.onejob`), ``start_run``, train with per-epoch metrics
streamed into the store and a checkpoint written after each epoch, write the weights file,
then ``finish_job`` (results, weights reference and ``done`` in one transaction, only while
the lease is still ours). A heartbeat thread extends the lease during
long epochs; if the lease is lost (the job was re-queued) the worker stops the training and
writes nothing more. A cancellation request stops the training between batches and records
the job as cancelled; any other failure (bad data, impossible model, out of memory) records
the job as failed with a one-line message and the worker goes on with the next job. SIGTERM
or SIGINT gives the current job back to the queue and ends the loop; so does the death of the
process named by ``--parent-pid`` (the language server or CLI that started the worker), so
that workers never outlive a killed server.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from remap.arch.errors import ArchError
from remap.data.dataset import Split
from remap.jobs import onejob
from remap.store import JobRecord, Store, StoreError
from remap.store.gc import auto_gc_enabled, collect_weights
from remap.train.metrics import EpochMetrics

log = logging.getLogger("remap.worker")

STATUS_CHECK_SECONDS = 0.25  # how often should_stop may read the store (≤ 4 per second)
_SPLIT_CACHE_SIZE = 2


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _SplitCache:
    """The last few splits this process loaded, keyed by the job's data set description."""

    def __init__(self) -> None:
        self._splits: dict[str, Split] = {}

    def get(self, dataset: dict[str, Any]) -> Split:
        key = json.dumps(dataset, sort_keys=True)
        split = self._splits.pop(key, None)
        if split is None:
            from remap.jobs.train_job import load_job_split

            split = load_job_split(dataset)
            while len(self._splits) >= _SPLIT_CACHE_SIZE:
                self._splits.pop(next(iter(self._splits)))
        self._splits[key] = split  # most recently used last
        return split


class _Heartbeat:
    """Extends a job's lease every ``lease_seconds / 3`` from a daemon thread; ``lost`` is set
    once the store says the job is no longer ours."""

    def __init__(self, store: Store, job_id: int, worker_id: str, lease_seconds: float) -> None:
        self.store = store
        self.job_id = job_id
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"remap-heartbeat-{job_id}", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> bool:
        try:
            ok = self.store.heartbeat(self.job_id, self.worker_id, self.lease_seconds)
        except (sqlite3.Error, StoreError) as exc:  # transient (busy); the lease has slack
            log.warning("heartbeat for job %d failed: %s", self.job_id, exc)
            return True
        if not ok:
            self.lost.set()
        return ok

    def _run(self) -> None:
        interval = max(self.lease_seconds / 3.0, 0.05)
        while not self._stop.wait(interval):
            if not self.beat():
                return


class Worker:
    """Trains the jobs it claims from one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        worker_id: str,
        *,
        lease_seconds: float = 30.0,
        device: str | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.device = device
        self.stop_event = stop_event or threading.Event()
        self._splits = _SplitCache()

    def process(self, job: JobRecord) -> str:
        """Train one claimed job; returns what happened: ``done``, ``failed``, ``cancelled``,
        ``released`` (given back on shutdown) or ``lost`` (lease lost, nothing recorded).
        Steps and files: :mod:`remap.jobs.onejob` (checkpoint after each epoch, resumed
        when the job comes back; weights written before the run is finished)."""
        from remap.train.trainer import TrainingCancelled, TrainingError

        store, me = self.store, self.worker_id
        with _Heartbeat(store, job.id, me, self.lease_seconds) as heart:
            try:
                model = store.get_model(job.model_id)
                split = self._splits.get(job.dataset)
                config = (
                    job.config if self.device is None else job.config.replace(device=self.device)
                )
                plan = onejob.plan_job(store, job, model, split, config)
                if plan.resume is not None:
                    log.info("job %d: resuming after epoch %d", job.id, plan.resumed_from)
                run_id = store.start_run(
                    job.id, me, split.name, split.fingerprint,
                    resumed_from=plan.resumed_from, inherited=plan.inherited,
                )  # fmt: skip

                def on_epoch(metrics: EpochMetrics) -> None:
                    log.info(
                        "job %d epoch %d: val_acc %.4f val_loss %.4f",
                        job.id, metrics.epoch, metrics.val_acc, metrics.val_loss,
                    )  # fmt: skip
                    if not store.add_epoch(run_id, metrics):
                        heart.lost.set()
                    else:
                        heart.beat()

                result = onejob.train_planned(
                    plan,
                    on_epoch=on_epoch,
                    should_stop=self._stop_check(job.id, heart),
                    keep_checkpoint=lambda: not heart.lost.is_set(),
                )
                weights, rescored = None, None
                if result.weights is not None:
                    weights = onejob.save_run_weights(store, run_id, model, result.weights)
                    rescored = onejob.reevaluate(plan, store.weights_dir / weights[0])
            except TrainingCancelled:
                return self._stopped(job.id, heart)
            except Exception as exc:
                if heart.lost.is_set():
                    log.warning("job %d: lease lost (%s); abandoning it", job.id, _one_line(exc))
                    return "lost"
                expected = isinstance(exc, (ArchError, ValueError, TrainingError))
                log.error("job %d failed: %s", job.id, _one_line(exc), exc_info=not expected)
                gc.collect()
                if store.fail_job(job.id, me, _one_line(exc)):
                    onejob.discard_checkpoint(store, job.id)
                    return "failed"
                return "lost"
        if store.finish_job(job.id, me, run_id, result, weights=weights, reevaluated_acc=rescored):
            onejob.discard_checkpoint(store, job.id)
            if auto_gc_enabled(store):
                collected = collect_weights(store)
                if collected.removed:
                    log.info("removed %d unneeded weights file(s)", len(collected.removed))
            log.info("job %d done: val_acc %.4f in %.1fs", job.id, result.val_acc, result.seconds)
            return "done"
        if weights is not None:
            onejob.discard_file(store.weights_dir / weights[0])
        log.warning("job %d: lease lost before the result was saved; result discarded", job.id)
        return "lost"

    def _stop_check(self, job_id: int, heart: _Heartbeat) -> Callable[[], bool]:
        last = [-float("inf")]

        def should_stop() -> bool:
            if heart.lost.is_set() or self.stop_event.is_set():
                return True
            now = time.monotonic()
            if now - last[0] < STATUS_CHECK_SECONDS:
                return False
            last[0] = now
            job = self.store.get_job(job_id)
            if job.state != "running" or job.worker_id != self.worker_id:
                heart.lost.set()
                return True
            return job.cancel_requested

        return should_stop

    def _stopped(self, job_id: int, heart: _Heartbeat) -> str:
        if heart.lost.is_set():
            log.warning("job %d: lease lost; abandoning it", job_id)
            return "lost"
        if self.store.is_cancel_requested(job_id):
            ok = self.store.cancel_job_run(job_id, self.worker_id)
            if ok:
                onejob.discard_checkpoint(self.store, job_id)
            log.info("job %d cancelled", job_id)
            return "cancelled" if ok else "lost"
        ok = self.store.release_job(job_id, self.worker_id, f"worker {self.worker_id} stopped")
        log.info("job %d given back to the queue (worker stopping)", job_id)
        return "released" if ok else "lost"


def run_worker(
    store_path: str | Path,
    worker_id: str | None = None,
    *,
    until_idle: bool = True,
    poll_seconds: float = 0.5,
    lease_seconds: float = 30.0,
    device: str | None = None,
    max_jobs: int | None = None,
    stop_event: threading.Event | None = None,
) -> int:
    """Claim and train jobs; returns the number finished successfully (``done``).

    ``until_idle`` returns once nothing is queued (or the queue is paused) and no job is
    running anywhere (a running job may still come back to the queue if its worker died);
    otherwise the loop waits for work until ``stop_event`` is set. ``max_jobs`` bounds the
    number of jobs claimed. ``device`` overrides each job's configured device."""
    wid = worker_id or default_worker_id()
    stop = stop_event or threading.Event()
    done = claimed = 0
    with Store.open(store_path) as store:
        worker = Worker(store, wid, lease_seconds=lease_seconds, device=device, stop_event=stop)
        log.info("worker %s started on %s", wid, store.path)
        while not stop.is_set() and (max_jobs is None or claimed < max_jobs):
            try:
                job = store.claim_job(wid, lease_seconds)
                if job is None:
                    if until_idle and store.job_counts()["running"] == 0:
                        break
                    stop.wait(poll_seconds)
                    continue
                claimed += 1
                log.info(
                    "claimed job %d (model %d, attempt %d)", job.id, job.model_id, job.attempts
                )
                if worker.process(job) == "done":
                    done += 1
            except (sqlite3.Error, StoreError) as exc:
                log.error("store error (retrying): %s", _one_line(exc))
                stop.wait(poll_seconds)
        log.info("worker %s stopping: %d job(s) done", wid, done)
    return done


def _parent_alive(parent_pid: int) -> bool:
    """False once ``parent_pid`` is gone: this process was re-parented (POSIX) or the pid no
    longer exists. On Windows only the first check is possible (``os.kill`` would kill)."""
    if os.getppid() != parent_pid:
        return False
    if sys.platform == "win32":
        return True
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (pid reused): treat as gone
        return False
    return True


def watch_parent(parent_pid: int, stop: threading.Event, interval: float = 0.5) -> threading.Thread:
    """Set ``stop`` (the worker then gives its job back and ends) as soon as the parent
    process ``parent_pid`` is gone; checked every ``interval`` seconds from a daemon thread."""

    def run() -> None:
        while not stop.wait(interval):
            if not _parent_alive(parent_pid):
                log.warning("parent process %d is gone: giving back the job, stopping", parent_pid)
                stop.set()
                return

    thread = threading.Thread(target=run, name="remap-parent-watch", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m remap.jobs.worker", description="Train queued REMAP jobs."
    )
    parser.add_argument("--store", required=True, help="path of the REMAP store (SQLite file)")
    parser.add_argument("--worker-id", help="name of this worker (default: host-pid)")
    parser.add_argument(
        "--until-idle", action="store_true", help="exit when no job is queued or running"
    )
    parser.add_argument("--device", help="override the jobs' device (cpu, cuda, cuda:N, mps)")
    parser.add_argument("--threads", type=int, help="torch CPU threads for this worker")
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    parser.add_argument("--poll-seconds", type=float, default=0.5)
    parser.add_argument("--max-jobs", type=int)
    parser.add_argument(
        "--parent-pid",
        type=int,
        help="stop (giving the current job back to the queue) when this process is gone",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s remap-worker[%(process)d] %(levelname)s %(message)s",
    )
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: finishing up", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.parent_pid is not None:
        if not _parent_alive(args.parent_pid):
            log.error("parent process %d is not running; not starting", args.parent_pid)
            return 0
        watch_parent(args.parent_pid, stop)
    try:
        run_worker(
            args.store,
            args.worker_id,
            until_idle=args.until_idle,
            poll_seconds=args.poll_seconds,
            lease_seconds=args.lease_seconds,
            device=args.device,
            max_jobs=args.max_jobs,
            stop_event=stop,
        )
    except StoreError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
