"""Stateless operations on model-set files (no workspace): parameter counts and export of
one entry. Used by `remap params` and `remap export MODELS.json`."""

from __future__ import annotations

from pathlib import Path

from remap.arch import ArchError, SpecFormatError
from remap.arch.original import load_model_set
from remap.arch.shapes import param_count
from remap.service.errors import ServiceError


def model_set_params(path: str | Path) -> list[tuple[str, int]]:
    """(id, trainable parameters) per model, in file order."""
    try:
        model_set = load_model_set(path)
        return [(entry.id, param_count(entry.spec)) for entry in model_set.models]
    except (SpecFormatError, ArchError) as exc:
        raise ServiceError(str(exc)) from None


def export_model_set_entry(
    path: str | Path, model_id: str, out: str | Path, overwrite: bool = False
) -> Path:
    """Write one entry of a model-set file as a PyTorch file at ``out``."""
    from remap.codegen import CodegenError, Provenance, write_export  # only when exporting

    try:
        model_set = load_model_set(path)
    except SpecFormatError as exc:
        raise ServiceError(str(exc)) from None
    try:
        entry = model_set.by_id(model_id)
    except KeyError:
        raise ServiceError(f"no model with id {model_id!r} in {path}", "id") from None
    out = Path(out)
    accuracy = entry.extra.get("final_val_acc")
    provenance = Provenance(
        model_id=entry.id,
        name=None,
        dataset=None,
        input_shape=entry.spec.input_shape,
        accuracy=float(accuracy) / 100 if isinstance(accuracy, (int, float)) else None,
        params=param_count(entry.spec),
        parent=None,
        origin="reference",
        changes=(),
        created=None,
    )
    try:
        return write_export(
            entry.spec, out.parent if str(out.parent) else Path("."), out.name,
            class_name="RemapModel", provenance=provenance, overwrite=overwrite,
        )  # fmt: skip
    except CodegenError as exc:
        raise ServiceError(str(exc), "out") from None
