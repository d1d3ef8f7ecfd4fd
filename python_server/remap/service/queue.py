"""The training queue as the UI and CLI see it: enqueue, choose and start the executor
(local worker processes or Ray tasks, from the settings), run it until the queue is empty,
cancel, reorder, pause and resume. Training itself happens in worker processes or Ray tasks
(:mod:`remap.jobs`); this module never trains in the caller's process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remap.service.errors import ServiceError
from remap.service.workspace import DiskSpace, Workspace
from remap.store import Store
from remap.store.errors import JobStateError
from remap.store.records import JobRecord

log = logging.getLogger("remap.service")

if TYPE_CHECKING:
    from remap.arch.spec import ArchSpec
    from remap.jobs.executors import Executor, ExecutorPlan


@dataclass(frozen=True)
class QueueSummary:
    queued: int
    running: int
    done: int
    failed: int
    cancelled: int
    paused: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "running": self.running,
            "done": self.done,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "paused": self.paused,
        }


def summarise(store: Store) -> QueueSummary:
    counts = {"queued": 0, "running": 0, "done": 0, "failed": 0, "cancelled": 0}
    for job in store.list_jobs():
        counts[job.state] = counts.get(job.state, 0) + 1
    return QueueSummary(paused=store.is_paused(), **counts)


def job_dict(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "model_id": job.model_id,
        "state": job.state,
        "priority": job.priority,
        "position": job.position,
        "epochs": job.config.epochs,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "run_id": job.run_id,
    }


def enqueue_models(
    ws: Workspace, model_ids: Sequence[int], epochs: int | None = None, priority: int = 0
) -> list[int]:
    """Queue (re)training of existing models; unknown ids raise before anything is queued."""
    models = [ws.store.get_model(model_id) for model_id in model_ids]
    config = ws.train_config(epochs, early_stopping=epochs is None)
    return [ws.store.enqueue(m.id, config, ws.settings.dataset_ref(), priority) for m in models]


AUTO_SPECS = 64  # queued models looked at when workers_per_gpu is auto


def executor_key(ws: Workspace) -> tuple[Any, ...]:
    """The settings an executor depends on: a running one is replaced when they change.
    (``auto`` stays ``auto`` here; it is resolved once, when an executor starts.)"""
    s = ws.settings
    return (s.executor, s.workers, s.workers_per_gpu, s.device, s.threads, s.ray_address)


def _auto_inputs(ws: Workspace) -> tuple[list[ArchSpec], int]:
    """The specs of the next queued models and the data set's size in bytes."""
    jobs = ws.store.list_jobs({"queued"})[:AUTO_SPECS]
    specs = [ws.store.get_model(job.model_id).spec for job in jobs]
    split = ws.split()
    arrays = (split.train_x, split.train_y, split.test_x, split.test_y)
    return specs, sum(int(a.nbytes) for a in arrays)


def executor_plan(
    ws: Workspace,
    workers: int | None = None,
    *,
    executor: str | None = None,
    workers_per_gpu: int | str | None = None,
    ray_address: str | None = None,
) -> ExecutorPlan:
    """How to run the queue from the workspace settings, each overridable (CLI flags).
    ``workers_per_gpu`` ``auto`` is resolved here from the free GPU memory and the queued
    models (:func:`remap.jobs.placement.plan_workers_per_gpu`)."""
    from remap.jobs.executors import EXECUTORS, ExecutorPlan
    from remap.jobs.placement import cuda_device_count, default_worker_count, plan_workers_per_gpu
    from remap.service.settings import workers_per_gpu_value

    s = ws.settings
    kind = executor or s.executor
    if kind not in EXECUTORS:
        raise ServiceError(f"expected one of {', '.join(EXECUTORS)}, got {kind!r}", "executor")
    if kind == "local":  # Ray nodes have their own devices; a local worker has this one
        _check_device_here(s.device)
    wpg_setting = workers_per_gpu_value(
        s.workers_per_gpu if workers_per_gpu is None else workers_per_gpu
    )
    gpus = cuda_device_count()
    specs: list[ArchSpec] = []
    data_bytes = 0
    if wpg_setting == "auto" and gpus > 0 and s.device not in ("cpu", "mps"):
        specs, data_bytes = _auto_inputs(ws)
    gpu = plan_workers_per_gpu(wpg_setting, s.device, specs, data_bytes, gpu_count=gpus)
    count = workers or s.workers
    if not count and kind == "local":
        count = default_worker_count(s.device, 1, gpu.workers_per_gpu, gpu_count=gpus)
    return ExecutorPlan(
        kind=kind,
        workers=count or 0,
        workers_per_gpu=gpu.workers_per_gpu,
        device=s.device,
        threads=s.threads,
        ray_address=s.ray_address if ray_address is None else ray_address.strip(),
        cpus=(workers or s.workers or None),
    )


