"""Read-only custom requests: ``remap/status``, ``remap/listModels``, ``remap/getModel``,
``remap/getMap``, ``remap/perClassAccuracy`` and ``remap/dataset``. Each runs in the service
thread and returns snake_case data (the server converts it to camelCase)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import require_model
from remap.lsp.params import Params

if TYPE_CHECKING:
    from remap.lsp.runtime import Runtime

VIEWS = ("architecture", "prediction", "accuracy")
METHODS = ("umap", "mds")
DISTANCES = ("disagreement", "per_class")  # service.maps.PREDICTION_DISTANCES
MAP_TOPICS = {  # what each map depends on (see remap.lsp.cache)
    "architecture": ("models", "settings", "layout"),
    "prediction": ("runs", "settings", "layout"),
    "accuracy": ("models", "runs", "settings"),
}


def status(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.status import workspace_status

    ws = rt.workspace()
    out = workspace_status(ws, rt.warmup_state())
    out["settings"] = rt.settings_dict()
    out["workers"] = rt.executor_info()
    return out


def list_models(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.views import model_list_wire

    return rt.cached(
        ("listModels",),
        ("models", "jobs", "runs", "settings"),
        lambda: model_list_wire(rt.workspace()),
    )


def get_model(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.views import model_details

    model_id = p.req_int("modelId")
    ws = rt.workspace()
    require_model(ws, model_id)
    return model_details(ws, model_id)


def get_map(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.background import umap_warmup
    from remap.service.map_background import replaced
    from remap.service.maps import get_map as service_get_map

    view = p.choice("view", VIEWS)
    method = p.choice("method", METHODS, required=False)
    distance = p.choice("distance", DISTANCES, required=False)
    assert view is not None
    warmup = umap_warmup()
    # a layout replaced by a background job (exact after approximate) is a new answer
    key = ("getMap", view, method, distance, warmup.state, replaced())
    return rt.cached(
        key,
        MAP_TOPICS[view],
        lambda: service_get_map(rt.workspace(), view, method, warmup=warmup, distance=distance),
    )


def per_class_accuracy(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.views import per_class_accuracy_wire

    return rt.cached(
        ("perClassAccuracy",), ("runs", "settings"), lambda: per_class_accuracy_wire(rt.workspace())
    )


def dataset(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service.status import dataset_summary

    per_class = p.integer("perClass", required=False, default=4, minimum=0, maximum=16)
    assert per_class is not None
    return rt.cached(
        ("dataset", per_class), ("settings",), lambda: dataset_summary(rt.workspace(), per_class)
    )
