"""Trained weights on disk, for the UI and the CLI: how much they take (``remap list``, the
status view) and their garbage collection (``remap gc``; automatic with the workspace
setting ``gc_weights = auto``)."""

from __future__ import annotations

from typing import Any

from remap.service.workspace import Workspace
from remap.store.gc import GcReport, collect_weights


def weights_usage(ws: Workspace) -> dict[str, Any]:
    """``{"files": runs with weights, "bytes": their total size, "folder": where}``."""
    files, size = ws.store.weights_usage()
    return {"files": files, "bytes": size, "folder": str(ws.store.weights_dir)}


def collect(ws: Workspace, dry_run: bool = False) -> GcReport:
    return collect_weights(ws.store, dry_run=dry_run)


def human_bytes(size: int) -> str:
    """``52 KB``, ``3.4 MB``: decimal units, as file managers show them."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover
