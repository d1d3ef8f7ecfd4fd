"""Local executor: runs N training workers as subprocesses (``python -m remap.jobs.worker``)
of the calling process and keeps them alive.

Workers talk to the caller only through the store, so a worker that dies (out of memory,
segfault, ``kill -9``) cannot take the caller down: :meth:`LocalExecutor.restart_dead`
notices it, re-queues the job it held (without waiting for the lease to expire) and starts a
replacement. Worker output goes to stderr (or to ``log_dir``), never to the caller's stdout,
which is the language server's protocol channel. Placement (workers per GPU, round-robin
over the visible GPUs) is :mod:`remap.jobs.placement`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from remap.jobs.placement import (  # noqa: F401 - re-exported
    cuda_device_count,
    default_worker_count,
    worker_devices,
)
from remap.store import Store

log = logging.getLogger("remap.executor")

QUICK_DEATH_SECONDS = 10.0  # a worker dying this soon after its start counts as a quick death
MAX_QUICK_DEATHS = 3  # after this many in a row the slot is not restarted again


class ExecutorError(RuntimeError):
    """The workers cannot run (each one died right after starting; see their logs)."""


def wait_for_empty_queue(
    store_path: str | Path,
    supervise: Callable[[], str | None],
    poll: float = 0.5,
    progress: Callable[[Store], None] | None = None,
    timeout: float | None = None,
) -> bool:
    """Every ``poll`` seconds: ``supervise()`` (restarts what died; returns why the work
    cannot go on, or None), ``progress(store)``, then True once no job is running and none
    is queued (or the queue is paused). While work remains, a reason from ``supervise``
    raises :class:`ExecutorError`; False when ``timeout`` seconds pass first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with Store.open(store_path) as store:
        while True:
            failure = supervise()
            if progress is not None:
                progress(store)
            counts = store.job_counts()
            if counts["running"] == 0 and (counts["queued"] == 0 or store.is_paused()):
                return True
            if failure is not None:
                raise ExecutorError(failure)
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)


@dataclass
class _Slot:
    index: int
    device: str | None
    generation: int = 0
    proc: subprocess.Popen[bytes] | None = None
    worker_id: str = ""
    started_at: float = 0.0
    quick_deaths: int = 0  # consecutive deaths soon after start
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def given_up(self) -> bool:
        return self.quick_deaths >= MAX_QUICK_DEATHS


