"""Server commands behind the code lenses and code actions on Python files
(``remap.server.showOnMap`` / ``ablate`` / ``vary`` / ``train`` / ``exportVariant``, each
with ``[uri, className]``) and the trained relatives offered by "replace X with model N".
They add the class as a model (origin "imported", source "file:line") and run the
experiment. All run in the service thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_files import add_class, import_text, read_text
from remap.lsp.params import ParamError, check_int, file_path

if TYPE_CHECKING:
    from remap.arch import ArchSpec
    from remap.codegen import ImportedModel
    from remap.lsp.editor import Replacement
    from remap.lsp.runtime import Runtime
    from remap.service import Workspace

MAX_REPLACEMENTS = 5


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
    ws = rt.workspace()
    source = read_text(target.path, text, "arguments[0]")
    for model in import_text(ws, target.path, source, "arguments[0]"):
        if model.class_name != target.class_name:
            continue
        if model.spec is None:
            raise ParamError("arguments[1]", f"{target.class_name} cannot be mapped: {model.error}")
        return ws, model
    raise ParamError(
        "arguments[1]", f"no nn.Module class {target.class_name!r} in {target.path.name}"
    )


def show_on_map(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    ws, model = _class(rt, target, text)
    model_id, created, _ = add_class(ws, model, target.path, train=False)
    return {"model_id": model_id, "created": created}


def ablate(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    from remap.service.experiments import run_ablation

    ws, model = _class(rt, target, text)
    model_id, _, jobs = add_class(ws, model, target.path, train=True)
    result = run_ablation(ws, model_id, train=True)
    return {"model_id": model_id, **result.to_dict(), "jobs": jobs + result.jobs}


def vary(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    from remap.service.experiments import run_variation

    ws, model = _class(rt, target, text)
    model_id, _, jobs = add_class(ws, model, target.path, train=True)
    result = run_variation(ws, model_id, 5, 3, train=True)
    return {"model_id": model_id, **result.to_dict(), "jobs": jobs + result.jobs}


def train(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    ws, model = _class(rt, target, text)
    model_id, _, jobs = add_class(ws, model, target.path, train=True)
    return {"model_id": model_id, "jobs": jobs}


def export_variant(rt: Runtime, target: Target, text: str | None) -> dict[str, Any]:
    """Write ``<stem>_remap_<id>.py`` next to the file (the class keeps its name); an
    existing file of that name (the same model exported before) is returned as it is."""
    from remap.lsp.handlers_models import require_model
    from remap.service import ServiceError
    from remap.service.exporting import export_model, export_summary

    ws, model = _class(rt, target, text)
    if target.model_id is None:
        model_id, _, _ = add_class(ws, model, target.path, train=False)
    else:
        model_id = target.model_id
        require_model(ws, model_id, "arguments[2]")
    filename = f"{target.path.stem}_remap_{model_id}.py"
    existing = target.path.parent / filename
    if existing.is_file():
        return {**export_summary(existing), "model_id": model_id}
    try:
        path = export_model(
            ws, model_id, target.path.parent, filename, class_name=target.class_name
        )
    except ServiceError as exc:
        raise ParamError("arguments[0]", str(exc).split(": ", 1)[-1]) from None
    return {**export_summary(path), "model_id": model_id}


# -- relatives for "replace X with model N" ------------------------------------------------------
@dataclass
class _Index:
    by_hash: dict[str, int] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    accuracy: dict[int, float] = field(default_factory=dict)
    specs: dict[int, ArchSpec] = field(default_factory=dict)
    dataset: str = ""


def _index(rt: Runtime) -> _Index:
    cached = rt.cache.get("relatives")
    if isinstance(cached, _Index) and not rt.index_dirty:
        return cached
    ws = rt.workspace()
    index = _Index()
    rt.index_dirty = False
    for m in ws.store.list_models():
        index.by_hash[m.content_hash] = m.id
        index.specs[m.id] = m.spec
        if m.parent_id is not None:
            index.children.setdefault(m.parent_id, []).append(m.id)
    split = ws.split()
    index.dataset = split.name
    for run in ws.store.finished_runs(split.fingerprint):
        if run.val_acc is not None:
            index.accuracy[run.model_id] = float(run.val_acc)
    rt.cache["relatives"] = index
    return index


def replacements(
    rt: Runtime, spec: ArchSpec, name: str, is_class: bool = True
) -> list[Replacement]:
    """Up to five trained models to offer instead of ``spec``: its children by accuracy,
    then the workspace's most accurate models (same input shape and classes). The source
    keeps the class name ``name``; for a module-level ``name = nn.Sequential(...)`` it is a
    class ``RemapModelN`` followed by ``name = RemapModelN()``."""
    from remap.arch.shapes import param_count
    from remap.codegen import export_source
    from remap.lsp.editor import Replacement, class_block

    try:
        index = _index(rt)
    except Exception:  # no data set yet, or a broken one: nothing to offer
        return []
    own = index.by_hash.get(spec.content_hash)

    def fits(mid: int) -> bool:
        other = index.specs[mid]
        return (
            mid != own
            and mid in index.accuracy
            and other.input_shape == spec.input_shape
            and other.num_classes == spec.num_classes
        )

    def by_accuracy(ids: Sequence[int]) -> list[int]:
        return sorted((i for i in ids if fits(i)), key=lambda i: (-index.accuracy[i], i))

    ordered: list[int] = []
    for mid in by_accuracy(index.children.get(own, []) if own is not None else []) + by_accuracy(
        list(index.accuracy)
    ):
        if mid not in ordered:
            ordered.append(mid)
    out = []
    for mid in ordered[:MAX_REPLACEMENTS]:
        acc, other = index.accuracy[mid], index.specs[mid]
        params = param_count(other)
        doc = (
            f"REMAP model {mid}: {params:,} parameters, {acc:.1%} held-out accuracy on "
            f"{index.dataset}."
        )
        class_name = name if is_class else f"RemapModel{mid}"
        source = class_block(export_source(other, class_name=class_name), class_name, doc)
        if not is_class:
            source += f"\n\n{name} = {class_name}()\n"
        out.append(Replacement(mid, f"{acc:.1%} accuracy, {params:,} parameters", source))
    return out
