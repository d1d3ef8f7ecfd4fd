"""Server commands behind the code lenses and code actions on Python files
(``remap.server.showOnMap`` / ``ablate`` / ``vary`` / ``train`` / ``exportVariant``, each
with ``[uri, className]``) and the trained relatives offered by "replace X with model N".
They add the class as a model (origin "imported", source "file:line") and run the
experiment, all through :mod:`remap.service`. All run in the service thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import after_head, on_field, require_model
from remap.lsp.params import ParamError, check_int, file_path

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime
    from remap.service import Workspace
    from remap.service.editing import AddedClass, Replacement
    from remap.service.types import ArchSpec, ImportedModel


@dataclass(frozen=True)
class Target:
    """The class a command is about: file, class and (exportVariant) a model id."""

    uri: str
    path: Path
    class_name: str
    model_id: int | None = None


def parse_args(args: Sequence[Any], allow_model: bool = False) -> Target:
    if len(args) < 2 or len(args) > (3 if allow_model else 2):
        shape = "[uri, className, modelId?]" if allow_model else "[uri, className]"
        raise ParamError("arguments", f"expected {shape}, got {len(args)} argument(s)")
    uri, class_name = args[0], args[1]
    if not isinstance(uri, str):
        raise ParamError("arguments[0]", f"expected a file URI, got {uri!r}")
    if not isinstance(class_name, str) or not class_name.isidentifier():
        raise ParamError("arguments[1]", f"expected a class name, got {class_name!r}")
    model_id = None
    if len(args) == 3 and args[2] is not None:
        model_id = check_int(args[2], "arguments[2]", 1)
    return Target(uri, Path(file_path(uri, "arguments[0]")), class_name, model_id)


def _class(rt: Runtime, target: Target, text: str | None) -> tuple[Workspace, ImportedModel]:
    from remap.service import ServiceError
    from remap.service.editing import find_class, read_text

    ws = rt.workspace()
    try:
        source = read_text(target.path, text)
        return ws, find_class(ws, target.path, source, target.class_name)
    except ServiceError as exc:
        raise on_field(exc, "arguments[0]", {"class_name": "arguments[1]"}) from None


def _add(ws: Workspace, model: ImportedModel, target: Target, train: bool) -> AddedClass:
    from remap.service import ServiceError
    from remap.service.editing import add_class

    try:
        return add_class(ws, model, target.path, train)
    except ServiceError as exc:
        raise on_field(exc, "className") from None


def show_on_map(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    ws, model = _class(rt, target, text)
    added = _add(ws, model, target, train=False)
    return {"model_id": added.model_id, "created": added.created}


def ablate(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    from remap.service.experiments import run_ablation

    ws, model = _class(rt, target, text)
    added = _add(ws, model, target, train=True)
    result = run_ablation(ws, added.model_id, train=True)
    return {"model_id": added.model_id, **result.to_dict(), "jobs": added.jobs + result.jobs}


def vary(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    from remap.service.experiments import run_variation

    ws, model = _class(rt, target, text)
    added = _add(ws, model, target, train=True)
    result = run_variation(ws, added.model_id, 5, 3, train=True)
    return {"model_id": added.model_id, **result.to_dict(), "jobs": added.jobs + result.jobs}


def train(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    ws, model = _class(rt, target, text)
    added = _add(ws, model, target, train=True)
    return {"model_id": added.model_id, "jobs": added.jobs}


def export_variant(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    """Write ``<stem>_remap_<id>.py`` next to the file (the class keeps its name); an
    existing file of that name (the same model exported before) is returned as it is."""
    from remap.service import ServiceError
    from remap.service.exporting import export_model, export_summary

    ws, model = _class(rt, target, text)
    if target.model_id is None:
        model_id = _add(ws, model, target, train=False).model_id
    else:
        model_id = target.model_id
        require_model(ws, model_id, "arguments[2]")
    filename = f"{target.path.stem}_remap_{model_id}.py"
    folder = ws.confined(target.path.parent, "arguments[0]")  # writes only in the workspace
    existing = folder / filename
    if existing.is_file():
        return {**export_summary(existing), "model_id": model_id}
    try:
        path = export_model(ws, model_id, folder, filename, class_name=target.class_name)
    except ServiceError as exc:
        raise after_head(exc, "arguments[0]") from None
    return {**export_summary(path), "model_id": model_id}


# -- relatives for "replace X with model N" ------------------------------------------------------
def replacements(
    rt: Runtime, spec: ArchSpec, name: str, is_class: bool = True
) -> list[Replacement]:
    """Up to five trained models to offer instead of ``spec`` (see
    :func:`remap.service.editing.replacements`), from an index of the workspace kept until
    the store changes; nothing while the workspace or its data set cannot be read."""
    from remap.service.editing import RelativesIndex, relatives_index
    from remap.service.editing import replacements as offers

    cached = rt.cache.get("relatives")
    if isinstance(cached, RelativesIndex) and not rt.index_dirty:
        index = cached
    else:
        try:
            ws = rt.workspace()
            rt.index_dirty = False
            index = relatives_index(ws)
        except Exception:  # no data set yet, or a broken one: nothing to offer
            return []
        rt.cache["relatives"] = index
    return offers(index, spec, name, is_class)
