"""The report's data: a snapshot of a workspace in the shapes of docs/protocol.md (camelCase)
— status, model rows, details of every model, the three maps, the data-set summary with
example images and the queue — which the page's ReportHost answers requests from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from remap.service import ServiceError, Workspace
from remap.service.maps import VIEWS, get_map
from remap.service.queue import job_dict, summarise
from remap.service.status import dataset_summary, workspace_status
from remap.service.views import model_details, model_rows
from remap.service.wire import to_wire

SNAPSHOT_FORMAT = "remap-report"
SNAPSHOT_VERSION = 1


def _empty_map(ws: Workspace, view: str, reason: str) -> dict[str, Any]:
    method = "axes" if view == "accuracy" else ws.settings.projection
    return {
        "view": view, "method": method, "note": f"map unavailable: {reason}", "points": [],
        "edges": [], "movement": None, "trustworthiness": None,
        "axes": {"x": f"{view} x", "y": f"{view} y"},
    }  # fmt: skip


def collect_snapshot(ws: Workspace, examples_per_class: int = 4) -> dict[str, Any]:
    """Everything the report page shows. A broken data set or an impossible map does not
    stop the report: they are recorded as notes (``status.datasetError``, map notes)."""
    status = workspace_status(ws, "ready")
    rows = model_rows(ws)
    details = {str(row.id): model_details(ws, row.id) for row in rows}
    maps: dict[str, Any] = {}
    for view in VIEWS:
        try:
            maps[view] = get_map(ws, view)
        except ServiceError as exc:
            maps[view] = _empty_map(ws, view, str(exc))
    dataset: dict[str, Any] | None
    try:
        dataset = dataset_summary(ws, examples_per_class)
    except ServiceError:
        dataset = None
    queue = {
        "summary": summarise(ws.store).to_dict(),
        "jobs": [job_dict(job) for job in ws.store.list_jobs()],
    }
    snapshot: dict[str, Any] = to_wire(
        {
            "status": status,
            "models": [row.to_dict() for row in rows],
            "maps": maps,
            "dataset": dataset,
            "queue": queue,
        }
    )
    # Keys of `details` are model ids: keep them as they are (to_wire only renames keys with
    # underscores, but be explicit).
    snapshot["details"] = {key: to_wire(value) for key, value in details.items()}
    snapshot["format"] = SNAPSHOT_FORMAT
    snapshot["version"] = SNAPSHOT_VERSION
    snapshot["generatedAt"] = datetime.now(UTC).isoformat(timespec="seconds")
    return snapshot
