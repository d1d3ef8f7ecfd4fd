"""The model maps: architecture (OTMANN), prediction (held-out disagreement) and accuracy
vs. parameters. Distance matrices and layouts are cached in the store and extended
incrementally: adding k models to N computes k·N + k(k−1)/2 distances, places the new
points without moving the old ones, and re-fits (aligned to the old layout) only when the
set has grown a lot or UMAP has become ready after a fallback."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from remap.service.errors import ServiceError
from remap.service.workspace import Workspace

if TYPE_CHECKING:
    from remap.analysis.layout import Layout, PlacementReport
    from remap.analysis.warmup import WarmupLike

VIEWS = ("architecture", "prediction", "accuracy")
FloatArray = npt.NDArray[np.float64]


def _otmann_matrix(ws: Workspace) -> tuple[list[int], FloatArray]:
    """All models' OTMANN distances (default parameters), extended incrementally."""
    from remap.analysis.matrix import extend_with
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import otmann_matrix, otmann_pairs

    params = OtmannParams.default()
    models = ws.store.list_models()
    cached = ws.store.get_matrix("otmann", "default")
    old_ids, old = cached if cached else ([], np.zeros((0, 0)))
    items = [(m.id, m.spec) for m in models]
    if [i for i, _ in items] == list(old_ids):
        return list(old_ids), np.asarray(old, dtype=np.float64)
    keys, matrix = extend_with(
        list(old_ids),
        np.asarray(old, dtype=np.float64),
        items,
        lambda a, b: otmann_pairs(a, b, params),
        lambda a: otmann_matrix(a, params),
    )
    ids = [m.id for m in models]  # extend_with keeps the order of ``items``
    assert list(keys) == ids
    ws.store.put_matrix("otmann", "default", ids, matrix)
    return ids, matrix


def _prediction_matrix(ws: Workspace) -> tuple[list[int], dict[int, int], FloatArray]:
    """Disagreement between the latest finished runs on the workspace's data set. Keyed by
    run id, so a retrained model replaces its old row. Returns (run ids, run→model, D)."""
    from remap.analysis.matrix import extend_with
    from remap.analysis.prediction import disagreement_matrix, disagreement_pairs

    fingerprint = ws.split().fingerprint
    runs = [r for r in ws.store.finished_runs(fingerprint) if r.predictions is not None]
    runs.sort(key=lambda r: r.model_id)
    preds = {r.id: r.predictions for r in runs}
    owner = {r.id: r.model_id for r in runs}
    cached = ws.store.get_matrix("disagreement", fingerprint)
    old_ids, old = cached if cached else ([], np.zeros((0, 0)))
    items = [(r.id, r.id) for r in runs]
    if [i for i, _ in items] == list(old_ids):
        return list(old_ids), owner, np.asarray(old, dtype=np.float64)

    def stack(run_ids: Sequence[int]) -> npt.NDArray[np.int64]:
        return np.stack([np.asarray(preds[i], dtype=np.int64) for i in run_ids])

    keys, matrix = extend_with(
        list(old_ids),
        np.asarray(old, dtype=np.float64),
        items,
        lambda a, b: disagreement_pairs(stack(a), stack(b)),
        lambda a: disagreement_matrix(stack(a)),
    )
    ids = [r.id for r in runs]  # extend_with keeps the order of ``items``
    assert list(keys) == ids
    ws.store.put_matrix("disagreement", fingerprint, ids, matrix)
    return ids, owner, matrix


def distance_matrix(
    ws: Workspace, metric: str = "otmann", params: str = "default"
) -> tuple[list[int], FloatArray]:
    """(model ids, N×N matrix) for the workspace: ``otmann`` over every model (``params``
    ``default`` is cached and incremental, ``remap`` reproduces the original), or
    ``prediction`` (held-out disagreement) over the trained models."""
    if metric == "prediction":
        run_ids, owner, matrix = _prediction_matrix(ws)
        return [owner[r] for r in run_ids], matrix
    if metric != "otmann":
        raise ServiceError(f"expected otmann or prediction, got {metric!r}", "metric")
    if params == "default":
        return _otmann_matrix(ws)
    if params != "remap":
        raise ServiceError(f"expected default or remap, got {params!r}", "params")
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import otmann_matrix

    models = ws.store.list_models()
    return [m.id for m in models], otmann_matrix([m.spec for m in models], OtmannParams.remap())


