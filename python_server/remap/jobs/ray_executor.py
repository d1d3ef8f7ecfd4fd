"""Ray executor: the training queue runs as Ray tasks on a local Ray instance or a cluster,
driven from this process (the CLI or the language server).

The store stays the single source of truth and only this driver opens it: a driver thread
claims jobs with a lease (one worker id per submitted task), keeps their leases alive,
submits one task per job (:func:`remap.jobs.ray_task.run_job_task`), streams the epochs the
tasks report through a ``ray.util.queue.Queue`` into the store (``start_run`` with the
task's node, ``add_epoch``), and records each outcome exactly once (``finish_job`` /
``fail_job`` / ``cancel_job_run`` only while the lease is ours). Each data set is put into
Ray's object store once per session.

Guarantees, as with local workers:
- cancel: a cancellation request in the store makes the driver ``ray.cancel`` the task
  (``force``: the worker process is replaced) and record the job as cancelled;
- a Ray worker process or node that dies mid-task fails the task (``max_retries=0``); the
  driver re-queues the job with the attempt counted (``jobs.max_attempts`` still bounds a
  model that kills its worker every time), so it runs again and its result is stored once;
- a killed driver leaves leases that expire; the next driver (or local worker) re-queues
  them when it claims work. Tasks of a dead driver die with it (Ray ownership).

With no address a small local instance is started (``num_cpus`` as given, no dashboard, no
worker output on this process's stdout — the language server's protocol channel); with an
address (``auto``, ``host:port`` or ``ray://host:port``) an existing cluster is joined. On
GPU nodes each task asks for ``1 / workers_per_gpu`` of a GPU (Ray then shares each GPU
among that many tasks and sets ``CUDA_VISIBLE_DEVICES`` for each), else for one CPU.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remap.data.dataset import Split
from remap.jobs import onejob
from remap.jobs.executor import wait_for_empty_queue
from remap.jobs.train_job import JobOutcome, load_job_split, one_line
from remap.store import JobRecord, Store, StoreError
from remap.store.gc import auto_gc_enabled, collect_weights
from remap.train.metrics import EpochMetrics

log = logging.getLogger("remap.ray")


@dataclass
class _Task:
    """One job in flight: the Ray task training it and what it reported so far."""

    job_id: int
    model_id: int
    worker_id: str
    ref: Any
    split_name: str
    fingerprint: str
    plan: Any = None  # the driver's JobPlan (spec, split, inherited layers, resume state)
    run_id: int | None = None
    pid: int | None = None
    node: str | None = None
    cancelling: bool = False
    submitted_at: float = 0.0


@dataclass
class _SplitRef:
    split: Split  # kept by the driver to re-evaluate each weights file it writes
    ref: Any


def ray_init_options(address: str, cpus: int | None) -> dict[str, Any]:
    """``ray.init`` keyword arguments: join ``address``, or start a small local instance."""
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,  # worker output stays in Ray's log files, never on our stdout
        "configure_logging": False,
        "ignore_reinit_error": True,
    }
    # "local" always starts a new instance; no address at all would join whatever cluster a
    # `ray start` on this machine (or RAY_ADDRESS) points at.
    options["address"] = address or "local"
    if not address and cpus is not None:
        options["num_cpus"] = cpus
    return options


def task_resources(
    cluster_gpus: float, cluster_cpus: float, workers_per_gpu: int, device: str
) -> tuple[dict[str, float], int]:
    """(resources of one task, tasks that fit the cluster at once): a ``1/workers_per_gpu``
    share of a GPU when the cluster has GPUs and the device setting allows CUDA, else one
    CPU."""
    dev = device.strip().lower()
    if cluster_gpus > 0 and (dev in ("auto", "cuda") or dev.startswith("cuda:")):
        per = max(1, workers_per_gpu)
        return {"num_gpus": 1.0 / per, "num_cpus": 1.0}, max(1, int(cluster_gpus * per))
    return {"num_cpus": 1.0}, max(1, int(cluster_cpus))


class RayExecutor:
    """Runs the store's queue as Ray tasks (see the module docstring)."""

    def __init__(
        self,
        store_path: str | Path,
        address: str = "",
        tasks: int = 0,
        workers_per_gpu: int = 1,
        device: str = "auto",
        cpus: int | None = None,
        until_idle: bool = False,
        *,
        lease_seconds: float = 30.0,
        poll_seconds: float = 0.2,
    ) -> None:
        self.store_path = Path(store_path)
        self.address = address.strip()
        self.tasks = tasks
        self.workers_per_gpu = workers_per_gpu
        self.device = device
        self.cpus = cpus
        self.until_idle = until_idle
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.capacity = 0
        self._resources: dict[str, float] = {}
        self._task_device = device
        self._prefix = f"ray-{socket.gethostname()}-{os.getpid()}"
        self._count = 0
        self._inflight: dict[str, _Task] = {}
        self._splits: dict[str, _SplitRef] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._owns_ray = False
        self._messages: Any = None
        self._remote: Any = None
        self.connected = threading.Event()  # set once Ray is up and tasks can be submitted
        self._failure: str | None = None  # why the driver could not connect

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the driver thread; it connects to Ray first (starting a local instance if
        needed, which takes seconds: the caller is not held up meanwhile)."""
        if self._thread is not None and self._thread.is_alive():
            return
        import ray  # noqa: F401 - fail here, in the caller, when the extra is not installed

        with Store.open(self.store_path):  # create/migrate before the driver thread uses it
            pass
        self._error = None
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="remap-ray-driver", daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        import ray
        from ray.util.queue import Queue

        from remap.jobs.ray_task import run_job_task

        if not ray.is_initialized():
            ray.init(**ray_init_options(self.address, self.cpus))
            self._owns_ray = True
            log.info("Ray %s: %s", "joined" if self.address else "started", self.address or "local")
        if self._messages is None:
            self._messages = Queue(actor_options={"num_cpus": 0})
        resources = ray.cluster_resources()
        self._resources, fit = task_resources(
            float(resources.get("GPU", 0)),
            float(resources.get("CPU", 1)),
            self.workers_per_gpu,
            self.device,
        )
        # Ray gives each GPU task its own CUDA_VISIBLE_DEVICES: "cuda:N" would name a GPU
        # the task cannot see, so tasks ask for "cuda" (the one Ray assigned).
        dev = self.device.strip().lower()
        self._task_device = "cuda" if "num_gpus" in self._resources and dev != "auto" else dev
        self.capacity = self.tasks if self.tasks > 0 else fit
        self._remote = ray.remote(run_job_task).options(
            max_retries=0, retry_exceptions=False, **self._resources
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the driver: tasks in flight are cancelled and their jobs go back to the queue
        (the attempt is not counted); a Ray instance this executor started is shut down."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._messages is not None:
            try:
                self._messages.shutdown()
            except Exception as exc:  # the actor may already be gone with its cluster
                log.warning("message queue shutdown: %s", one_line(exc))
            self._messages = None
        self._splits.clear()
        self._remote = None
        self.connected.clear()
        if self._owns_ray:
            import ray

            ray.shutdown()
            self._owns_ray = False

    def __enter__(self) -> RayExecutor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- supervision (the same interface as LocalExecutor) ------------------------------------
    def running(self) -> int:
        with self._lock:
            return len(self._inflight)

    def restart_dead(self) -> int:
        """Restart the driver thread if it died after connecting (its error is logged);
        returns 1 if so. A driver that could not connect to Ray is not restarted."""
        thread = self._thread
        if thread is None or thread.is_alive() or self._stop.is_set():
            return 0
        if self._remote is None:
            if self._error is not None:  # reported once, in the log and by describe()
                self._failure = f"cannot connect to Ray: {one_line(self._error)}"
                log.error("%s", self._failure)
                self._error, self._thread = None, None
            return 0
        log.error("Ray driver stopped: %s; restarting it", self._error)
        self.start()
        return 1

    def wait_until_idle(
        self,
        poll: float = 0.5,
        progress: Callable[[Store], None] | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Wait until no job is running and none is queued (or the queue is paused);
        ``progress(store)`` every ``poll`` seconds. False when ``timeout`` passes first;
        :class:`ExecutorError` when the driver thread fails."""
        return wait_for_empty_queue(self.store_path, self.supervise, poll, progress, timeout)

    def supervise(self) -> str | None:
        """The reason the work cannot go on once the driver thread stopped, else None."""
        if self._thread is None or not self._thread.is_alive():
            return f"the Ray driver stopped: {self._error}"
        return None

    def describe(self) -> list[dict[str, Any]]:
        """One entry per task in flight: worker id, job, device, pid and node of its worker."""
        with self._lock:
            tasks = list(self._inflight.values())
        if self._remote is None and self._failure is not None:
            return [{"worker_id": self._prefix, "executor": "ray", "alive": False,
                     "error": self._failure}]  # fmt: skip
        return [
            {
                "worker_id": t.worker_id,
                "executor": "ray",
                "job_id": t.job_id,
                "device": self._task_device,
                "pid": t.pid,
                "node": t.node,
                "alive": True,
            }
            for t in tasks
        ]

    # -- the driver thread -----------------------------------------------------------------
    def _run(self) -> None:
        last_beat = time.monotonic()
        try:
            if self._remote is None:
                self._connect()
                self.connected.set()
            with Store.open(self.store_path) as store:
                try:
                    while not self._stop.is_set():
                        self._drain(store)
                        self._collect(store)
                        now = time.monotonic()
                        if now - last_beat >= self.lease_seconds / 3.0:
                            last_beat = now
                            self._heartbeat(store)
                        self._cancel_requested(store)
                        self._fill(store)
                        self._stop.wait(self.poll_seconds)
                finally:
                    self._give_back(store)
        except BaseException as exc:
            self._error = exc
            log.exception("Ray driver failed")

    def _drain(self, store: Store) -> None:
        """Move the tasks' reports into the store."""
        from ray.util.queue import Empty

        while True:
            try:
                size = int(self._messages.qsize())
                if size == 0:
                    return
                batch = self._messages.get_nowait_batch(size)
            except Empty:
                return
            for message in batch:
                self._message(store, message)

    def _message(self, store: Store, message: tuple[Any, ...]) -> None:
        kind, worker_id = message[0], message[1]
        task = self._inflight.get(worker_id)
        if task is None:  # a report from a task already settled (or of another driver)
            return
        if kind == "started":
            task.pid, task.node = int(message[2]), str(message[3])
            if task.run_id is None:
                try:
                    task.run_id = self._start_run(store, task)
                except StoreError as exc:  # the lease was lost (LeaseLostError)
                    self._abandon(task, one_line(exc))
        elif kind == "epoch" and task.run_id is not None:
            metrics = EpochMetrics.from_dict(message[2])
            if not store.add_epoch(task.run_id, metrics):
                self._abandon(task, "its run is no longer running")

    def _collect(self, store: Store) -> None:
        """Record the outcome of every finished task."""
        import ray

        with self._lock:
            tasks = list(self._inflight.values())
        if not tasks:
            return
        ready, _ = ray.wait([t.ref for t in tasks], num_returns=len(tasks), timeout=0)
        if not ready:
            return
        self._drain(store)  # the reports a task made before it finished come first
        done = {id(r) for r in ready}
        for task in tasks:
            if id(task.ref) in done and task.worker_id in self._inflight:
                self._settle(store, task)

    def _settle(self, store: Store, task: _Task) -> None:
        import ray
        from ray.exceptions import RayError, TaskCancelledError

        with self._lock:
            self._inflight.pop(task.worker_id, None)
        wid, job_id = task.worker_id, task.job_id
        try:
            outcome: JobOutcome = ray.get(task.ref)
        except (TaskCancelledError, RayError) as exc:
            cancelled = isinstance(exc, TaskCancelledError) or isinstance(
                getattr(exc, "cause", None), TaskCancelledError
            )
            if task.cancelling or store.is_cancel_requested(job_id):
                if store.cancel_job_run(job_id, wid):
                    onejob.discard_checkpoint(store, job_id)
                log.info("job %d cancelled", job_id)
            elif cancelled:
                store.release_job(job_id, wid, "Ray task cancelled")
            else:
                reason = f"Ray task failed on {task.node or 'its node'}: {one_line(exc)}"
                n = store.requeue_worker_jobs(wid, reason[:500])
                log.warning("job %d: %s; re-queued: %d", job_id, reason, n)
            return
        if outcome.state == "done" and outcome.result is not None:
            if task.run_id is None:  # the start report was lost; record the run now
                task.run_id = self._start_run(store, task)
            self._finish(store, task, outcome)
        elif outcome.state == "cancelled":
            if store.cancel_job_run(job_id, wid):
                onejob.discard_checkpoint(store, job_id)
        elif store.fail_job(job_id, wid, outcome.error or "training failed"):
            onejob.discard_checkpoint(store, job_id)

    def _start_run(self, store: Store, task: _Task) -> int:
        plan = task.plan
        return store.start_run(
            task.job_id,
            task.worker_id,
            task.split_name,
            task.fingerprint,
            resumed_from=plan.resumed_from,
            inherited=plan.inherited,
            executor="ray",
            node=task.node,
        )

    def _finish(self, store: Store, task: _Task, outcome: JobOutcome) -> None:
        """Write the weights file beside the store (re-evaluated from the file), then the
        result, as a local worker does (:mod:`remap.jobs.onejob`)."""
        result = outcome.result
        assert result is not None and task.run_id is not None
        weights, rescored = None, None
        if result.weights is not None:
            model = store.get_model(task.model_id)
            weights = onejob.save_run_weights(store, task.run_id, model, result.weights)
            rescored = onejob.reevaluate(task.plan, store.weights_dir / weights[0])
        job_id, wid = task.job_id, task.worker_id
        if store.finish_job(
            job_id, wid, task.run_id, result, weights=weights, reevaluated_acc=rescored
        ):
            onejob.discard_checkpoint(store, job_id)
            if auto_gc_enabled(store):
                collect_weights(store)
            log.info("job %d done: val_acc %.4f", job_id, result.val_acc)
            return
        if weights is not None:
            onejob.discard_file(store.weights_dir / weights[0])
        log.warning("job %d: lease lost before the result was saved", job_id)

    def _abandon(self, task: _Task, reason: str) -> None:
        """The job is no longer ours: stop its task and write nothing more for it."""
        import ray

        log.warning("job %d: %s; abandoning its Ray task", task.job_id, reason)
        with self._lock:
            self._inflight.pop(task.worker_id, None)
        ray.cancel(task.ref, force=True)

    def _heartbeat(self, store: Store) -> None:
        with self._lock:
            tasks = list(self._inflight.values())
        for task in tasks:
            if not store.heartbeat(task.job_id, task.worker_id, self.lease_seconds):
                self._abandon(task, "lease lost")

    def _cancel_requested(self, store: Store) -> None:
        import ray

        with self._lock:
            tasks = [t for t in self._inflight.values() if not t.cancelling]
        if not tasks:
            return
        wanted = {j.id for j in store.list_jobs({"running"}) if j.cancel_requested}
        for task in tasks:
            if task.job_id in wanted:
                task.cancelling = True
                ray.cancel(task.ref, force=True)

    def _fill(self, store: Store) -> None:
        while self.running() < self.capacity and not self._stop.is_set():
            self._count += 1
            worker_id = f"{self._prefix}-t{self._count}"
            job = store.claim_job(worker_id, self.lease_seconds)
            if job is None:
                return
            self._submit(store, job, worker_id)

    def _submit(self, store: Store, job: JobRecord, worker_id: str) -> None:
        """Plan the job here (inherited weights, a checkpoint of an earlier attempt: files
        beside the store) and send the plan with the split's object-store reference."""
        try:
            split = self._split(job.dataset)
            model = store.get_model(job.model_id)
            config = job.config.replace(device=self._task_device)
            plan = onejob.plan_job(store, job, model, split.split, config)
        except Exception as exc:  # a data set that cannot be loaded fails its job
            store.fail_job(job.id, worker_id, one_line(exc))
            return
        parts = {
            "job_id": job.id,
            "resume": plan.resume,
            "init_weights": plan.init_weights,
            "inherited": plan.inherited,
            "meta": plan.meta,
        }
        ref = self._remote.remote(
            worker_id, model.spec.to_json(), split.ref, config.to_dict(), self._messages, parts
        )
        task = _Task(
            job.id,
            job.model_id,
            worker_id,
            ref,
            split.split.name,
            split.split.fingerprint,
            plan=plan,
            submitted_at=time.monotonic(),
        )
        with self._lock:
            self._inflight[worker_id] = task
        log.info("job %d submitted as Ray task %s", job.id, worker_id)

    def _split(self, dataset: dict[str, Any]) -> _SplitRef:
        """The data set in Ray's object store: loaded and put there once per session."""
        import json

        import ray

        key = json.dumps(dataset, sort_keys=True)
        cached = self._splits.get(key)
        if cached is None:
            split = load_job_split(dataset)
            cached = _SplitRef(split, ray.put(split))
            self._splits[key] = cached
        return cached

    def _give_back(self, store: Store) -> None:
        """On stop: cancel the tasks in flight and give their jobs back to the queue."""
        import ray

        with self._lock:
            tasks = list(self._inflight.values())
            self._inflight.clear()
        for task in tasks:
            try:
                ray.cancel(task.ref, force=True)
            except Exception as exc:
                log.warning("cancelling Ray task %s: %s", task.worker_id, one_line(exc))
            store.release_job(task.job_id, task.worker_id, "Ray driver stopped")
