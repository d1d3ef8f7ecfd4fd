"""Requests that add or train models: ``remap/generate`` (sample, ablate, vary, handcraft,
spec), ``remap/validate`` (pure: runs inline, no store) and ``remap/train``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import on_path, require_model
from remap.lsp.params import ParamError, Params, check_int, spec_from_wire
from remap.lsp.protocol import to_snake

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime
    from remap.service import Workspace
    from remap.service.experiments import GenerateResult

KINDS = ("sample", "ablate", "vary", "handcraft", "spec")
CHANGE_KINDS = ("insert", "remove", "replace", "reparameterise")


def generate(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import ServiceError
    from remap.service import experiments as ex

    kind = p.choice("kind", KINDS)
    train = p.flag("train", True)
    ws = rt.workspace()
    result: GenerateResult
    try:
        if kind == "sample":
            count = p.req_int("count", 1, 10_000)
            seed = p.integer("seed", required=False, minimum=0)
            result = ex.sample(ws, count, seed, train=train)
        elif kind == "spec":
            spec = spec_from_wire(p.raw.get("spec"))
            name = p.text("name", required=False)
            try:
                result = ex.add_spec(ws, spec, origin="handcrafted", name=name, train=train)
            except ServiceError as exc:
                raise on_path(exc, "spec") from None
        else:
            model_id = p.req_int("modelId")
            require_model(ws, model_id)
            inherit = p.flag("inheritWeights", ws.settings.inherit_weights)
            with inheriting(ws, inherit):
                result = _derive(ws, p, kind or "", model_id, train)
    except ServiceError as exc:
        raise on_path(exc, _FIELDS.get(getattr(exc, "field", None) or "", "kind")) from None
    return result.to_dict()


_FIELDS = {
    "count": "count",
    "layers": "layers",
    "variation": "enabled",
    "edits": "edits",
    "model": "modelId",
    "dataset": "dataset",
}


def inheriting(ws: Workspace, flag: bool) -> Any:
    from remap.service.weights import inheriting as context

    return context(ws, flag)


def _derive(ws: Workspace, p: Params, kind: str, model_id: int, train: bool) -> GenerateResult:
    from remap.service import experiments as ex

    if kind == "ablate":
        layers = p.ints("layers", required=False)
        return ex.run_ablation(ws, model_id, layers, train=train)
    if kind == "vary":
        count = p.integer("count", required=False, default=5, minimum=1, maximum=20)
        changes = p.integer("maxChanges", required=False, default=3, minimum=1, maximum=5)
        seed = p.integer("seed", required=False, minimum=0)
        enabled = _enabled(p.items("enabled", required=False))
        assert count is not None and changes is not None
        return ex.run_variation(ws, model_id, count, changes, enabled, seed, train=train)
    edits = p.items("edits")
    assert edits is not None
    return ex.run_handcrafted(
        ws, model_id, [edit_from_wire(e, i) for i, e in enumerate(edits)], train
    )


def _enabled(value: list[Any] | None) -> list[tuple[int, str]] | None:
    if value is None:
        return None
    pairs = []
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != 2:
            raise ParamError(f"enabled[{i}]", f"expected [layerIndex, changeType], got {item!r}")
        index = check_int(item[0], f"enabled[{i}][0]", 0)
        if item[1] not in CHANGE_KINDS:
            raise ParamError(
                f"enabled[{i}][1]", f"expected one of {', '.join(CHANGE_KINDS)}, got {item[1]!r}"
            )
        pairs.append((index, str(item[1])))
    return pairs


def edit_from_wire(edit: Any, i: int, name: str = "edits") -> dict[str, Any]:
    """An edit (or a suggestion's change) in engine spelling: layer keys and ``field``."""
    if not isinstance(edit, Mapping):
        raise ParamError(f"{name}[{i}]", f"expected an edit object, got {edit!r}")
    out = dict(edit)
    if isinstance(out.get("layer"), Mapping):
        out["layer"] = to_snake(out["layer"])
    if isinstance(out.get("field"), str):
        from remap.lsp.protocol import snake

        out["field"] = snake(out["field"])
    return out


def validate(rt: Runtime, p: Params) -> dict[str, Any]:
    """Pure: shapes, counts and the first error of a spec (runs on the event loop)."""
    from remap.service.specs import validation

    return validation(spec_from_wire(p.raw.get("spec")))


def train(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.queue import enqueue_models

    ids = p.ints("modelIds", nonempty=True)
    epochs = p.integer("epochs", required=False, minimum=1, maximum=1000)
    assert ids is not None
    ws = rt.workspace()
    for i, model_id in enumerate(ids):
        require_model(ws, model_id, f"modelIds[{i}]")
    return {"jobs": enqueue_models(ws, ids, epochs)}
