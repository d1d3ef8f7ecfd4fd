"""Requests about files: ``remap/export`` and ``remap/importFile`` (the classes of a Python
file added as models, through :mod:`remap.service.editing`). Both run in the service thread;
document text comes from the editor when the file is open (unsaved changes included), else
from disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import after_head, on_field, require_model
from remap.lsp.params import Params, file_path

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime


def import_file(rt: Runtime, p: Params, text: str | None = None) -> dict[str, Any]:
    from remap.service import ServiceError
    from remap.service.editing import import_classes, read_text

    uri = p.text("uri")
    assert uri is not None
    class_name = p.text("className", required=False)
    train = p.flag("train", True)
    path = Path(file_path(uri))
    ws = rt.workspace()
    try:
        result = import_classes(ws, path, read_text(path, text), class_name, train)
    except ServiceError as exc:
        raise on_field(exc, "uri", {"class_name": "className"}) from None
    return result.to_dict()


def export(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import ServiceError
    from remap.service.exporting import export_model, export_summary

    model_id = p.req_int("modelId")
    target = p.text("path", required=False)
    class_name = p.text("className", required=False)
    overwrite = p.flag("overwrite", False)
    ws = rt.workspace()
    require_model(ws, model_id)
    folder: Path | None = None
    filename: str | None = None
    if target is not None:  # only inside the workspace (symlinks resolved), see docs
        folder = ws.confined(target, "path")
        if target.endswith(".py"):
            folder, filename = folder.parent, folder.name
    try:
        path = export_model(
            ws, model_id, folder or None, filename, class_name=class_name, overwrite=overwrite
        )
    except ServiceError as exc:
        raise after_head(exc, "path") from None
    return export_summary(path)
