"""Immutable records returned by the store, and their construction from database rows."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.arch.errors import SpecFormatError
from remap.arch.spec import ArchSpec
from remap.store.blobs import unpack_array
from remap.store.errors import StoreError
from remap.train.config import TrainConfig
from remap.train.metrics import EpochMetrics


@dataclass(frozen=True)
class ModelRecord:
    """One architecture. ``parent_id``/``changes`` record its lineage (the model it was derived
    from and the edits that made it); ``params`` is None for an impossible spec."""

    id: int
    name: str | None
    spec: ArchSpec
    content_hash: str
    origin: str
    parent_id: int | None
    changes: tuple[str, ...]
    params: int | None
    created_at: float
    source: str | None
    recorded: dict[str, Any] | None = None  # metrics an imported model set brought along


@dataclass(frozen=True)
class JobRecord:
    """One training request. ``attempts`` counts claims; ``lease_until`` is the wall-clock
    time (``time.time()``) until which ``worker_id`` holds a running job; ``run_id`` is the
    run of the current attempt."""

    id: int
    model_id: int
    state: str
    priority: int
    position: int
    config: TrainConfig
    dataset: dict[str, Any]
    worker_id: str | None
    lease_until: float | None
    attempts: int
    cancel_requested: bool
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    run_id: int | None
    inherit: bool = False  # start from the parent's weights where they fit


@dataclass(frozen=True, eq=False)
class RunRecord:
    """One training attempt with its per-epoch metrics and (when finished) final results."""

    id: int
    model_id: int
    job_id: int | None
    dataset_name: str
    fingerprint: str
    config: TrainConfig
    state: str
    epochs: tuple[EpochMetrics, ...]
    train_acc: float | None
    val_acc: float | None
    val_loss: float | None
    per_class_acc: tuple[float, ...] | None
    confusion: npt.NDArray[np.int64] | None
    predictions: npt.NDArray[np.int16] | None
    seconds: float | None
    device: str | None
    stopped_early: bool | None
    error: str | None
    started_at: float
    finished_at: float | None
    worker_id: str | None = None
    params: int | None = None
    weights_path: str | None = None  # relative to the store's weights folder
    weights_bytes: int | None = None
    inherited: tuple[int, ...] = ()  # layers that started from the parent's weights
    resumed_from: int | None = None  # the checkpoint epoch this run continued from
    reevaluated_acc: float | None = None  # held-out accuracy of the model read from the file
    executor: str = "local"
    node: str | None = None


@dataclass(frozen=True)
class Event:
    """One entry of the change feed. ``seq`` grows strictly; ``payload`` is JSON data."""

    seq: int
    kind: str
    model_id: int | None
    job_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


def stored_spec(model_id: int, text: str) -> ArchSpec:
    """The architecture the store holds for ``model_id``. Read leniently where an earlier
    version was lenient (a one-class output), so one old row cannot make every command of a
    workspace fail; anything else unreadable is a :class:`StoreError` naming the model."""
    try:
        return ArchSpec.from_json(text, min_classes=1)
    except SpecFormatError as exc:
        reason = f"model #{model_id}: its stored architecture cannot be read ({exc})"
        raise StoreError(reason) from None


def model_from_row(row: sqlite3.Row) -> ModelRecord:
    return ModelRecord(
        id=row["id"],
        name=row["name"],
        spec=stored_spec(row["id"], row["spec"]),
        content_hash=row["content_hash"],
        origin=row["origin"],
        parent_id=row["parent_id"],
        changes=tuple(json.loads(row["changes"])),
        params=row["params"],
        created_at=row["created_at"],
        source=row["source"],
        recorded=json.loads(row["recorded"]) if row["recorded"] else None,
    )


def job_from_row(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        model_id=row["model_id"],
        state=row["state"],
        priority=row["priority"],
        position=row["position"],
        config=TrainConfig.from_dict(json.loads(row["config"])),
        dataset=json.loads(row["dataset"]),
        worker_id=row["worker_id"],
        lease_until=row["lease_until"],
        attempts=row["attempts"],
        cancel_requested=bool(row["cancel_requested"]),
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        run_id=row["run_id"],
        inherit=bool(row["inherit"]),
    )


def run_from_row(row: sqlite3.Row, epochs: tuple[EpochMetrics, ...]) -> RunRecord:
    per_class = row["per_class_acc"]
    confusion = row["confusion"]
    predictions = row["predictions"]
    stopped = row["stopped_early"]
    return RunRecord(
        id=row["id"],
        model_id=row["model_id"],
        job_id=row["job_id"],
        dataset_name=row["dataset_name"],
        fingerprint=row["fingerprint"],
        config=TrainConfig.from_dict(json.loads(row["config"])),
        state=row["state"],
        epochs=epochs,
        train_acc=row["train_acc"],
        val_acc=row["val_acc"],
        val_loss=row["val_loss"],
        per_class_acc=(
            None if per_class is None else tuple(float(v) for v in unpack_array(per_class))
        ),
        confusion=None if confusion is None else unpack_array(confusion).astype(np.int64),
        predictions=None if predictions is None else unpack_array(predictions).astype(np.int16),
        seconds=row["seconds"],
        device=row["device"],
        stopped_early=None if stopped is None else bool(stopped),
        error=row["error"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        worker_id=row["worker_id"],
        params=row["params"],
        weights_path=row["weights_path"],
        weights_bytes=row["weights_bytes"],
        inherited=tuple(json.loads(row["inherited"])) if row["inherited"] else (),
        resumed_from=row["resumed_from"],
        reevaluated_acc=row["reevaluated_acc"],
        executor=row["executor"],
        node=row["node"],
    )


def event_from_row(row: sqlite3.Row) -> Event:
    return Event(
        seq=row["seq"],
        kind=row["kind"],
        model_id=row["model_id"],
        job_id=row["job_id"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
    )
