"""Read-only views of a workspace for the UI and the CLI: one row per model with its
lineage, state and metrics on the workspace's data set, per-model details, and the
per-class accuracy of every trained model in one answer.

Listing reads no data set: the split's fingerprint and class names are remembered in the
store (``split_info``), keyed by the data set reference and a stamp of its source, so
``remap list`` / ``remap show`` and the model list never load (or import) the data. Rows are
built from light queries (no spec parsing except for specs not seen before in this process,
no result blobs, no per-run queries)."""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remap.arch.shapes import analyse
from remap.arch.variation import applicable_changes
from remap.service.naming import given_name
from remap.service.weights import recorded_accuracy, run_weights_details
from remap.service.wire import Wire, camel
from remap.service.workspace import Workspace
from remap.store.records import JobRecord, ModelRecord, RunRecord
from remap.store.summaries import RunSummary

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
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "parent_id": self.parent_id,
            "changes": list(self.changes),
            "params": self.params,
            "flops": self.flops,
            "layers": self.layers,
            "state": self.state,
            "val_acc": self.val_acc,
            "train_acc": self.train_acc,
            "epochs": self.epochs,
            "seconds": self.seconds,
            "job_id": self.job_id,
            "recorded_acc": self.recorded_acc,
        }

    def to_wire(self) -> dict[str, Any]:
        """The row in wire form (camelCase keys, non-finite numbers as null), built directly:
        the generic conversion costs more than building 10,000 rows."""
        out = {_WIRE_KEYS[k]: v for k, v in self.to_dict().items()}
        for key in ("valAcc", "trainAcc", "seconds", "recordedAcc"):
            value = out[key]
            if value is not None and not math.isfinite(value):
                out[key] = None
        return out


_WIRE_KEYS = {f: camel(f) for f in ModelRow.__dataclass_fields__}


@dataclass(frozen=True)
class SplitInfo:
    """What views need to know about the workspace's split without loading it."""

    fingerprint: str
    classes: tuple[str, ...]


def _source_stamp(source: str) -> list[Any]:
    """Changes when a data set source changes: the REMAP version for bundled and synthetic
    sets, else the size and modification time of the file (of a folder: of its entries)."""
    from remap import __version__

    path = Path(source).expanduser()
    try:
        if path.is_file():
            st = path.stat()
            return [__version__, st.st_size, st.st_mtime_ns]
        if path.is_dir():
            entries = sorted(os.scandir(path), key=lambda e: e.name)
            listing = [[e.name, e.stat().st_size, e.stat().st_mtime_ns] for e in entries]
            return [__version__, listing]
    except OSError:
        pass
    return [__version__, source]


_info_lock = threading.Lock()
_infos: dict[str, tuple[list[Any], SplitInfo]] = {}


def split_info(ws: Workspace) -> SplitInfo:
    """The split's fingerprint and class names: from this process or the store when the
    source is unchanged, else by loading the split once (and remembering it)."""
    ref = ws.settings.dataset_ref()
    key = "split:" + json.dumps(ref, sort_keys=True)
    stamp = json.loads(json.dumps(_source_stamp(str(ref["source"]))))
    with _info_lock:
        known = _infos.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    saved = ws.store.get_cached_value(key)
    if isinstance(saved, dict) and saved.get("stamp") == stamp:
        info = SplitInfo(str(saved["fingerprint"]), tuple(str(c) for c in saved["classes"]))
    else:
        split = ws.split()
        info = SplitInfo(split.fingerprint, tuple(split.classes))
        ws.store.put_cached_value(
            key, {"stamp": stamp, "fingerprint": info.fingerprint, "classes": list(info.classes)}
        )
    with _info_lock:
        _infos[key] = (stamp, info)
    return info


def _state(run: RunRecord | RunSummary | None, job: JobRecord | str | None) -> str:
    state = job.state if isinstance(job, JobRecord) else job
    if state == "running":
        return "training"
    if state == "queued":
        return "queued"
    if run is not None:
        return "trained"
    if state in ("failed", "cancelled"):
        return state
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
        name=given_name(model.id, model.name),
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


_facts_lock = threading.Lock()
_spec_facts: dict[str, tuple[int, int, str]] = {}  # content hash → (params, flops, layers)


