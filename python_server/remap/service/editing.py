"""Python files in an editor as workspace models: the classes of a file's text (static import
against the workspace's data set, never executed), one class added as a model (and queued),
and the trained relatives offered in place of a class with the source that replaces it.

The language server's ``remap/importFile``, its ``remap.server.*`` commands and its "replace X
with model N" code actions call these; errors are :class:`ServiceError` (the adapter names
its own field).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from remap.arch import ArchSpec
from remap.codegen import (
    CodegenError,
    ImportedModel,
    export_source,
    import_source,
    shape_mismatches,
)
from remap.codegen.source import read_source
from remap.service.errors import ServiceError
from remap.service.naming import model_label

if TYPE_CHECKING:  # the workspace loads the store (numpy): imported when first used
    from remap.service.experiments import GenerateResult
    from remap.service.workspace import Workspace

MAX_REPLACEMENTS = 5
_GENERATED_DOC = '    """A sequential CNN; see the module docstring for its provenance."""'


def read_text(path: Path, text: str | None) -> str:
    """``text`` (the editor's, unsaved changes included) when given, else the file's."""
    if text is not None:
        return text
    try:  # bounded: size, NUL bytes and encoding are checked, each error names the file
        return read_source(path)
    except CodegenError as exc:
        raise ServiceError(str(exc)) from None


def classes_in(ws: Workspace, path: Path, text: str) -> list[ImportedModel]:
    """Every ``nn.Module`` class (or module-level ``nn.Sequential``) of ``text``, mapped
    against the workspace data set's input shape and classes."""
    try:
        return import_source(
            text, filename=str(path), input_shape=ws.input_shape(), num_classes=ws.num_classes()
        )
    except CodegenError as exc:
        raise ServiceError(str(exc)) from None


def find_class(ws: Workspace, path: Path, text: str, class_name: str) -> ImportedModel:
    """The mappable class ``class_name`` of ``text``; ServiceError when it is missing or
    cannot be mapped (field ``class_name``; the file's own errors have no field)."""
    for model in classes_in(ws, path, text):
        if model.class_name != class_name:
            continue
        if model.spec is None:
            raise ServiceError(f"{class_name} cannot be mapped: {model.error}", "class_name")
        return model
    raise ServiceError(f"no nn.Module class {class_name!r} in {path.name}", "class_name")


@dataclass(frozen=True)
class AddedClass:
    model_id: int
    created: bool
    jobs: list[int]


def add_class(ws: Workspace, model: ImportedModel, path: Path, train: bool) -> AddedClass:
    """Add an imported class as a model (origin "imported", name the class, source
    ``file:line``) or find it. With ``train``, an existing model is queued unless trained or
    queued already."""
    from remap.service.experiments import add_spec

    assert model.spec is not None
    try:
        result = add_spec(
            ws, model.spec, origin="imported", name=model.class_name,
            source=f"{path}:{model.line}", train=train,
        )  # fmt: skip
    except ServiceError as exc:
        raise ServiceError(f"{model.class_name}: {exc}") from None
    model_id = (result.created + result.existing)[0]
    jobs = list(result.jobs)
    if train and not jobs and _needs_training(ws, model_id):
        from remap.service.queue import enqueue_models

        jobs = enqueue_models(ws, [model_id])
    return AddedClass(model_id, bool(result.created), jobs)


def _needs_training(ws: Workspace, model_id: int) -> bool:
    if ws.store.latest_run(model_id, ws.split().fingerprint) is not None:
        return False
    return not any(j.model_id == model_id for j in ws.store.list_jobs(["queued", "running"]))


def import_problem(model: ImportedModel, shown: str) -> str | None:
    """Why ``model`` (a class of the file named ``shown``) is not imported, as one line
    naming the file and line (``net.py:12: cannot import Net: …``), or None. A class the
    diagnostics mark with a shape error is not imported either: the CLI (``remap import``)
    and the editor (``remap/importFile``, code lenses) refuse the same classes."""
    if model.spec is None:
        return model.problem(shown)
    errors = shape_mismatches(model)
    if errors:
        first = errors[0]
        return f"{shown}:{first.line}: cannot import {model.class_name}: {first.message}"
    return None


def import_classes(
    ws: Workspace, path: Path, text: str, class_name: str | None, train: bool
) -> GenerateResult:
    """Add the classes of ``text`` (only ``class_name`` when given); classes that cannot be
    mapped or added are listed in ``skipped``. ServiceError with field ``class_name`` when
    that class is missing, without a field when the file defines no class."""
    from remap.service.experiments import GenerateResult

    models = classes_in(ws, path, text)
    if class_name is not None:
        models = [m for m in models if m.class_name == class_name]
        if not models:
            raise ServiceError(f"no nn.Module class {class_name!r} in {path.name}", "class_name")
    if not models:
        raise ServiceError(f"{path.name} defines no nn.Module class")
    result = GenerateResult()
    shown = path.name
    for model in models:
        problem = import_problem(model, shown)
        if problem is not None:
            result.skipped.append(problem)
            continue
        try:
            added = add_class(ws, model, path, train)
        except ServiceError as exc:
            result.skipped.append(f"{shown}:{model.line}: cannot import {model.class_name}: {exc}")
            continue
        result.jobs += added.jobs
        (result.created if added.created else result.existing).append(added.model_id)
    return result


def require_model(ws: Workspace, model_id: int) -> None:
    """ServiceError (field ``model``) unless ``model_id`` is a model of the workspace."""
    from remap.store import UnknownModelError

    try:
        ws.store.get_model(model_id)
    except UnknownModelError:
        raise ServiceError(f"unknown model id {model_id}", "model") from None


# -- trained relatives for "replace X with model N" ---------------------------------------------
@dataclass
class RelativesIndex:
    """What the offers are chosen from: models by hash, children, held-out accuracy of the
    trained ones on the workspace data set, specs. Build once, reuse until the store changes."""

    by_hash: dict[str, int] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    accuracy: dict[int, float] = field(default_factory=dict)
    specs: dict[int, ArchSpec] = field(default_factory=dict)
    dataset: str = ""


def relatives_index(ws: Workspace) -> RelativesIndex:
    index = RelativesIndex()
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
    return index


@dataclass(frozen=True)
class Replacement:
    """Another model offered in place of a class: its id, a label and its class source."""

    model_id: int
    label: str
    source: str


def replacements(
    index: RelativesIndex, spec: ArchSpec, name: str, is_class: bool = True
) -> list[Replacement]:
    """Up to five trained models to offer instead of ``spec``: its children by accuracy,
    then the workspace's most accurate models (same input shape and classes). The source
    keeps the class name ``name``; for a module-level ``name = nn.Sequential(...)`` it is a
    class ``RemapModelN`` followed by ``name = RemapModelN()``."""
    from remap.arch.shapes import param_count

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
            f"REMAP model {model_label(mid)}: {params:,} parameters, {acc:.1%} held-out "
            f"accuracy on {index.dataset}."
        )
        class_name = name if is_class else f"RemapModel{mid}"
        source = class_block(export_source(other, class_name=class_name), class_name, doc)
        if not is_class:
            source += f"\n\n{name} = {class_name}()\n"
        out.append(Replacement(mid, f"{acc:.1%} accuracy, {params:,} parameters", source))
    return out


def class_block(module_source: str, class_name: str, docline: str | None = None) -> str:
    """The ``class`` statement of an exported file, with its docstring replaced by
    ``docline`` (a one-line description) when given."""
    tree = ast.parse(module_source)
    lines = module_source.splitlines()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            block = lines[node.lineno - 1 : node.end_lineno]
            if docline is not None:
                quoted = docline.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
                block = [f'    """{quoted}"""' if ln == _GENERATED_DOC else ln for ln in block]
            return "\n".join(block) + "\n"
    raise CodegenError(f"no class {class_name} in the exported source")
