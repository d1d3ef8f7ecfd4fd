"""Training one claimed job, weights included: the step every executor shares.

1. :func:`plan_job` (driver side, reads the store and files): the spec, split and config,
   the checkpoint to resume from (``weights/job-<id>.ckpt``, when one of this very job fits),
   and, for a job that inherits, the parent's tensors for every layer whose shapes did not
   change (``remap.arch.inherit``).
2. :func:`train_planned` (anywhere, e.g. a Ray task): ``train_model`` with the plan, writing
   the checkpoint atomically after each epoch when given a path; the result carries the
   trained weights.
3. :func:`save_run_weights` (driver side): the weights as ``weights/run-<id>.safetensors``,
   atomically, and :func:`reevaluate` (the model rebuilt from that file, scored on the
   held-out split); ``Store.finish_job(..., weights=..., reevaluated_acc=...)`` then
   references the complete file in the transaction that finishes the run;
   :func:`discard_checkpoint` once the job is over.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.arch.inherit import inheritable_layers
from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.store import JobRecord, ModelRecord, Store
from remap.train.config import TrainConfig
from remap.train.metrics import EpochMetrics, TrainResult

if TYPE_CHECKING:
    import torch

log = logging.getLogger("remap.worker")


@dataclass(frozen=True, eq=False)
class JobPlan:
    """Everything one training run needs; ``inherited`` are the child's layer indices that
    start from ``init_weights``; ``resume`` a checkpoint state (``resumed_from`` its epoch)."""

    job_id: int
    spec: ArchSpec
    split: Split
    config: TrainConfig
    checkpoint_path: Path | None = None
    resume: dict[str, Any] | None = None
    init_weights: dict[str, torch.Tensor] | None = None
    inherited: tuple[int, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def resumed_from(self) -> int | None:
        return None if self.resume is None else int(self.resume["epoch"])


def checkpoint_path(store: Store, job_id: int) -> Path:
    return store.weights_dir / f"job-{job_id}.ckpt"


def run_weights_name(run_id: int) -> str:
    return f"run-{run_id}.safetensors"


def _meta(model: ModelRecord, split: Split, config: TrainConfig) -> dict[str, Any]:
    """What a checkpoint must match to be resumed (the device may differ)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in ("device", "threads")}
    return {"spec": model.content_hash, "fingerprint": split.fingerprint, "config": settings}


def plan_job(
    store: Store, job: JobRecord, model: ModelRecord, split: Split, config: TrainConfig
) -> JobPlan:
    from remap.train.weights import load_checkpoint

    meta = _meta(model, split, config)
    path = checkpoint_path(store, job.id)
    resume = load_checkpoint(path)
    if resume is not None and resume.get("meta") != meta:
        log.info("job %d: the checkpoint is for another setting; starting over", job.id)
        resume = None
    init: dict[str, torch.Tensor] | None = None
    inherited: tuple[int, ...] = ()
    if job.inherit and resume is None:
        init, inherited = parent_weights(store, model, split.fingerprint)
    return JobPlan(job.id, model.spec, split, config, path, resume, init, inherited, meta)


def parent_weights(
    store: Store, model: ModelRecord, fingerprint: str
) -> tuple[dict[str, torch.Tensor] | None, tuple[int, ...]]:
    """The parent's tensors for the layers the child can inherit, under the child's keys,
    and those layers' indices; (None, ()) when the parent has no weights on this split."""
    from remap.train.weights import WeightsError, load_weights

    if model.parent_id is None:
        return None, ()
    run = store.latest_run(model.parent_id, fingerprint)
    file = store.weights_file(run) if run is not None else None
    if file is None:
        return None, ()
    parent = store.get_model(model.parent_id)
    try:
        tensors = load_weights(file)
    except WeightsError as exc:
        log.warning("model %d: parent weights unusable (%s); fresh start", model.id, exc)
        return None, ()
    return inherited_tensors(parent.spec, model.spec, tensors)


def inherited_tensors(
    parent: ArchSpec, child: ArchSpec, tensors: Mapping[str, torch.Tensor]
) -> tuple[dict[str, torch.Tensor] | None, tuple[int, ...]]:
    """The parent's tensors (exported keys) renamed to the child's keys for every layer the
    child inherits (``inheritable_layers``), and those child layer indices."""
    from remap.train.keys import layer_attributes, layer_of_key

    pairs = inheritable_layers(parent, child)
    by_parent = {p: c for c, p in pairs.items()}
    ours, theirs = layer_attributes(child), layer_attributes(parent)
    init: dict[str, torch.Tensor] = {}
    for key, tensor in tensors.items():
        p = layer_of_key(key, theirs)
        c = by_parent.get(p) if p is not None else None
        if c is not None:
            init[f"{ours[c]}.{key.partition('.')[2]}"] = tensor
    layers = tuple(sorted(c for c in pairs if any(k.startswith(f"{ours[c]}.") for k in init)))
    return (init or None), layers


def train_planned(
    plan: JobPlan,
    *,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    keep_checkpoint: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train the plan; after each epoch the checkpoint is written (when the plan has a path
    and ``keep_checkpoint()`` — e.g. "the lease is still ours" — allows it)."""
    from remap.train.trainer import train_model
    from remap.train.weights import save_checkpoint

    on_checkpoint: Callable[[dict[str, Any]], None] | None = None
    path = plan.checkpoint_path
    if path is not None:

        def on_checkpoint(state: dict[str, Any]) -> None:
            if keep_checkpoint is None or keep_checkpoint():
                save_checkpoint(path, {**state, "meta": plan.meta})

    return train_model(
        plan.spec,
        plan.split,
        plan.config,
        on_epoch=on_epoch,
        should_stop=should_stop,
        init_weights=plan.init_weights,
        on_checkpoint=on_checkpoint,
        resume=plan.resume,
    )


def save_run_weights(
    store: Store, run_id: int, model: ModelRecord, weights: Mapping[str, Any]
) -> tuple[str, int]:
    """Write a run's weights atomically; returns (file name, size) for ``finish_job``."""
    from remap.train.weights import save_weights

    name = run_weights_name(run_id)
    meta = {"format": "pt", "remap_model": str(model.id), "remap_spec": model.content_hash}
    size = save_weights(store.weights_dir / name, weights, meta)
    return name, size


def reevaluate(plan: JobPlan, file: Path) -> float:
    """The held-out accuracy of the model rebuilt from the weights file just written: the
    check that the file is the model the run reports (shown as "re-evaluated" in the UI)."""
    from remap.train.weights import load_weights, predict

    preds = predict(plan.spec, load_weights(file), plan.split.test_x)
    return float((preds == plan.split.test_y).mean())


def discard_file(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def discard_checkpoint(store: Store, job_id: int) -> None:
    discard_file(checkpoint_path(store, job_id))