def _facts(ws: Workspace, pending: dict[int, str]) -> dict[str, tuple[int, int, str]]:
    """Parameter count, FLOPs and layer summary per content hash; specs are read and
    analysed only the first time this process sees them (a spec never changes)."""
    with _facts_lock:
        todo = {model_id: h for model_id, h in pending.items() if h not in _spec_facts}
    if todo:
        specs = ws.store.model_specs(list(todo))
        fresh = {}
        for model_id, h in todo.items():
            report = analyse(specs[model_id])
            fresh[h] = (report.params, report.flops, specs[model_id].describe())
        with _facts_lock:
            _spec_facts.update(fresh)
    with _facts_lock:
        return {h: _spec_facts[h] for h in pending.values()}


def _job_states(ws: Workspace) -> dict[int, tuple[int, str]]:
    """(job id, state) of the most relevant job per model (as :func:`latest_jobs`)."""
    best: dict[int, tuple[int, str]] = {}
    for job_id, model_id, state in ws.store.job_states():
        current = best.get(model_id)
        if current is None:
            best[model_id] = (job_id, state)
            continue
        active_now = state in ACTIVE_JOB_STATES
        active_before = current[1] in ACTIVE_JOB_STATES
        if (active_now and not active_before) or (active_now == active_before):
            best[model_id] = (job_id, state)  # ids ascend: the newer one
    return best


def model_rows(ws: Workspace) -> list[ModelRow]:
    """One row per model, from light queries (see the module docstring)."""
    fingerprint = split_info(ws).fingerprint
    runs = {run.model_id: run for run in ws.store.run_summaries(fingerprint)}
    jobs = _job_states(ws)
    models = ws.store.model_summaries()
    facts = _facts(ws, {m.id: m.content_hash for m in models})
    rows = []
    for m in models:
        params, flops, layers = facts[m.content_hash]
        run = runs.get(m.id)
        job = jobs.get(m.id)
        rows.append(
            ModelRow(
                id=m.id,
                name=given_name(m.id, m.name),
                origin=m.origin,
                parent_id=m.parent_id,
                changes=m.changes,
                params=params,
                flops=flops,
                layers=layers,
                state=_state(run, job[1] if job else None),
                val_acc=run.val_acc if run else None,
                train_acc=run.train_acc if run else None,
                epochs=run.epochs if run else None,
                seconds=run.seconds if run else None,
                job_id=job[0] if job else None,
                recorded_acc=m.recorded_acc,
            )
        )
    return rows


def per_class_accuracy(ws: Workspace) -> dict[str, Any]:
    """Per-class held-out accuracy of every trained model, in one answer (what recolouring
    the map by a class needs): ``classes``, ``ids`` and ``per_class_acc[i]`` for ``ids[i]``."""
    info = split_info(ws)
    pairs = ws.store.per_class_accuracy(info.fingerprint)
    return {
        "classes": list(info.classes),
        "ids": [model_id for model_id, _ in pairs],
        "per_class_acc": [acc.tolist() for _, acc in pairs],
    }


def per_class_accuracy_wire(ws: Workspace) -> Wire:
    """:func:`per_class_accuracy` in wire form (NaN, e.g. a class with no held-out sample,
    as null), built directly."""
    out = per_class_accuracy(ws)
    rows = [[v if math.isfinite(v) else None for v in acc] for acc in out["per_class_acc"]]
    return Wire(classes=out["classes"], ids=out["ids"], perClassAcc=rows)


def model_list_wire(ws: Workspace) -> Wire:
    """``remap/listModels``'s answer in wire form."""
    return Wire(models=[row.to_wire() for row in model_rows(ws)])


def model_details(ws: Workspace, model_id: int) -> dict[str, Any]:
    """Everything the inspector shows: spec, per-layer shapes, lineage, the latest run's
    curves, per-class accuracy and confusion matrix."""
    model = ws.store.get_model(model_id)
    split = split_info(ws)
    run = ws.store.latest_run(model_id, split.fingerprint)
    latest = _job_states(ws).get(model_id)  # light: not every job record of the workspace
    job = ws.store.get_job(latest[0]) if latest else None
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
        "model": model_row(model, run, job).to_dict(),
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
