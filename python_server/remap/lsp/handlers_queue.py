"""``remap/queue``: list, cancel, reorder, pause and resume the training queue; the answer is
always the queue's state after the action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import after_head
from remap.lsp.params import ParamError, Params

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime

ACTIONS = ("list", "cancel", "reorder", "pause", "resume")


def queue(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import ServiceError
    from remap.service import queue as q
    from remap.service.records import StoreError, UnknownJobError

    action = p.choice("action", ACTIONS)
    ws = rt.workspace()
    if action == "cancel":
        job_id = p.req_int("jobId")
        try:
            q.cancel(ws, job_id)
        except UnknownJobError:
            raise ParamError("jobId", f"unknown job id {job_id}") from None
        except ServiceError as exc:
            raise after_head(exc, "jobId") from None
    elif action == "reorder":
        order = p.ints("order", nonempty=True)
        assert order is not None
        try:
            q.reorder(ws, order)
        except UnknownJobError as exc:
            raise ParamError("order", str(exc)) from None
        except (ServiceError, StoreError) as exc:
            raise after_head(exc, "order") from None
    elif action in ("pause", "resume"):
        q.set_paused(ws, action == "pause")
    if action in ("resume", "reorder"):
        rt.sync_executor(*q.counts(ws))  # start workers at once
    return q.state(ws)