def _updated_layout(
    ws: Workspace,
    view: str,
    key: str,
    ids: list[str],
    distances: FloatArray,
    method: str,
    warmup: WarmupLike | None,
) -> tuple[Layout, PlacementReport | None, float | None]:
    from remap.analysis.layout import Layout, fit_layout, place_new, refit, should_refit
    from remap.analysis.quality import trustworthiness_of

    cached = ws.store.get_layout(view, key)
    layout: Layout | None = None
    trust: float | None = None
    if cached is not None:
        cached_ids, coords, meta = cached
        layout = Layout.from_dict(
            {**meta.get("layout", {}), "ids": [str(i) for i in cached_ids], "coords": coords}
        )
        trust = meta.get("trustworthiness")
    report: PlacementReport | None = None
    position = {model_id: i for i, model_id in enumerate(ids)}
    if layout is None:
        layout = fit_layout(ids, distances, method, warmup=warmup, seed=ws.settings.seed)
        trust = None
    else:
        removed = [i for i in layout.ids if i not in position]
        new = [i for i in ids if i not in set(layout.ids)]
        if removed or should_refit(layout, len(ids), warmup=warmup):
            layout, report = refit(layout, distances, method, ids=ids, warmup=warmup)
            trust = None
        elif new:
            old_rows = [position[i] for i in layout.ids]
            new_rows = [position[i] for i in new]
            layout, report = place_new(
                layout,
                distances[np.ix_(new_rows, old_rows)],
                distances[np.ix_(new_rows, new_rows)],
                new,
            )
        else:
            return layout, None, trust
    order = [position[i] for i in layout.ids]
    if trust is None and len(ids) >= 3:
        trust = trustworthiness_of(layout.coords, distances[np.ix_(order, order)])
    meta = {"layout": {k: v for k, v in layout.to_dict().items() if k not in ("ids", "coords")}}
    meta["trustworthiness"] = trust
    ws.store.put_layout(view, key, [int(i) for i in layout.ids], layout.coords, meta)
    return layout, report, trust


def _edges(ws: Workspace, shown: set[int]) -> list[dict[str, int]]:
    return [
        {"parent": m.parent_id, "child": m.id}
        for m in ws.store.list_models()
        if m.parent_id is not None and m.id in shown and m.parent_id in shown
    ]


def _accuracy_map(ws: Workspace) -> dict[str, Any]:
    from remap.service.views import model_rows

    rows = [r for r in model_rows(ws) if r.val_acc is not None]
    points = [
        {"id": r.id, "x": float(r.val_acc or 0.0), "y": math.log10(max(r.params, 1))} for r in rows
    ]
    return {
        "view": "accuracy",
        "method": "axes",
        "note": None if rows else "no trained model yet",
        "points": points,
        "edges": _edges(ws, {r.id for r in rows}),
        "movement": None,
        "trustworthiness": None,
        "axes": {"x": "validation accuracy", "y": "log10 parameters"},
    }


def get_map(
    ws: Workspace,
    view: str,
    method: str | None = None,
    warmup: WarmupLike | None = None,
) -> dict[str, Any]:
    """The map for one view (see docs/protocol.md, MapResult; snake_case keys here)."""
    if view not in VIEWS:
        raise ServiceError(f"expected one of {', '.join(VIEWS)}, got {view!r}", "view")
    method = method or ws.settings.projection
    if method not in ("umap", "mds"):
        raise ServiceError(f"expected umap or mds, got {method!r}", "method")
    if view == "accuracy":
        return _accuracy_map(ws)
    if view == "architecture":
        model_ids, distances = _otmann_matrix(ws)
        key_ids = [str(i) for i in model_ids]
        to_model = {str(i): i for i in model_ids}
        key = f"{method}:otmann"
        axes = {"x": "OTMANN map x", "y": "OTMANN map y"}
    else:
        run_ids, owner, distances = _prediction_matrix(ws)
        key_ids = [str(i) for i in run_ids]
        to_model = {str(i): owner[i] for i in run_ids}
        key = f"{method}:{ws.split().fingerprint}"
        axes = {"x": "prediction map x", "y": "prediction map y"}
    if not key_ids:
        return {
            "view": view, "method": method,
            "note": "no trained model yet" if view == "prediction" else "no model yet",
            "points": [], "edges": [], "movement": None, "trustworthiness": None, "axes": axes,
        }  # fmt: skip
    layout, report, trust = _updated_layout(ws, view, key, key_ids, distances, method, warmup)
    points: list[dict[str, Any]] = [
        {"id": to_model[i], "x": float(x), "y": float(y)}
        for i, (x, y) in zip(layout.ids, layout.coords, strict=True)
    ]
    movement = None
    if report is not None:
        movement = {
            "kind": report.kind,
            "mean": report.mean_move,
            "max": report.max_move,
            "fraction": report.mean_move_frac,
        }
    return {
        "view": view,
        "method": layout.method,
        "note": layout.note or None,
        "points": points,
        "edges": _edges(ws, {int(p["id"]) for p in points}),
        "movement": movement,
        "trustworthiness": trust,
        "axes": axes,
    }
