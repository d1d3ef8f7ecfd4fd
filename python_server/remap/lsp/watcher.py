"""The store's change feed turned into client notifications: every ~0.3 s the service thread
reads the new events and sends at most one ``remap/modelsChanged``, one
``remap/queueChanged`` and one ``remap/epoch`` per running job, plus ``remap/warmup`` when
the UMAP warm-up changes state; it keeps the training workers in step with the queue and
computes the work-done progress shown while jobs are queued or running."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remap.lsp import protocol as P
from remap.service.naming import model_label

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime
    from remap.service.records import Event, JobRecord, Store
    from remap.service.workspace import DiskSpace

log = logging.getLogger("remap.lsp")

POLL_SECONDS = 0.3
FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class ProgressState:
    """What the training progress shows; None (instead of a state) ends it."""

    message: str
    percentage: int
    paused: bool = False


Emit = Callable[[str, dict[str, Any]], None]
ShowProgress = Callable[[ProgressState | None], None]


class Watcher:
    """Polls the store from the service thread (see the module docstring). ``emit(method,
    params)`` and ``progress(state)`` are called in the service thread and must hand over
    to the event loop themselves."""

    def __init__(
        self,
        runtime: Runtime,
        emit: Emit,
        progress: ShowProgress,
        interval: float = POLL_SECONDS,
        warn: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.emit = emit
        self.progress = progress
        self.warn = warn  # (message, is an error): disk full / space back
        self._space: DiskSpace | None = None
        self.interval = interval
        self.seq: int | None = None
        self._store: Store | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warmup = "cold"
        self._replaced: int | None = None  # layouts background map jobs wrote, as last seen
        self._baseline: int | None = None  # finished jobs when the busy period began
        self._epoch: dict[int, tuple[int, int]] = {}  # job → (epoch done, epochs)
        self._queue_sent = False
        self._last_progress: ProgressState | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="remap-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.runtime.submit(self.tick).result()
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.error("watcher: %s", " ".join(str(exc).split()), exc_info=True)

    # -- one poll (service thread) ----------------------------------------------------------
    def tick(self) -> None:
        rt = self.runtime
        if not rt.is_open:
            return
        store = rt.workspace().store
        if store is not self._store:  # opened, or recreated after it was lost
            from remap.service.workspace import DiskSpace

            self._store, self.seq = store, None
            self._space = DiskSpace(store.path)
        change = self._space.check() if self._space is not None else None
        if change is not None and self.warn is not None:
            self.warn(change, bool(self._space and self._space.full))
        lost = store.check_file()
        if lost is not None:
            rt.store_lost(lost)
            return
        if self.seq is None:
            self.seq = store.last_event_seq()
        events = store.events_since(self.seq, limit=10_000)
        if events:
            self.seq = events[-1].seq
        added, updated, queue_dirty, epochs = self._digest(events)
        for job_id, payload in epochs.items():
            self._send_epoch(job_id, payload)
        if added or updated:
            rt.index_dirty = True
            self.emit(P.MODELS_CHANGED, {"added": sorted(added), "updated": sorted(updated)})
        if queue_dirty or not self._queue_sent:
            self._send_queue(store.list_jobs(["queued", "running"]))
        replaced = _layouts_replaced()
        if self._replaced is not None and replaced != self._replaced:
            # a background job replaced a layout (say the exact one after the landmark one):
            # the client refetches its maps (the getMap cache key holds the same count)
            self.emit(P.MODELS_CHANGED, {"added": [], "updated": []})
        self._replaced = replaced
        state = rt.warmup_state()
        if state != self._warmup:
            self._warmup = state
            self.emit(P.WARMUP, {"umap": state})
        counts = store.job_counts()
        paused = store.is_paused()
        running = store.list_jobs(["running"]) if counts["running"] else []
        self._update_progress(counts, running, paused)
        if not store.readonly:  # nothing can be trained into a read-only store
            rt.sync_executor(counts, paused)

    def _digest(
        self, events: list[Event]
    ) -> tuple[set[int], set[int], bool, dict[int, dict[str, Any]]]:
        added: set[int] = set()
        updated: set[int] = set()
        epochs: dict[int, dict[str, Any]] = {}
        queue_dirty = False
        for event in events:
            kind = event.kind
            if kind == "model_added" and event.model_id is not None:
                added.add(event.model_id)
            elif kind in ("model_changed", "run_finished") and event.model_id is not None:
                updated.add(event.model_id)
            elif kind == "job_changed":
                queue_dirty = True
                if event.model_id is not None:
                    updated.add(event.model_id)  # its state (queued, training, ...) changed
            elif kind in ("queue_paused", "queue_reordered"):
                queue_dirty = True
            elif kind == "epoch" and event.job_id is not None:
                epochs[event.job_id] = {"model_id": event.model_id, **event.payload}
        return added, updated - added, queue_dirty, epochs

    def _send_queue(self, active: list[JobRecord]) -> None:
        from remap.service.queue import job_dict, summarise

        store = self.runtime.workspace().store
        self._queue_sent = True
        self.emit(
            P.QUEUE_CHANGED,
            {"summary": summarise(store).to_dict(), "jobs": [job_dict(j) for j in active]},
        )

    def _send_epoch(self, job_id: int, payload: dict[str, Any]) -> None:
        from remap.service.records import UnknownJobError

        store = self.runtime.workspace().store
        try:
            total = store.get_job(job_id).config.epochs
        except UnknownJobError:
            return
        metrics = {
            k: payload.get(k)
            for k in ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")
        }
        epoch = payload.get("epoch")
        if isinstance(epoch, int):
            self._epoch[job_id] = (epoch, total)
        self.emit(
            P.EPOCH,
            {"job_id": job_id, "model_id": payload.get("model_id"), "epoch": metrics,
             "epochs": total},
        )  # fmt: skip

    # -- progress --------------------------------------------------------------------------------
    def _update_progress(
        self, counts: dict[str, int], running: list[JobRecord], paused: bool
    ) -> None:
        finished = sum(counts.get(state, 0) for state in FINISHED)
        waiting = counts.get("queued", 0) > 0 and not paused and self.runtime.auto_train
        state: ProgressState | None = None
        if not running and not waiting:
            self._baseline = None
            self._epoch.clear()
        else:
            if self._baseline is None:  # a busy period starts
                self._baseline = finished
            done = max(finished - self._baseline, 0)
            active = counts.get("queued", 0) + counts.get("running", 0)
            state = self._progress_state(running, done, done + active, paused)
        if state != self._last_progress:
            self._last_progress = state
            self.progress(state)

    def _progress_state(
        self, running: list[JobRecord], done: int, total: int, paused: bool
    ) -> ProgressState:
        total = max(total, 1)
        fraction = float(done)
        detail = "waiting for a worker"
        for job in running:
            epoch, epochs = self._epoch.get(job.id, (0, job.config.epochs))
            fraction += min(epoch / max(epochs, 1), 1.0)
        if running:
            job = running[0]
            epoch, epochs = self._epoch.get(job.id, (0, job.config.epochs))
            detail = (
                f"model {model_label(job.model_id)} epoch {epoch}/{epochs}"
                if epoch
                else f"model {model_label(job.model_id)} starting"
            )
            if len(running) > 1:
                detail += f" (+{len(running) - 1} more)"
        message = f"{done}/{total} models · {detail}" + (" · queue paused" if paused else "")
        return ProgressState(message, min(int(100 * fraction / total), 100), paused)


def _layouts_replaced() -> int:
    """Layouts background map jobs wrote (0 while the maps module was never loaded)."""
    import sys

    module = sys.modules.get("remap.service.map_background")
    replaced = getattr(module, "replaced", None)
    return int(replaced()) if replaced is not None else 0
