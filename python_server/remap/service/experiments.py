"""Experiments that add models to a workspace: sampling a model space, ablation, variation,
hand-crafted edits and imports. Each child records its parent, the kind of experiment and
its change list, and is queued for training (children for their parent's epoch count).

The ``max_params`` setting is a *sampling* budget: it bounds what ``sample`` draws (and what
a variation draws, or the parent's size when that is larger). Ablating, hand-crafting, the
layer builder and imports change or bring in a model the user chose, so only
:data:`MODEL_PARAM_LIMIT`, the most REMAP will train, applies to them, and a child over it
is reported in ``skipped`` with that reason."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remap.arch import ArchError, ArchSpec, SpecFormatError
from remap.arch.ablation import AblationChild, ablate
from remap.arch.handcraft import apply_edits
from remap.arch.sampling import TransitionModel, sample_architectures
from remap.arch.shapes import validate
from remap.arch.variation import VariationChild, split_enabled, vary
from remap.service.errors import ServiceError
from remap.service.specs import MODEL_PARAM_LIMIT, over_limit
from remap.service.workspace import Workspace


@dataclass
class GenerateResult:
    """New model ids, ids that already existed (same architecture), queued jobs, and the
    children that could not be made with the reason."""

    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "existing": self.existing,
            "jobs": self.jobs,
            "skipped": self.skipped,
        }


def _check_fits(ws: Workspace, spec: ArchSpec, what: str) -> None:
    shape, classes = ws.input_shape(), ws.num_classes()
    if spec.input_shape != shape or spec.num_classes != classes:
        raise ServiceError(
            f"{what} expects input {'×'.join(map(str, spec.input_shape))} with "
            f"{spec.num_classes} classes, but the data set {ws.settings.dataset!r} has "
            f"{'×'.join(map(str, shape))} with {classes} classes",
            "model",
        )


def child_epochs(ws: Workspace, parent_id: int) -> tuple[int, bool]:
    """Epochs for a child: the parent's trained epoch count (fixed, no early stopping), or
    the workspace default when the parent has not been trained."""
    run = ws.store.latest_run(parent_id, ws.split().fingerprint)
    if run is not None and run.epochs:
        return len(run.epochs), False
    return ws.settings.epochs, True


def _add_and_queue(
    ws: Workspace,
    result: GenerateResult,
    spec: ArchSpec,
    *,
    origin: str,
    parent_id: int | None = None,
    changes: Sequence[str] = (),
    name: str | None = None,
    source: str | None = None,
    train: bool = True,
    epochs: tuple[int, bool] | None = None,
) -> int:
    model_id, created = ws.store.add_model(
        spec, origin=origin, parent_id=parent_id, changes=changes, name=name, source=source
    )
    (result.created if created else result.existing).append(model_id)
    if train and created:
        count, early = epochs or (ws.settings.epochs, True)
        config = ws.train_config(count, early)
        inherit = parent_id is not None and ws.settings.inherit_weights
        ref = ws.settings.dataset_ref()
        result.jobs.append(ws.store.enqueue(model_id, config, ref, inherit=inherit))
    return model_id


def _add_children(
    ws: Workspace,
    parent_id: int,
    children: Sequence[AblationChild | VariationChild],
    origin: str,
    train: bool,
) -> GenerateResult:
    """Store the drawn children with their lineage; impossible ones go to ``skipped``."""
    epochs = child_epochs(ws, parent_id) if train else None
    result = GenerateResult()
    for child in children:
        if child.spec is None:
            result.skipped.append(child.error or "no child could be made")
            continue
        too_big = over_limit(child.spec)
        if too_big is not None:
            first = child.changes[0] if child.changes else "the child"
            result.skipped.append(f"{first}: the child {too_big}")
            continue
        _add_and_queue(
            ws, result, child.spec, origin=origin, parent_id=parent_id,
            changes=child.changes, train=train, epochs=epochs,
        )  # fmt: skip
    return result


def sample(
    ws: Workspace,
    n: int,
    seed: int | None = None,
    transitions: Mapping[str, Any] | None = None,
    train: bool = True,
) -> GenerateResult:
    """Sample ``n`` new distinct architectures for the workspace's data set."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000:
        raise ServiceError(f"expected 1–10000 models, got {n!r}", "count")
    try:
        model = TransitionModel.from_dict(transitions) if transitions else TransitionModel()
    except SpecFormatError as exc:
        raise ServiceError(str(exc), "transitions") from None
    existing = frozenset(m.content_hash for m in ws.store.list_models())
    try:
        specs = sample_architectures(
            n,
            ws.input_shape(),
            ws.num_classes(),
            seed=ws.settings.seed if seed is None else seed,
            max_params=ws.settings.max_params,
            model=model,
            exclude=existing,
        )
    except ArchError as exc:
        raise ServiceError(str(exc), "count") from None
    result = GenerateResult()
    for spec in specs:
        _add_and_queue(ws, result, spec, origin="sampled", train=train)
    return result


