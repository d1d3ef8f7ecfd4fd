"""Trained weights for the UI and the CLI: how much they take on disk (``remap list``, the
status view), their garbage collection (``remap gc``; automatic with the workspace setting
``gc_weights = auto``), what a run inherited, and the accuracies an imported model set
recorded (kept and shown as "recorded, not trained here")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from remap.service.workspace import Workspace
from remap.store.gc import GcReport, collect_weights
from remap.store.records import ModelRecord, RunRecord


@contextmanager
def inheriting(ws: Workspace, flag: bool | None) -> Iterator[None]:
    """Within the block, children queued for training start from their parent's weights
    (``flag``) or not, whatever the saved ``inherit_weights`` setting says (None: it does)."""
    if flag is None:
        yield
        return
    saved = ws.settings
    ws.settings = saved.merged({"inherit_weights": bool(flag)})
    try:
        yield
    finally:
        ws.settings = saved


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


def recorded_accuracy(model: ModelRecord) -> float | None:
    """The held-out accuracy an imported model set recorded for the model (a fraction)."""
    value = (model.recorded or {}).get("val_acc")
    return float(value) if isinstance(value, (int, float)) else None


def recorded_metrics(extra: Mapping[str, Any]) -> dict[str, Any] | None:
    """What an original REMAP model-set entry recorded (``final_val_acc`` in percent,
    per-epoch ``val_accs``/``train_accs`` as fractions, ``parameters``), as fractions; None
    when it recorded no accuracy."""

    def fraction(value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        number = float(value) / 100 if value > 1 else float(value)
        return number if 0.0 <= number <= 1.0 else None

    def series(value: Any) -> list[float]:
        items = [fraction(v) for v in value] if isinstance(value, list) else []
        return [v for v in items if v is not None]

    val_accs, train_accs = series(extra.get("val_accs")), series(extra.get("train_accs"))
    val = fraction(extra.get("final_val_acc"))
    if val is None and val_accs:
        val = val_accs[-1]
    if val is None:
        return None
    train = fraction(extra.get("final_train_acc"))
    return {
        "val_acc": val,
        "train_acc": train if train is not None else (train_accs[-1] if train_accs else None),
        "val_accs": val_accs,
        "train_accs": train_accs,
        "note": "recorded by the original REMAP, not trained here",
    }


def run_weights_details(ws: Workspace, model: ModelRecord, run: RunRecord) -> dict[str, Any]:
    """The inspector's weights line: size, and which layers started from the parent."""
    layers = [model.spec.layers[i].describe() for i in run.inherited if i < len(model.spec.layers)]
    return {
        "weights_bytes": run.weights_bytes,
        "inherited": [
            {"index": i, "layer": name} for i, name in zip(run.inherited, layers, strict=False)
        ],
        "resumed_from": run.resumed_from,
        "reevaluated_acc": run.reevaluated_acc,
    }