def _check_device_here(preference: str) -> None:
    """A device this machine lacks is the setting's fault, not the models': say so before
    any job is claimed, instead of failing every queued job with the same error."""
    from remap.train.device import DeviceError, choose_device

    try:
        choose_device(preference)
    except DeviceError as exc:
        raise ServiceError(
            f"{exc} (change it with `remap settings device=auto`, or the remap.device "
            "setting); no job was started",
            "device",
        ) from None


def start_executor(ws: Workspace, plan: ExecutorPlan, until_idle: bool) -> Executor:
    """The executor for ``plan``, started; its logs go to ``.remap/logs``."""
    from remap.jobs.executors import create_executor

    executor = create_executor(
        plan, ws.store.path, until_idle=until_idle, log_dir=ws.store.path.parent / "logs"
    )
    try:
        executor.start()
    except ImportError as exc:
        raise ServiceError(
            f"the {plan.kind} executor needs an extra package ({exc}); "
            "install it with: pip install 'remap[ray]'",
            "executor",
        ) from None
    return executor


def run_until_idle(
    ws: Workspace,
    progress: Callable[[Store], None] | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    plan: ExecutorPlan | None = None,
) -> QueueSummary:
    """Start the executor (worker processes or Ray tasks), wait until no job is queued or
    running, stop it. Workers that cannot run (each died at start, or Ray could not be
    reached) are a :class:`ServiceError` naming the executor."""
    from remap.jobs.executor import ExecutorError

    space = DiskSpace(ws.store.path)

    def tick(store: Store) -> None:
        change = space.check()  # a full disk is said in the terminal (stderr), not only logged
        if change is not None:
            log.warning("%s", change)
        if progress is not None:
            progress(store)

    executor = start_executor(ws, plan or executor_plan(ws, workers), until_idle=True)
    try:
        executor.wait_until_idle(progress=tick, timeout=timeout)
    except ExecutorError as exc:
        raise ServiceError(str(exc), "executor") from None
    finally:
        executor.stop()
    return summarise(ws.store)


def cancel(ws: Workspace, job_id: int) -> str:
    try:
        return ws.store.request_cancel(job_id)
    except JobStateError as exc:
        raise ServiceError(str(exc), "job") from None


def reorder(ws: Workspace, job_ids: Sequence[int]) -> None:
    try:
        ws.store.reorder(job_ids)
    except JobStateError as exc:
        raise ServiceError(str(exc), "jobs") from None


def state(ws: Workspace) -> dict[str, Any]:
    """The queue as ``remap/queue`` answers it: the summary and every job."""
    jobs = ws.store.list_jobs()
    return {"summary": summarise(ws.store).to_dict(), "jobs": [job_dict(job) for job in jobs]}


def counts(ws: Workspace) -> tuple[dict[str, int], bool]:
    """Jobs per state and whether the queue is paused (what starts or stops workers)."""
    return ws.store.job_counts(), ws.store.is_paused()


def set_paused(ws: Workspace, paused: bool) -> QueueSummary:
    ws.store.set_paused(paused)
    return summarise(ws.store)
