"""The executor interface: what the CLI and the language server use to run the training
queue, whichever engine runs it — :class:`~remap.jobs.executor.LocalExecutor` (worker
processes on this machine) or :class:`~remap.jobs.ray_executor.RayExecutor` (Ray tasks on a
local instance or a cluster). Both claim jobs from the store with leases, so the store stays
the single source of truth and a restarted caller resumes the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from remap.store import Store

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    def start(self) -> None:
        """Start running queued jobs (idempotent)."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop; running jobs go back to the queue."""

    def restart_dead(self) -> int:
        """Replace what died (its jobs re-queued); returns how many were replaced."""

    def supervise(self) -> str | None:
        """Replace what died, then say why the queued work cannot go on (every worker gave
        up, the driver stopped), or None while it can."""

    def running(self) -> int:
        """How many workers (local) or in-flight tasks (Ray) are alive."""

    def wait_until_idle(
        self,
        poll: float = 0.5,
        progress: Callable[[Store], None] | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Supervise until nothing is queued or running; False when ``timeout`` passed."""

    def describe(self) -> list[dict[str, Any]]:
        """One entry per worker or in-flight task (ids, device, pid, alive)."""


@dataclass(frozen=True)
class ExecutorPlan:
    """How to run the queue: ``kind`` local or ray; ``workers`` processes (local) or tasks
    in flight (Ray; 0 = as many as the cluster has room for); ``workers_per_gpu`` resolved
    to a number; ``ray_address`` empty for a local Ray instance."""

    kind: str = "local"
    workers: int = 1
    workers_per_gpu: int = 1
    device: str = "auto"
    threads: int | None = None
    ray_address: str = ""
    cpus: int | None = None  # CPUs of a local Ray instance (None: the machine's)


def create_executor(
    plan: ExecutorPlan,
    store_path: str | Path,
    *,
    until_idle: bool,
    log_dir: str | Path | None = None,
) -> Executor:
    """The executor ``plan`` asks for (Ray is imported only when it is used)."""
    if plan.kind == "local":
        from remap.jobs.executor import LocalExecutor

        return LocalExecutor(
            store_path,
            workers=max(1, plan.workers),
            device=plan.device,
            until_idle=until_idle,
            threads=plan.threads,
            log_dir=log_dir,
        )
    if plan.kind == "ray":
        from remap.jobs.ray_executor import RayExecutor

        return RayExecutor(
            store_path,
            address=plan.ray_address,
            tasks=plan.workers,
            workers_per_gpu=plan.workers_per_gpu,
            device=plan.device,
            cpus=plan.cpus,
            until_idle=until_idle,
        )
    raise ValueError(f"unknown executor {plan.kind!r}; expected {' or '.join(EXECUTORS)}")
