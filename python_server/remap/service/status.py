"""Workspace status (device, data set, store, queue, warm-up) and the data-set summary with
example images per class, for the UI's status bar and data selector."""

from __future__ import annotations

from typing import Any

from remap import __version__
from remap.service.errors import ServiceError
from remap.service.queue import summarise
from remap.service.weights import weights_usage
from remap.service.workspace import Workspace


def workspace_status(ws: Workspace, warmup_state: str = "cold") -> dict[str, Any]:
    """Never raises for a broken data set: it is reported in ``dataset_error``."""
    dataset: dict[str, Any] | None = None
    dataset_error: str | None = None
    try:
        split = ws.split()
        dataset = {
            "name": split.name,
            "source": ws.settings.dataset,
            "input_shape": list(split.input_shape),
            "classes": list(split.classes),
            "train": len(split.train_y),
            "held_out": len(split.test_y),
        }
    except ServiceError as exc:
        dataset_error = str(exc)
    return {
        "version": __version__,
        "workspace": str(ws.root),
        "store_path": str(ws.store.path),
        "device": describe_device(ws.settings.device),
        "dataset": dataset,
        "dataset_error": dataset_error,
        "warmup": {"umap": warmup_state},
        "queue": summarise(ws.store).to_dict(),
        "weights": weights_usage(ws),
        "settings": ws.settings.to_dict(),
    }


def describe_device(preference: str) -> str:
    from remap.train.device import DeviceError, choose_device
    from remap.train.device import describe_device as describe

    try:
        return describe(choose_device(preference))
    except DeviceError as exc:
        return f"unavailable: {exc}"


def dataset_summary(ws: Workspace, per_class: int = 4) -> dict[str, Any]:
    from remap.data.summary import class_counts, examples_per_class, image_to_png_base64

    if isinstance(per_class, bool) or not isinstance(per_class, int) or not 0 <= per_class <= 16:
        raise ServiceError(f"expected an integer 0–16, got {per_class!r}", "per_class")
    split = ws.split()
    counts = class_counts(split)
    examples = examples_per_class(split, per_class, seed=ws.settings.seed) if per_class else {}
    return {
        "name": split.name,
        "input_shape": list(split.input_shape),
        "classes": [
            {
                "index": index,
                "name": name,
                "train": counts[name][0],
                "held_out": counts[name][1],
                "examples": [image_to_png_base64(img) for img in examples.get(name, [])],
            }
            for index, name in enumerate(split.classes)
        ],
    }
