"""Explore in the background, for the language server: one explore session at a time per
process, run by :func:`remap.service.discovery.explore` in its own thread on its own
workspace connection, stoppable between polls, telling a callback after every training and
when it ends. The session state lives in the store (``service.discovery``), so a later start
with the same strategy and seed resumes with the budget that is left."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remap.service import discovery as disc
from remap.service.errors import ServiceError
from remap.service.workspace import Workspace

log = logging.getLogger("remap.service")


@dataclass
class ExploreReport:
    """Where an explore stands: ``state`` is running, done (budget spent), stopped (asked
    to) or failed (``error`` says why); ``best`` the best (model id, accuracy) so far;
    ``paused``: running but waiting for the paused training queue to be resumed."""

    session: str
    strategy: str
    seed: int
    budget: int
    spent: int
    state: str = "running"
    best: tuple[int, float] | None = None
    last_model: int | None = None
    error: str | None = None
    paused: bool = False

    def to_dict(self) -> dict[str, Any]:
        best = None if self.best is None else {"model_id": self.best[0], "val_acc": self.best[1]}
        return {
            "session": self.session,
            "strategy": self.strategy,
            "seed": self.seed,
            "budget": self.budget,
            "spent": self.spent,
            "state": self.state,
            "best": best,
            "last_model": self.last_model,
            "error": self.error,
            "paused": self.paused,
        }


class Autopilot:
    """Starts and stops the background explore of one workspace (``root``, ``store_path``);
    ``report`` is called from the explore thread after every training and once at the end."""

    def __init__(
        self,
        root: Path,
        store_path: str | None,
        report: Callable[[ExploreReport], None],
        *,
        poll: float = 0.2,
    ) -> None:
        self.root, self.store_path, self.report, self.poll = root, store_path, report, poll
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._current: ExploreReport | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def current(self) -> ExploreReport | None:
        with self._lock:
            return None if self._current is None else ExploreReport(**vars(self._current))

    def start(
        self, ws: Workspace, budget: int, strategy: str, seed: int = 0, *, own_workers: bool = True
    ) -> ExploreReport:
        """Start exploring (``ws`` is the caller's connection, read here only); the report
        of the session as it starts: ``spent`` counts what an earlier explore spent."""
        if self.running:
            now = self.current()
            assert now is not None
            raise ServiceError(
                f"an explore ({now.strategy}, {now.spent} of {now.budget} trainings) is already "
                "running; stop it first",
                "strategy",
            )
        if strategy not in disc.STRATEGIES:
            raise ServiceError(
                f"expected strategy {', '.join(disc.STRATEGIES)}, got {strategy!r}", "strategy"
            )
        session = f"{strategy}-{seed}"
        stored = disc.load_session(ws, session)
        spent = stored.spent if stored is not None else 0
        report = ExploreReport(session, strategy, seed, budget, spent)
        if stored is not None:
            report.best = stored.best
        if spent >= budget:
            report.state = "done"
            return report
        self._stop.clear()
        with self._lock:
            self._current = report
        self._thread = threading.Thread(
            target=self._run, args=(budget, strategy, seed, own_workers),
            name="remap-explore", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return ExploreReport(**vars(report))

    def stop(self, timeout: float | None = None) -> ExploreReport | None:
        """Ask the explore to stop (the training in flight stays queued for a resume); waits
        up to ``timeout`` seconds for it (None: does not wait)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and timeout is not None:
            thread.join(timeout)
        return self.current()

    def _update(self, **changes: Any) -> ExploreReport:
        with self._lock:
            assert self._current is not None
            for key, value in changes.items():
                setattr(self._current, key, value)
            return ExploreReport(**vars(self._current))

    def _tell(self, report: ExploreReport) -> None:
        try:
            self.report(report)
        except Exception:
            log.exception("explore progress could not be reported")

    def _run(self, budget: int, strategy: str, seed: int, own_workers: bool) -> None:
        def progress(state: disc.ExploreState) -> None:
            last = state.history[-1][0] if state.history else None
            self._tell(self._update(spent=state.spent, best=state.best, last_model=last))

        try:
            with Workspace.open(self.root, self.store_path) as ws:
                state = disc.explore(
                    ws, budget, strategy, seed, progress=progress,
                    should_stop=self._stop.is_set, poll=self.poll, own_workers=own_workers,
                    on_paused=lambda held: self._tell(self._update(paused=held)),
                )  # fmt: skip
            done = state.spent >= state.budget
            final = self._update(
                spent=state.spent, best=state.best, state="done" if done else "stopped",
                paused=False,
            )  # fmt: skip
        except ServiceError as exc:
            final = self._update(state="failed", error=str(exc))
        except Exception as exc:
            log.exception("explore failed")
            final = self._update(state="failed", error=f"{type(exc).__name__}: {exc}")
        self._tell(final)
