"""Background warm-up of UMAP (numba JIT): ``UmapWarmup`` and the process-wide one.

Owns:

- re-exports ``cache_dir()`` / ``configure_numba_cache()`` (numba's on-disk cache under the
  REMAP cache dir) and the ``WarmupLike`` interface from ``jit``, where they live so that
  ``projection`` (which this module runs) does not import this module back;
- ``UmapWarmup``: a daemon thread that imports umap and runs one tiny seeded fit through the
  same code path as ``projection.umap_embed``, so that later fits in this process are fast.
  Its ``state`` goes ``cold → warming → ready`` (or ``failed``); ``project`` reads it and never
  blocks while it is warming.

Why a thread and not a subprocess: umap's own kernels are not ``cache=True``, so numba compiles
them per process; only pynndescent's kernels (a large part of ``import umap``) reuse the on-disk
cache. Warming in-process is what makes the server's next fit fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .jit import WarmupLike, WarmupState, cache_dir, configure_numba_cache

__all__ = [
    "UmapWarmup",
    "WarmupLike",
    "WarmupState",
    "cache_dir",
    "configure_numba_cache",
    "shared_warmup",
]

_log = logging.getLogger(__name__)


def _default_runner() -> None:
    from .projection import warmup_fit

    warmup_fit()


class UmapWarmup:
    """Compiles UMAP's numba kernels in a background thread.

    ``runner`` replaces the tiny UMAP fit (tests pass a function that waits on an event, which
    keeps the state at ``"warming"`` for as long as they need). ``start()`` is idempotent and
    sets ``"warming"`` before the thread runs, so the state seen right after it is certain.
    """

    def __init__(
        self,
        *,
        numba_cache: Path | None = None,
        runner: Callable[[], None] | None = None,
    ) -> None:
        self._numba_cache = numba_cache
        self._runner = runner if runner is not None else _default_runner
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state: WarmupState = "cold"
        self._error: str | None = None
        self._started_at: float | None = None
        self._seconds: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> WarmupState:
        with self._lock:
            return self._state

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    @property
    def seconds(self) -> float | None:
        """How long the warm-up took (None until it has finished)."""
        with self._lock:
            return self._seconds

    def start(self) -> UmapWarmup:
        """Begin warming in a daemon thread (no-op if already started); returns ``self``."""
        with self._lock:
            if self._state != "cold":
                return self
            self._state = "warming"
            self._started_at = time.perf_counter()
            self._thread = threading.Thread(target=self._run, name="remap-umap-warmup", daemon=True)
        configure_numba_cache(self._numba_cache)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the warm-up to finish; True if it is ready.

        Returns False at once if it was never started.
        """
        if self.state == "cold":
            return False
        self._done.wait(timeout)
        return self.ready

    def _run(self) -> None:
        error: str | None = None
        try:
            self._runner()
        except Exception as exc:  # a failed warm-up must never take the server down
            error = f"{type(exc).__name__}: {exc}"
            _log.warning("UMAP warm-up failed: %s", error)
        with self._lock:
            start = self._started_at if self._started_at is not None else time.perf_counter()
            self._seconds = time.perf_counter() - start
            self._error = error
            self._state = "failed" if error else "ready"
        self._done.set()


_shared: UmapWarmup | None = None
_shared_lock = threading.Lock()


def shared_warmup() -> UmapWarmup:
    """The process-wide warm-up object (created cold; the server calls ``start()`` once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = UmapWarmup()
        return _shared
