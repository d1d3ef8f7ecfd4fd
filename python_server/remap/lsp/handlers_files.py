"""Requests and commands about files: ``remap/export``, ``remap/importFile``, the server
commands behind code lenses and code actions (``remap.server.showOnMap`` / ``ablate`` /
``vary`` / ``train`` / ``exportVariant``) and the trained relatives offered by "replace X with
model N". All run in the service thread; document text comes from the editor when the file
is open (unsaved changes included), else from disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.lsp.params import ParamError, Params, file_path

if TYPE_CHECKING:
    from remap.codegen import ImportedModel
    from remap.lsp.runtime import Runtime
    from remap.service import Workspace


def read_text(path: Path, text: str | None, field: str) -> str:
    if text is not None:
        return text
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ParamError(field, f"cannot read {path}: {reason}") from None


def import_text(ws: Workspace, path: Path, text: str, field: str) -> list[ImportedModel]:
    from remap.codegen import CodegenError, import_source

    try:
        return import_source(
            text, filename=str(path), input_shape=ws.input_shape(), num_classes=ws.num_classes()
        )
    except CodegenError as exc:
        raise ParamError(field, str(exc)) from None


def add_class(
    ws: Workspace, model: ImportedModel, path: Path, train: bool
) -> tuple[int, bool, list[int]]:
    """Add an imported class as a model (or find it); returns (model id, created, jobs
    queued). With ``train``, an existing model is queued unless trained or queued already."""
    from remap.service import ServiceError
    from remap.service.experiments import add_spec

    assert model.spec is not None
    try:
        result = add_spec(
            ws, model.spec, origin="imported", name=model.class_name,
            source=f"{path}:{model.line}", train=train,
        )  # fmt: skip
    except ServiceError as exc:
        raise ParamError("className", f"{model.class_name}: {exc}") from None
    created = bool(result.created)
    model_id = (result.created + result.existing)[0]
    jobs = list(result.jobs)
    if train and not jobs and _needs_training(ws, model_id):
        from remap.service.queue import enqueue_models

        jobs = enqueue_models(ws, [model_id])
    return model_id, created, jobs


def _needs_training(ws: Workspace, model_id: int) -> bool:
    if ws.store.latest_run(model_id, ws.split().fingerprint) is not None:
        return False
    return not any(j.model_id == model_id for j in ws.store.list_jobs(["queued", "running"]))


# -- requests -----------------------------------------------------------------------------------
def import_file(rt: Runtime, p: Params, text: str | None = None) -> dict[str, Any]:
    from remap.codegen import shape_mismatches
    from remap.service.experiments import GenerateResult

    uri = p.text("uri")
    assert uri is not None
    class_name = p.text("className", required=False)
    train = p.flag("train", True)
    path = Path(file_path(uri))
    ws = rt.workspace()
    models = import_text(ws, path, read_text(path, text, "uri"), "uri")
    if class_name is not None:
        models = [m for m in models if m.class_name == class_name]
        if not models:
            raise ParamError("className", f"no nn.Module class {class_name!r} in {path.name}")
    if not models:
        raise ParamError("uri", f"{path.name} defines no nn.Module class")
    result = GenerateResult()
    for model in models:
        if model.spec is None:
            result.skipped.append(f"{model.class_name} ({path.name}): {model.error}")
            continue
        errors = shape_mismatches(model)  # what the diagnostics mark as errors: not imported
        if errors:
            where = f"{model.class_name} ({path.name}): line {errors[0].line}"
            result.skipped.append(f"{where}: {errors[0].message}")
            continue
        try:
            model_id, created, jobs = add_class(ws, model, path, train)
        except ParamError as exc:
            result.skipped.append(f"{model.class_name} ({path.name}): {exc.message}")
            continue
        result.jobs += jobs
        (result.created if created else result.existing).append(model_id)
    return result.to_dict()


def export(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.lsp.handlers_models import require_model
    from remap.service import ServiceError
    from remap.service.exporting import export_model, export_summary

    model_id = p.req_int("modelId")
    target = p.text("path", required=False)
    class_name = p.text("className", required=False)
    overwrite = p.flag("overwrite", False)
    ws = rt.workspace()
    require_model(ws, model_id)
    folder: str | None = target
    filename: str | None = None
    if target is not None and target.endswith(".py"):
        folder, filename = str(Path(target).parent), Path(target).name
    try:
        path = export_model(
            ws, model_id, folder or None, filename, class_name=class_name, overwrite=overwrite
        )
    except ServiceError as exc:
        raise ParamError("path", str(exc).split(": ", 1)[-1]) from None
    return export_summary(path)
