"""The "REMAP: training" work-done progress (``$/progress``), driven from the event loop by
the states the watcher computes: created with ``window/workDoneProgress/create`` (only when
the client supports it), then begin / report / end. Cancelling it in the client pauses the
queue (the running jobs finish) and the progress stays hidden until the queue is resumed."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from remap.lsp.protocol import PROGRESS_TITLE
from remap.lsp.watcher import ProgressState

log = logging.getLogger("remap.lsp")


class ProgressReporter:
    """Lives on the event loop thread: call :meth:`update` and :meth:`cancelled` there."""

    def __init__(self, server: LanguageServer, on_cancel: Callable[[], None]) -> None:
        self.server = server
        self.on_cancel = on_cancel
        self.enabled = False  # set from the client's capabilities at initialize
        self.token: str | None = None
        self._begun = False
        self._state: ProgressState | None = None
        self._sent: ProgressState | None = None
        self._count = 0
        self._suppressed = False  # cancelled by the user: hidden until the queue resumes
        self._saw_pause = False

    def update(self, state: ProgressState | None) -> None:
        if not self.enabled:
            return
        if state is None:
            self._suppressed = self._saw_pause = False
            self._finish("done")
            return
        if self._suppressed:
            if state.paused:
                self._saw_pause = True
                return
            if not self._saw_pause:
                return
            self._suppressed = self._saw_pause = False  # the queue was resumed
        self._state = state
        if self.token is None:
            self._create()
        elif self._begun and state != self._sent:
            self._sent = state
            self.server.work_done_progress.report(
                self.token,
                t.WorkDoneProgressReport(
                    message=state.message, percentage=state.percentage, cancellable=True
                ),
            )

    def cancelled(self, token: Any) -> None:
        """The user cancelled the progress ``token`` in the client."""
        if token is None or token != self.token:
            return
        self._suppressed, self._saw_pause = True, False
        self._finish("paused")
        self.on_cancel()

    def _create(self) -> None:
        self._count += 1
        token = f"remap-training-{os.getpid()}-{self._count}"
        self.token, self._begun, self._sent = token, False, None
        future = self.server.protocol.send_request(
            t.WINDOW_WORK_DONE_PROGRESS_CREATE, t.WorkDoneProgressCreateParams(token=token)
        )
        future.add_done_callback(lambda f: self._created(token, f))

    def _created(self, token: str, future: Future[Any]) -> None:
        if token != self.token:
            return  # ended before the client answered
        if future.cancelled() or future.exception() is not None:
            log.warning("the client refused a progress token: %s", future.exception())
            self.enabled = False
            self.token = None
            return
        state = self._state or ProgressState("starting", 0)
        self._begun, self._sent = True, state
        self.server.work_done_progress.begin(
            token,
            t.WorkDoneProgressBegin(
                title=PROGRESS_TITLE,
                message=state.message,
                percentage=state.percentage,
                cancellable=True,
            ),
        )

    def _finish(self, message: str) -> None:
        token, begun = self.token, self._begun
        self.token, self._begun, self._state, self._sent = None, False, None, None
        if token is not None and begun:
            self.server.work_done_progress.end(token, t.WorkDoneProgressEnd(message=message))
