"""Export of stored models as PyTorch files into the workspace (with the trained weights
beside them when the model is trained), and import of model files (PyTorch sources by
static parsing, original REMAP model sets, whose recorded metrics are kept) into the
workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from remap.arch import SpecFormatError
from remap.arch.original import load_model_set
from remap.codegen import CodegenError, Provenance, import_source, write_export
from remap.codegen.export import Inference
from remap.codegen.source import parse_source, read_source
from remap.service.editing import import_problem
from remap.service.errors import ServiceError
from remap.service.experiments import GenerateResult, _add_and_queue, add_spec
from remap.service.naming import given_name, model_label
from remap.service.weights import recorded_metrics
from remap.service.workspace import Workspace


def provenance_for(ws: Workspace, model_id: int) -> Provenance:
    model = ws.store.get_model(model_id)
    split = ws.split()
    run = ws.store.latest_run(model_id, split.fingerprint)
    parent = ws.store.get_model(model.parent_id) if model.parent_id is not None else None
    return Provenance(
        model_id=model.id,
        name=given_name(model.id, model.name) or None,
        dataset=split.name,
        input_shape=model.spec.input_shape,
        accuracy=run.val_acc if run else None,
        params=model.params,
        parent=model_label(parent.id, parent.name) if parent else None,
        origin=model.origin,
        changes=model.changes,
        created=None,
    )


def export_model(
    ws: Workspace,
    model_id: int,
    folder: str | Path | None = None,
    filename: str | None = None,
    *,
    class_name: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the model as a PyTorch file under ``folder`` (default: ``remap_models/`` in
    the workspace); never outside it, never over an existing file unless asked."""
    model = ws.store.get_model(model_id)
    target = ws.resolve(folder or "remap_models")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServiceError(f"cannot create {target}: {exc.strerror or exc}", "path") from None
    name = class_name or f"RemapModel{model.id}"
    run = ws.store.latest_run(model_id, ws.split().fingerprint)
    weights = ws.store.weights_file(run) if run is not None else None
    inference = Inference(ws.split().classes)
    try:
        return write_export(
            model.spec, target, filename, class_name=name,
            provenance=provenance_for(ws, model_id), overwrite=overwrite,
            inference=inference, weights_file=weights,
        )  # fmt: skip
    except CodegenError as exc:
        raise ServiceError(str(exc), "path") from None


def import_python_file(
    ws: Workspace, path: str | Path, class_name: str | None = None, train: bool = True
) -> GenerateResult:
    """Map the ``nn.Module`` classes of a Python file (never executed) into the workspace.
    Problems are one line each in ``skipped``, naming the file and line (``net.py:12: …``);
    a file that cannot be read or parsed raises ServiceError in that form."""
    file = ws.resolve(path)
    shown = str(path)
    try:
        text = read_source(file, shown)
        tree = parse_source(text, shown)  # a broken file is reported before data is loaded
        models = import_source(
            text, filename=shown, input_shape=ws.input_shape(), num_classes=ws.num_classes(),
            only=class_name, tree=tree,
        )  # fmt: skip
    except CodegenError as exc:
        raise ServiceError(str(exc)) from None
    if class_name is not None and not models:
        raise ServiceError(f"{shown}: no nn.Module class {class_name!r}", "class_name")
    if not models:
        raise ServiceError(f"{shown}: defines no nn.Module class (nothing to import)")
    result = GenerateResult()
    for imported in models:
        problem = import_problem(imported, shown)
        if problem is not None:
            result.skipped.append(problem)
            continue
        assert imported.spec is not None  # import_problem names every class without one
        try:
            added = add_spec(
                ws, imported.spec, name=imported.class_name,
                source=f"{file}:{imported.line}", train=train,
            )  # fmt: skip
        except ServiceError as exc:
            where = f"{shown}:{imported.line}: cannot import {imported.class_name}"
            result.skipped.append(f"{where}: {exc}")
            continue
        result.created += added.created
        result.existing += added.existing
        result.jobs += added.jobs
    return result


def import_model_set(ws: Workspace, path: str | Path, train: bool = True) -> GenerateResult:
    """Add every model of a model-set JSON file (original REMAP format)."""
    file = ws.resolve(path)
    return _import_model_set_file(ws, file, str(file), "path", train)


def import_example(ws: Workspace, name: str, train: bool = True) -> GenerateResult:
    """Add every model of a model set bundled with the package (``remap.examples``)."""
    from remap.examples import example_path

    try:
        file = example_path(name)
    except KeyError as exc:
        raise ServiceError(str(exc.args[0]), "example") from None
    return _import_model_set_file(ws, file, f"example:{name}", "example", train)


def _import_model_set_file(
    ws: Workspace, file: Path, source: str, field: str, train: bool
) -> GenerateResult:
    try:
        model_set = load_model_set(file)
    except SpecFormatError as exc:
        raise ServiceError(str(exc), field) from None
    result = GenerateResult()
    for entry in model_set.models:
        if entry.spec.input_shape != ws.input_shape() or entry.spec.num_classes != ws.num_classes():
            result.skipped.append(f"{entry.id}: does not fit the workspace's data set")
            continue
        model_id = _add_and_queue(
            ws, result, entry.spec, origin="reference", name=entry.id,
            source=source, train=train,
        )  # fmt: skip
        recorded = recorded_metrics(entry.extra)
        if recorded is not None:
            ws.store.set_recorded(model_id, recorded)
    return result


def export_summary(path: Path) -> dict[str, Any]:
    """``weights``: the trained weights written beside the file (null when untrained)."""
    weights = path.with_suffix(".safetensors")
    return {
        "path": str(path),
        "uri": path.as_uri(),
        "weights": str(weights) if weights.is_file() else None,
    }
