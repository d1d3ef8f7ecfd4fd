"""Read-only views of a workspace for the UI and the CLI: one row per model with its
lineage, state and metrics on the workspace's data set, and per-model details."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from remap.arch.shapes import analyse
from remap.arch.variation import applicable_changes
from remap.service.weights import recorded_accuracy, run_weights_details
from remap.service.workspace import Workspace
from remap.store.records import JobRecord, ModelRecord, RunRecord

ACTIVE_JOB_STATES = ("queued", "running")


@dataclass(frozen=True)
class ModelRow:
    id: int
    name: str
    origin: str
    parent_id: int | None
    changes: tuple[str, ...]
    params: int
    flops: int
    layers: str
    state: str  # untrained | queued | training | trained | failed | cancelled
    val_acc: float | None
    train_acc: float | None
    epochs: int | None
    seconds: float | None
    job_id: int | None
    recorded_acc: float | None = None  # an imported model set's accuracy: not trained here

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["changes"] = list(self.changes)
        return out


def _state(run: RunRecord | None, job: JobRecord | None) -> str:
    if job is not None and job.state == "running":
        return "training"
    if job is not None and job.state == "queued":
        return "queued"
    if run is not None:
        return "trained"
    if job is not None and job.state in ("failed", "cancelled"):
        return job.state
    return "untrained"


def latest_jobs(ws: Workspace) -> dict[int, JobRecord]:
    """The most relevant job per model: an active one if any, else the newest."""
    best: dict[int, JobRecord] = {}
    for job in ws.store.list_jobs():
        current = best.get(job.model_id)
        if current is None:
            best[job.model_id] = job
            continue
        active_now = job.state in ACTIVE_JOB_STATES
        active_before = current.state in ACTIVE_JOB_STATES
        if (active_now and not active_before) or (
            active_now == active_before and job.id > current.id
        ):
            best[job.model_id] = job
    return best


def model_row(model: ModelRecord, run: RunRecord | None, job: JobRecord | None) -> ModelRow:
    report = analyse(model.spec)
    return ModelRow(
        id=model.id,
        name=model.name or f"m{model.id}",
        origin=model.origin,
        parent_id=model.parent_id,
        changes=model.changes,
        params=report.params,
        flops=report.flops,
        layers=model.spec.describe(),
        state=_state(run, job),
        val_acc=run.val_acc if run else None,
        train_acc=run.train_acc if run else None,
        epochs=len(run.epochs) if run else None,
        seconds=run.seconds if run else None,
        job_id=job.id if job else None,
        recorded_acc=recorded_accuracy(model),
    )


def model_rows(ws: Workspace) -> list[ModelRow]:
    fingerprint = ws.split().fingerprint
    runs = {run.model_id: run for run in ws.store.finished_runs(fingerprint)}
    jobs = latest_jobs(ws)
    return [model_row(m, runs.get(m.id), jobs.get(m.id)) for m in ws.store.list_models()]


def model_details(ws: Workspace, model_id: int) -> dict[str, Any]:
    """Everything the inspector shows: spec, per-layer shapes, lineage, the latest run's
    curves, per-class accuracy and confusion matrix."""
    model = ws.store.get_model(model_id)
    split = ws.split()
    run = ws.store.latest_run(model_id, split.fingerprint)
    jobs = latest_jobs(ws)
    report = analyse(model.spec)
    layers = [
        {
            "index": info.index,
            "layer": info.layer.describe(),
            "type": info.layer.type,
            "input": list(info.input.dims),
            "output": list(info.output.dims),
            "params": info.params,
            "reshaped": info.reshaped,
            "changes": applicable_changes(model.spec, info.index),  # what Variations offers
        }
        for info in report.layers
    ]
    details: dict[str, Any] = {
        "model": model_row(model, run, jobs.get(model_id)).to_dict(),
        "spec": model.spec.to_dict(),
        "layers": layers,
        "children": [child.id for child in ws.store.children_of(model_id)],
        "classes": list(split.classes),
        "source": model.source,
        "run": None,
    }
    if run is not None:
        details["run"] = {
            "id": run.id,
            "epochs": [e.to_dict() for e in run.epochs],
            "train_acc": run.train_acc,
            "val_acc": run.val_acc,
            "val_loss": run.val_loss,
            "per_class_acc": list(run.per_class_acc or ()),
            "confusion": run.confusion.tolist() if run.confusion is not None else None,
            "seconds": run.seconds,
            "device": run.device,
            "executor": run.executor,
            "node": run.node,
            "stopped_early": run.stopped_early,
            "config": run.config.to_dict(),
            **run_weights_details(ws, model, run),
        }
    return details