def run_ablation(
    ws: Workspace, model_id: int, layers: Sequence[int] | None = None, train: bool = True
) -> GenerateResult:
    parent = ws.store.get_model(model_id)
    try:
        children = ablate(parent.spec, layers)
    except ArchError as exc:
        raise ServiceError(str(exc), "layers") from None
    return _add_children(ws, model_id, children, "ablation", train)


def run_variation(
    ws: Workspace,
    model_id: int,
    n: int = 5,
    max_changes: int = 3,
    enabled: Collection[tuple[int, str]] | None = None,
    seed: int | None = None,
    train: bool = True,
) -> GenerateResult:
    """Variations of a model. Enabled (layer, change) pairs that cannot apply are left out
    and named in ``skipped``; the request fails only when none can apply. Children keep to
    the sampling budget, or to the parent's size when the parent is larger."""
    parent = ws.store.get_model(model_id)
    hashes = [m.content_hash for m in ws.store.list_models()]
    left_out: list[str] = []
    try:
        if enabled is not None:
            enabled, left_out = split_enabled(parent.spec, enabled)
            if not enabled:
                raise ArchError(
                    None, "variation",
                    "none of the enabled (layer, change) pairs can apply: " + "; ".join(left_out),
                )  # fmt: skip
        budget = max(ws.settings.max_params, parent.params or 0)
        children = vary(
            parent.spec, n, max_changes, enabled=enabled,
            seed=ws.settings.seed + model_id if seed is None else seed,
            existing=hashes, max_params=min(budget, MODEL_PARAM_LIMIT),
        )  # fmt: skip
    except ArchError as exc:
        raise ServiceError(str(exc), "variation") from None
    result = _add_children(ws, model_id, children, "variation", train)
    result.skipped[:0] = [f"{note}; left out" for note in left_out]
    return result


def run_handcrafted(
    ws: Workspace, model_id: int, edits: Sequence[Mapping[str, Any]], train: bool = True
) -> GenerateResult:
    parent = ws.store.get_model(model_id)
    try:
        crafted = apply_edits(parent.spec, edits)
    except (ArchError, SpecFormatError) as exc:
        raise ServiceError(str(exc), "edits") from None
    too_big = over_limit(crafted.spec)
    if too_big is not None:
        raise ServiceError(f"the edited model {too_big}", "edits")
    if crafted.spec == parent.spec:
        raise ServiceError("the edits leave the model unchanged", "edits")
    result = GenerateResult()
    _add_and_queue(
        ws, result, crafted.spec, origin="handcrafted", parent_id=model_id,
        changes=crafted.changes, train=train,
        epochs=child_epochs(ws, model_id) if train else None,
    )  # fmt: skip
    return result


def add_spec(
    ws: Workspace,
    spec: ArchSpec,
    *,
    origin: str = "imported",
    name: str | None = None,
    source: str | None = None,
    train: bool = True,
) -> GenerateResult:
    """Add one architecture (an import, a layer-builder model) after validating it; the
    sampling budget does not apply (see the module docstring)."""
    _check_fits(ws, spec, name or "the model")
    try:
        validate(spec, max_params=None)
    except ArchError as exc:
        raise ServiceError(str(exc), "spec") from None
    too_big = over_limit(spec)
    if too_big is not None:
        raise ServiceError(f"{name or 'the model'} {too_big}", "spec")
    result = GenerateResult()
    _add_and_queue(ws, result, spec, origin=origin, name=name, source=source, train=train)
    return result