class LocalExecutor:
    """Runs ``workers`` worker processes on ``store_path`` (see the module docstring)."""

    def __init__(
        self,
        store_path: str | Path,
        workers: int = 1,
        device: str = "auto",
        until_idle: bool = False,
        *,
        lease_seconds: float = 30.0,
        poll_seconds: float = 0.5,
        threads: int | None = None,
        log_dir: str | Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.store_path = Path(store_path)
        self.device = device
        self.until_idle = until_idle
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.threads = threads
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.env = env
        self._prefix = f"local{os.getpid()}"
        self._slots = [_Slot(i, d) for i, d in enumerate(worker_devices(device, workers))]
        self.restarts = 0

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Start every worker that is not running."""
        with Store.open(self.store_path):  # create/migrate once, before the workers race
            pass
        for slot in self._slots:
            if slot.proc is None or slot.proc.poll() is not None:
                self._spawn(slot)

    def _command(self, slot: _Slot) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "remap.jobs.worker",
            "--store",
            str(self.store_path),
            "--worker-id",
            slot.worker_id,
            "--lease-seconds",
            str(self.lease_seconds),
            "--poll-seconds",
            str(self.poll_seconds),
            "--parent-pid",  # the worker stops (job back to the queue) when we are gone
            str(os.getpid()),
        ]
        if slot.device is not None:
            cmd += ["--device", slot.device]
        if self.threads is not None:
            cmd += ["--threads", str(self.threads)]
        if self.until_idle:
            cmd.append("--until-idle")
        return cmd

    def _spawn(self, slot: _Slot) -> None:
        slot.generation += 1
        slot.worker_id = f"{self._prefix}-w{slot.index}.{slot.generation}"
        stderr: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            if slot.log_file is None:
                slot.log_file = open(self.log_dir / f"worker-{slot.index}.log", "ab")  # noqa: SIM115
            stderr = slot.log_file
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        slot.started_at = time.monotonic()
        slot.proc = subprocess.Popen(
            self._command(slot),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
        log.info("started worker %s (pid %d)", slot.worker_id, slot.proc.pid)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to stop (SIGTERM: each gives its job back to the queue), wait up
        to ``timeout`` seconds, then kill the rest and re-queue their jobs."""
        live = [s for s in self._slots if s.proc is not None and s.proc.poll() is None]
        for slot in live:
            assert slot.proc is not None
            slot.proc.terminate()
        deadline = time.monotonic() + timeout
        killed: list[_Slot] = []
        for slot in live:
            assert slot.proc is not None
            try:
                slot.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                slot.proc.kill()
                slot.proc.wait()
                killed.append(slot)
        if killed:
            with Store.open(self.store_path) as store:
                for slot in killed:
                    store.requeue_worker_jobs(slot.worker_id, f"worker {slot.worker_id} killed")
        for slot in self._slots:
            if slot.log_file is not None:
                slot.log_file.close()
                slot.log_file = None

    def __enter__(self) -> LocalExecutor:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- supervision ---------------------------------------------------------------------
    def running(self) -> int:
        """Number of worker processes alive."""
        return sum(1 for s in self._slots if s.proc is not None and s.proc.poll() is None)

    def worker_ids(self) -> list[str]:
        return [s.worker_id for s in self._slots if s.proc is not None]

    def restart_dead(self) -> int:
        """Restart workers that died, after re-queuing the job each held; returns how many
        were restarted. In ``until_idle`` mode a worker that exited normally is restarted
        only when jobs are queued again. A slot whose worker died right after starting
        ``MAX_QUICK_DEATHS`` times in a row (a broken environment) is not restarted."""
        dead = [
            s
            for s in self._slots
            if s.proc is not None and s.proc.poll() is not None and not s.given_up
        ]
        if not dead:
            return 0
        restarted = 0
        with Store.open(self.store_path) as store:
            for slot in dead:
                assert slot.proc is not None
                code = slot.proc.returncode
                if code != 0:
                    quick = time.monotonic() - slot.started_at < QUICK_DEATH_SECONDS
                    slot.quick_deaths = slot.quick_deaths + 1 if quick else 0
                    n = store.requeue_worker_jobs(
                        slot.worker_id, f"worker {slot.worker_id} died (exit code {code})"
                    )
                    log.warning(
                        "worker %s died (exit code %s); %d job(s) re-queued",
                        slot.worker_id,
                        code,
                        n,
                    )
                    if slot.given_up:
                        log.error(
                            "worker slot %d died %d times right after starting; not restarting",
                            slot.index,
                            slot.quick_deaths,
                        )
                        continue
                elif self.until_idle and (store.is_paused() or store.job_counts()["queued"] == 0):
                    continue
                self._spawn(slot)
                restarted += 1
        self.restarts += restarted
        return restarted

    def wait_until_idle(
        self,
        poll: float = 0.5,
        progress: Callable[[Store], None] | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Supervise the workers until no job is running and none is queued (or the queue is
        paused); ``progress(store)`` is called every ``poll`` seconds. Returns False when
        ``timeout`` seconds pass first; raises :class:`ExecutorError` when work remains but
        every worker slot has given up."""
        return wait_for_empty_queue(self.store_path, self.supervise, poll, progress, timeout)

    def supervise(self) -> str | None:
        """Restart dead workers; the reason the work cannot go on once every slot gave up."""
        self.restart_dead()
        if not all(slot.given_up for slot in self._slots):
            return None
        where = f" in {self.log_dir}" if self.log_dir is not None else ""
        return f"every training worker died right after starting; see the worker logs{where}"

    def describe(self) -> list[dict[str, Any]]:
        """One entry per worker slot: id, device, pid, alive."""
        return [
            {
                "worker_id": s.worker_id,
                "device": s.device or "auto",
                "pid": None if s.proc is None else s.proc.pid,
                "alive": s.proc is not None and s.proc.poll() is None,
            }
            for s in self._slots
        ]
