"""Garbage collection of the files beside the store (``weights/``): what is kept is the
weights of the latest finished run per model and data set (what export, evaluation and
inheritance use) and the checkpoints of jobs still queued or running; removed are the
weights of superseded runs and of models no longer in the store, files no run references
(a worker died between writing a file and finishing its run), checkpoints of jobs that are
over, and temporary files older than ``TMP_GRACE_S`` (a write still under way is younger).
Files of runs still running are never touched; unknown files are left alone.

The workspace setting ``gc_weights`` (``auto``, the default, or ``off``) makes workers run
this after every finished run.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from remap.store.store import Store

# Mirrors ``remap.service.workspace.SETTINGS_KEY`` (the workspace settings' key in the store).
WORKSPACE_SETTINGS_KEY = "workspace_settings"
GC_SETTING = "gc_weights"
GC_MODES = ("auto", "off")
TMP_GRACE_S = 600.0
_RUN_FILE = re.compile(r"^run-(\d+)\.safetensors$")
_CHECKPOINT = re.compile(r"^job-(\d+)\.ckpt$")


@dataclass
class GcReport:
    removed: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    kept_files: int = 0
    kept_bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "removed": list(self.removed),
            "freed_bytes": self.freed_bytes,
            "kept_files": self.kept_files,
            "kept_bytes": self.kept_bytes,
        }


def auto_gc_enabled(store: Store) -> bool:
    settings = store.get_setting(WORKSPACE_SETTINGS_KEY, {}) or {}
    return isinstance(settings, dict) and settings.get(GC_SETTING, "auto") == "auto"


def collect_weights(store: Store, *, dry_run: bool = False) -> GcReport:
    """Remove what is no longer needed (see the module docstring); ``dry_run`` only says."""
    report = GcReport()
    models = {m.id for m in store.list_models()}
    latest: dict[tuple[int, str], int] = {}
    files: dict[int, str] = {}
    for run_id, model_id, fingerprint, name in store.runs_with_weights():
        files[run_id] = name
        if model_id in models:
            key = (model_id, fingerprint)
            latest[key] = max(latest.get(key, 0), run_id)
    keep = set(latest.values())
    drop = sorted(set(files) - keep)
    if drop and not dry_run:
        store.drop_weights(drop)
    folder = store.weights_dir
    doomed = [folder / files[r] for r in drop]
    active_jobs = {j.id for j in store.list_jobs({"queued", "running"})}
    running_runs = {j.run_id for j in store.list_jobs({"running"}) if j.run_id is not None}
    kept_names = {files[r] for r in keep}
    now = time.time()
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not path.is_file() or path in doomed:
            continue
        if _unneeded(path, kept_names, running_runs, active_jobs, now):
            doomed.append(path)
    for path in doomed:
        size = _size(path)
        report.removed.append(path.name)
        report.freed_bytes += size
        if not dry_run:
            with contextlib.suppress(OSError):
                path.unlink()
    report.kept_files, report.kept_bytes = store.weights_usage() if not dry_run else (0, 0)
    if dry_run:
        report.kept_files = len(keep)
        report.kept_bytes = sum(_size(folder / files[r]) for r in keep)
    return report


def _unneeded(
    path: Path, kept: set[str], running_runs: set[int], active_jobs: set[int], now: float
) -> bool:
    run = _RUN_FILE.match(path.name)
    if run is not None:
        return path.name not in kept and int(run.group(1)) not in running_runs
    job = _CHECKPOINT.match(path.name)
    if job is not None:
        return int(job.group(1)) not in active_jobs
    temporary = path.name.startswith(".") and path.name.endswith(".tmp")
    return temporary and now - path.stat().st_mtime > TMP_GRACE_S


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
