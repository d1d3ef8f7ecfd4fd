"""Map work that must not hold up a request: completing a large distance matrix and the
exact (re-)fit that then replaces the layout shown meanwhile (the landmark layout, or the
MDS layout shown while UMAP warmed up). One job per (store, view, layout key), each in its
own daemon thread; a request only starts a job or reads its progress.

``replaced()`` counts the layouts jobs have written (the language server's watcher tells
the client to refetch its maps when it changes); ``wait_idle`` is for tests and benchmarks.
Requests come first: ``kernel_threads()`` is how many threads a distance kernel may use in
the calling thread (one core fewer than the machine has in a job, so that requests keep a
core while a job runs), and a job that would compete with requests for the interpreter
waits in ``wait_for_quiet()`` while a request marked by ``answering()`` is being answered.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Job:
    """``phase``: ``distances`` (``done``/``total`` rows), ``fit``, ``done`` or ``failed``."""

    key: tuple[str, str, str]
    phase: str = "distances"
    done: int = 0
    total: int = 0
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def describe(self) -> str:
        """Where the job is, for a map's note."""
        if self.phase == "distances":
            share = 100.0 * self.done / self.total if self.total else 0.0
            return f"exact distances {share:.0f}% computed"
        if self.phase == "fit":
            return "exact layout being fitted"
        return self.phase


_jobs: dict[tuple[str, str, str], Job] = {}
_here = threading.local()  # ``in_job``: this thread runs a job
_lock = threading.Lock()
_replaced = 0
_answering = 0  # requests being answered now
_answered_at = 0.0  # when the last of them ended (time.monotonic)


def job(key: tuple[str, str, str]) -> Job | None:
    with _lock:
        return _jobs.get(key)


def running(key: tuple[str, str, str]) -> Job | None:
    found = job(key)
    return found if found is not None and found.running else None


def start(key: tuple[str, str, str], work: Callable[[Job], bool]) -> Job:
    """The running job for ``key``, or a new one running ``work(job)`` in a thread;
    ``work`` returns True when it wrote a layout."""
    with _lock:
        current = _jobs.get(key)
        if current is not None and current.running:
            return current
        new = Job(key)
        _jobs[key] = new
    thread = threading.Thread(target=_run, args=(new, work), name="remap-map-job", daemon=True)
    thread.start()
    return new


def kernel_threads() -> int | None:
    """Threads for a distance kernel called from this thread: None (all cores) in a
    request, all cores but one in a background job."""
    if not getattr(_here, "in_job", False):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(1, cores - 1)


@contextmanager
def answering() -> Iterator[None]:
    """Marks a map request in progress, for jobs waiting in :func:`wait_for_quiet`."""
    global _answering, _answered_at
    with _lock:
        _answering += 1
    try:
        yield
    finally:
        with _lock:
            _answering -= 1
            _answered_at = time.monotonic()


def wait_for_quiet(pause: float) -> None:
    """Return once no request has been answered for ``pause`` seconds (the requests of a
    map being opened come together)."""
    while True:
        with _lock:
            quiet_for = 0.0 if _answering else time.monotonic() - _answered_at
        if quiet_for >= pause:
            return
        time.sleep(pause - quiet_for if quiet_for else pause)


def _run(current: Job, work: Callable[[Job], bool]) -> None:
    global _replaced
    _here.in_job = True
    try:
        wrote = work(current)
        current.phase = "done"
        if wrote:
            with _lock:
                _replaced += 1
    except Exception as exc:  # a failed job leaves the shown layout; the next request retries
        current.phase, current.error = "failed", f"{type(exc).__name__}: {exc}"
        log.warning("map job %s failed: %s", current.key, current.error, exc_info=True)
    finally:
        current.finished.set()


def replaced() -> int:
    """How many layouts background jobs have written in this process."""
    with _lock:
        return _replaced


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until no job is running (jobs a finishing job starts included); True if so."""
    while True:
        with _lock:
            active = [j for j in _jobs.values() if j.running]
        if not active:
            return True
        if not active[0].finished.wait(timeout):
            return False


def forget() -> None:
    """Drop finished jobs (tests)."""
    with _lock:
        for key in [k for k, j in _jobs.items() if not j.running]:
            del _jobs[key]
