"""The language server's engine side: one dedicated service thread that owns the
:class:`~remap.service.Workspace` (so every store access is serialised), the settings, the
training executor (worker processes) and the background loading of the data set and warm-ups.

Nothing heavy is imported here at module level: the workspace, the store and the data set are
opened in the service thread after ``initialized``, so ``initialize`` answers at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from remap.lsp.cache import ResultCache
from remap.lsp.protocol import Wire, to_wire

if TYPE_CHECKING:
    from remap.service import Workspace
    from remap.service.autopilot import Autopilot, ExploreReport
    from remap.service.records import Executor

log = logging.getLogger("remap.lsp")
T = TypeVar("T")

# wire name → WorkspaceSettings field (storePath and autoTrain are the server's own)
SETTING_FIELDS = {
    "dataset": "dataset",
    "device": "device",
    "workers": "workers",
    "epochs": "epochs",
    "maxParams": "max_params",
    "projection": "projection",
    "inheritWeights": "inherit_weights",
    "workersPerGpu": "workers_per_gpu",
    "bf16": "bf16",
    "executor": "executor",
    "rayAddress": "ray_address",
}
IDLE_STOP_SECONDS = 120.0  # workers stop after this long without work (they hold memory)
REQUEUE_EVERY_SECONDS = 5.0  # how often leases of vanished workers are checked


class WorkspaceUnavailable(RuntimeError):
    """The workspace could not be opened (or is not open yet / any more)."""


def warmup_enabled() -> bool:
    """UMAP/OTMANN warm-up in the background (off with ``REMAP_LSP_WARMUP=0``)."""
    return os.environ.get("REMAP_LSP_WARMUP", "1").strip().lower() not in ("0", "false", "no")


class Runtime:
    """See the module docstring. Methods marked *service thread* must run there (through
    :meth:`submit` / :meth:`call`); the attributes ``input_shape``, ``num_classes``,
    ``dataset_error`` and ``auto_train`` are snapshots any thread may read."""

    def __init__(self) -> None:
        self.root = Path.cwd()
        self.store_path: str | None = None
        self._store_setting: Any = None  # remap.storePath as the client sent it
        self.auto_train = True
        self.input_shape: tuple[int, int, int] | None = None
        self.num_classes: int | None = None
        self.dataset_error: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.on_dataset: Callable[[], None] | None = None  # called once a data set is loaded
        self.on_store_lost: Callable[[str], None] | None = None  # called once per lost store
        # called once per settings that cannot start training (a device this machine lacks)
        self.on_executor_error: Callable[[str], None] | None = None
        self.on_explore: Callable[[ExploreReport], None] | None = None  # explore progress
        self.index_dirty = True  # the relatives index of code actions must be rebuilt
        self.cache: dict[str, Any] = {}  # service-thread caches (see handlers_commands)
        self._ws: Workspace | None = None
        self._open_error: str | None = "the workspace is still opening"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="remap-service")
        self._executor: Executor | None = None
        self._executor_key: tuple[Any, ...] | None = None
        self._failed_key: tuple[Any, ...] | None = None
        self._idle_since: float | None = None
        self._last_requeue = 0.0
        self._dataset_generation = 0
        self._closed = False
        self._lock = threading.Lock()
        self._results = ResultCache()
        self._lost_reported: object | None = None  # the store whose loss was reported
        self._autopilot: Autopilot | None = None

    # -- the service thread ---------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._closed:
            failed: Future[T] = Future()
            failed.set_exception(WorkspaceUnavailable("the server is shutting down"))
            return failed
        return self._pool.submit(fn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def workspace(self) -> Workspace:
        """*Service thread*: the open workspace, or :class:`WorkspaceUnavailable`."""
        if self._ws is None:
            raise WorkspaceUnavailable(self._open_error or "the workspace is not open")
        return self._ws

    @property
    def is_open(self) -> bool:
        return self._ws is not None

    def cached(self, key: Hashable, topics: Sequence[str], compute: Callable[[], Any]) -> Wire:
        """*Service thread*: ``compute()`` in wire form, reused until the store shows a
        change in one of ``topics`` (see :mod:`remap.lsp.cache`)."""
        store = self.workspace().store
        value = self._results.get_or_compute(store, key, topics, lambda: Wire(to_wire(compute())))
        return value  # type: ignore[no-any-return]

    # -- start-up ----------------------------------------------------------------------------
    def open(self, root: Path, settings: Mapping[str, Any]) -> list[str]:
        """*Service thread*: open the workspace under ``root`` with the client's settings;
        returns messages about settings that were rejected."""
        from remap.service import Workspace

        self.root = root
        problems: list[str] = []
        store_path = self._store_setting = settings.get("storePath")
        if store_path is not None and (not isinstance(store_path, str) or not store_path.strip()):
            problems.append(f"remap.storePath: expected a path, got {store_path!r}; using default")
            store_path = None
        if store_path is not None:  # the store is written: only inside the workspace
            from remap.service import ServiceError
            from remap.service.workspace import confined_path

            try:
                store_path = str(confined_path(root, store_path, "remap.storePath"))
            except ServiceError as exc:
                problems.append(f"{exc}; using the default .remap/remap.db")
                store_path = None
        self.store_path = store_path
        try:
            self._ws = Workspace.open(root, store_path)
        except Exception as exc:
            self._open_error = f"REMAP: cannot open the store: {' '.join(str(exc).split())}"
            log.error("%s", self._open_error, exc_info=True)
            return [*problems, self._open_error]
        self._open_error = None
        problems += [f"REMAP: {note}" for note in self._ws.settings_notes]
        if self._ws.store.readonly:
            problems.append(
                f"REMAP: the store {self._ws.store.path} is read-only here (the workspace "
                "cannot be written): models and maps can be viewed, nothing can be changed"
            )
        problems += self.apply_settings(settings, initial=True)
        return problems

    def apply_settings(self, settings: Mapping[str, Any], initial: bool = False) -> list[str]:
        """*Service thread*: apply the known settings one by one; a bad value is reported
        (naming the setting) and the old value kept. Unknown keys are ignored."""
        from remap.service import ServiceError

        ws = self.workspace()
        problems: list[str] = []
        changes: dict[str, Any] = {}
        for key, field in SETTING_FIELDS.items():
            if key not in settings or settings[key] is None:
                continue
            value = settings[key]
            try:
                value = getattr(ws.settings.merged({field: value}), field)  # normalised
            except ServiceError as exc:
                old = getattr(ws.settings, field)
                reason = str(exc).split(": ", 1)[-1]
                problems.append(f"remap.{key}: {reason}; keeping {old!r}")
                continue
            if getattr(ws.settings, field) != value:
                changes[field] = value
        if "autoTrain" in settings and settings["autoTrain"] is not None:
            if isinstance(settings["autoTrain"], bool):
                self.auto_train = settings["autoTrain"]
            else:
                problems.append(
                    f"remap.autoTrain: expected true or false, got {settings['autoTrain']!r}; "
                    f"keeping {self.auto_train}"
                )
        path = settings.get("storePath")
        if not initial and path is not None and path != self._store_setting:
            problems.append("remap.storePath: a new store is used after the server restarts")
        dataset_before = ws.settings.dataset_ref()
        if changes and ws.store.readonly:
            problems.append("REMAP: settings not saved: the store is read-only")
            ws.settings = ws.settings.merged(changes)  # in force for this session only
            changes = {}
        if "dataset" in changes:
            try:  # a data set that cannot be used is refused; the other settings still apply
                ws.update_settings({"dataset": changes.pop("dataset")})
            except ServiceError as exc:
                reason = str(exc).split(": ", 1)[-1]
                problems.append(f"remap.dataset: {reason}; keeping {ws.settings.dataset!r}")
        if changes:
            ws.update_settings(changes)
        if initial or ws.settings.dataset_ref() != dataset_before:
            self.load_dataset()
        return problems

    def store_lost(self, reason: str) -> None:
        """*Service thread*, from the watcher: the store file is gone or replaced. Writes are
        refused by the store itself; the workers are stopped and the user told once."""
        store = self.workspace().store
        if self._lost_reported is store:
            return
        self._lost_reported = store
        log.error("%s", reason)
        self.stop_executor()
        if self.on_store_lost is not None:
            self.on_store_lost(reason)

    def recreate_store(self) -> str:
        """*Service thread*: after the store was lost, open the file now at the store path
        (a new, empty store when it was deleted) with the current settings; returns its path."""
        from remap.service import Workspace

        old = self.workspace()
        # a deleted store is started anew with the current settings; a replaced one keeps its own
        settings = None if old.store.path.exists() else old.settings.to_dict()
        if self._autopilot is not None:  # it explores the old store: stopped, started anew
            self._autopilot.stop(timeout=10.0)
            self._autopilot = None
        self.stop_executor()
        old.close()
        self._ws = None
        self._open_error = "the store is being recreated"
        self._ws = Workspace.open(self.root, self.store_path, settings)
        self._open_error = None
        self._results = ResultCache()
        self.index_dirty = True
        return str(self._ws.store.path)

    def settings_dict(self) -> dict[str, Any]:
        """*Service thread*: the settings as the status reports them."""
        out = self.workspace().settings.to_dict()
        out["auto_train"] = self.auto_train
        out["store_path"] = str(self.workspace().store.path)
        return out

    # -- data set and warm-up (background thread) --------------------------------------------
    def load_dataset(self) -> None:
        """*Service thread*: (re)load the workspace's data set in a background thread; the
        shape snapshot is cleared until it is loaded, then ``on_dataset`` is called."""
        ref = self.workspace().settings.dataset_ref()
        with self._lock:
            self._dataset_generation += 1
            generation = self._dataset_generation
        self.input_shape = self.num_classes = None
        self.dataset_error = None
        self.index_dirty = True
        thread = threading.Thread(
            target=self._load_dataset, args=(ref, generation), name="remap-data", daemon=True
        )
        thread.start()

    def _load_dataset(self, ref: dict[str, Any], generation: int) -> None:
        from remap.service.workspace import load_split_cached

        try:
            split = load_split_cached(ref)
            shape, classes, error = split.input_shape, split.num_classes, None
        except Exception as exc:
            shape, classes, error = None, None, " ".join(str(exc).split())
            log.warning("data set %s: %s", ref.get("source"), error)
        with self._lock:
            if generation != self._dataset_generation:
                return
            self.input_shape, self.num_classes, self.dataset_error = shape, classes, error
        if self.on_dataset is not None:
            try:
                self.on_dataset()
            except Exception:
                log.exception("data set callback failed")
        if generation == 1 and warmup_enabled():
            self._warm_up()

    def _warm_up(self) -> None:
        try:
            from remap.service.background import start_warmups

            start_warmups()  # UMAP in its own thread (numba cache under REMAP's), then OTMANN
        except Exception as exc:
            log.warning("warm-up failed: %s", " ".join(str(exc).split()))

    @staticmethod
    def warmup_state() -> str:
        from remap.service.background import umap_warmup_state

        return umap_warmup_state()

    # -- training workers -----------------------------------------------------------------------
    def sync_executor(self, counts: Mapping[str, int], paused: bool) -> None:
        """*Service thread*, from every watcher tick: start the workers when jobs are queued
        (and ``autoTrain`` allows), restart dead ones, stop them when idle for a while or
        when the worker settings changed."""
        ws = self.workspace()
        now = time.monotonic()
        if now - self._last_requeue > REQUEUE_EVERY_SECONDS:
            self._last_requeue = now
            if counts.get("running", 0):
                ws.store.requeue_expired()  # jobs of workers that vanished with a server
        from remap.service.queue import executor_key

        key = executor_key(ws)
        busy = counts.get("running", 0) > 0 or (counts.get("queued", 0) > 0 and not paused)
        if self._executor is not None:
            if not self.auto_train or key != self._executor_key:
                self.stop_executor()
            else:
                self._executor.restart_dead()
                if busy:
                    self._idle_since = None
                elif self._idle_since is None:
                    self._idle_since = now
                elif now - self._idle_since > IDLE_STOP_SECONDS:
                    log.info("no training for %.0f s: stopping the workers", IDLE_STOP_SECONDS)
                    self.stop_executor()
                return
        # A start that failed (say Ray is missing) is retried once the settings change.
        queued = counts.get("queued", 0) > 0 and not paused
        if self.auto_train and queued and self._failed_key != key:
            self._start_executor(key)

    def _start_executor(self, key: tuple[Any, ...]) -> None:
        from remap.service.queue import executor_plan, start_executor

        ws = self.workspace()
        try:
            plan = executor_plan(ws)
            executor = start_executor(ws, plan, until_idle=False)
        except Exception as exc:
            self._failed_key = key
            reason = " ".join(str(exc).split())
            log.error("cannot start the training executor: %s", reason)
            if self.on_executor_error is not None:
                self.on_executor_error(f"REMAP cannot start training: {reason}")
            return
        self._failed_key = None
        log.info("started the %s executor: %s", plan.kind, plan)
        self._executor, self._executor_key, self._idle_since = executor, key, None

    def stop_executor(self) -> None:
        """*Service thread*: stop the workers (each gives its job back to the queue)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.stop()
            log.info("training workers stopped")

    def executor_info(self) -> list[dict[str, Any]]:
        return [] if self._executor is None else self._executor.describe()

    # -- explore ---------------------------------------------------------------------------------
    def autopilot(self) -> Autopilot:
        """*Service thread*: the background explore of this workspace (created on first use)."""
        from remap.service.autopilot import Autopilot

        self.workspace()  # open, or WorkspaceUnavailable
        if self._autopilot is None:
            self._autopilot = Autopilot(self.root, self.store_path, self._explore_report)
        return self._autopilot

    def _explore_report(self, report: ExploreReport) -> None:
        if self.on_explore is not None:
            self.on_explore(report)

    # -- shutdown ---------------------------------------------------------------------------------
    def _close_in_thread(self) -> None:
        try:
            if self._autopilot is not None:
                self._autopilot.stop(timeout=10.0)
            self.stop_executor()
        finally:
            if self._ws is not None:
                self._ws.close()
                self._ws = None
            self._open_error = "the server is shutting down"

    def close(self, timeout: float = 20.0) -> None:
        """Stop the workers and close the workspace (idempotent; from any thread but the
        service thread)."""
        if self._closed:
            return
        future = self.submit(self._close_in_thread)
        self._closed = True
        try:
            future.result(timeout)
        except Exception:
            log.exception("error while closing the workspace")
        self._pool.shutdown(wait=False, cancel_futures=True)
