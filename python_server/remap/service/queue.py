"""The training queue as the UI and CLI see it: enqueue, run workers until the queue is
empty, cancel, reorder, pause and resume. Training itself happens in worker processes
(:mod:`remap.jobs.worker`); this module never trains in the caller's process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remap.service.errors import ServiceError
from remap.service.workspace import Workspace
from remap.store import Store
from remap.store.errors import JobStateError
from remap.store.records import JobRecord

if TYPE_CHECKING:
    from remap.jobs.executor import LocalExecutor


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


def worker_count(ws: Workspace) -> int:
    if ws.settings.workers > 0:
        return ws.settings.workers
    from remap.jobs.executor import default_worker_count

    return default_worker_count(ws.settings.device)


def run_until_idle(
    ws: Workspace,
    progress: Callable[[Store], None] | None = None,
    workers: int | None = None,
    timeout: float | None = None,
) -> QueueSummary:
    """Start worker processes, wait until no job is queued or running, stop them."""
    from remap.jobs.executor import LocalExecutor

    executor = LocalExecutor(
        ws.store.path,
        workers=workers or worker_count(ws),
        device=ws.settings.device,
        until_idle=True,
        log_dir=ws.store.path.parent / "logs",
    )
    executor.start()
    try:
        executor.wait_until_idle(progress=progress, timeout=timeout)
    finally:
        executor.stop()
    return summarise(ws.store)


def start_workers(ws: Workspace, workers: int, device: str) -> LocalExecutor:
    """Start training worker processes that keep waiting for jobs (a long-running adapter
    stops them); their logs go to ``logs/`` beside the store."""
    from remap.jobs.executor import LocalExecutor

    executor = LocalExecutor(
        ws.store.path,
        workers=workers,
        device=device,
        until_idle=False,
        threads=ws.settings.threads,
        log_dir=ws.store.path.parent / "logs",
    )
    executor.start()
    return executor


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
