"""The model maps: architecture (OTMANN), prediction (held-out disagreement) and accuracy
vs. parameters, and the distance matrices behind them. Distance matrices and layouts are
cached in the store and extended incrementally: adding k models to N computes k·N +
k(k−1)/2 distances, places the new points without moving the old ones, and re-fits (aligned
to the old layout) only when the set has grown a lot or UMAP has become ready after a
fallback. What runs in the request and what in the background (large sets: landmark
layouts, background completion and re-fits) is ``map_layouts``'s business."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from remap.service import map_background
from remap.service.distances import ProgressFn, RowMatrix, complete_matrix
from remap.service.errors import ServiceError
from remap.service.map_landmarks import graphs_of, otmann_metric, prime_graphs
from remap.service.map_layouts import Source, updated_layout
from remap.service.prediction_points import (
    accuracies_of,
    disagreement_metric,
    per_class_metric,
    predictions_of,
)
from remap.service.workspace import Workspace

if TYPE_CHECKING:
    from remap.analysis.warmup import WarmupLike
    from remap.store.summaries import ModelSummary

VIEWS = ("architecture", "prediction", "accuracy")
PREDICTION_DISTANCES = ("disagreement", "per_class")
"""How the prediction map measures two trained models apart: the fraction of held-out
examples they label differently, or the mean gap between their per-class accuracies."""
FloatArray = npt.NDArray[np.float64]


def otmann_rows(ws: Workspace, progress: ProgressFn | None = None) -> RowMatrix:
    """All models' OTMANN distances (default parameters), completed incrementally (all
    models packed once for the kernel when rows are missing)."""
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import PackedSet

    ids = ws.store.model_ids()
    packed: list[PackedSet] = []
    where = {m: i for i, m in enumerate(ids)}

    def pairs(a: Sequence[int], b: Sequence[int]) -> npt.NDArray[np.float64]:
        if not packed:
            packed.append(PackedSet(graphs_of(ws, ids), OtmannParams.default()))
        rows, cols = [where[m] for m in a], [where[m] for m in b]
        return packed[0].rows(rows, cols, workers=map_background.kernel_threads())

    return complete_matrix(
        ws, "otmann", "default", ids, pairs, lambda a: pairs(a, a), progress=progress
    )


def _prediction_runs(ws: Workspace) -> tuple[str, dict[int, int]]:
    """(split fingerprint, run id → model id) of the latest finished run with predictions
    of every model."""
    from remap.service.views import split_info

    fingerprint = split_info(ws).fingerprint
    owner = {r.id: r.model_id for r in ws.store.run_summaries(fingerprint) if r.has_predictions}
    return fingerprint, owner


def prediction_rows(
    ws: Workspace, fingerprint: str, run_ids: Sequence[int], progress: ProgressFn | None = None
) -> RowMatrix:
    """Disagreement between runs (keyed by run id, so a retrained model replaces its old
    row), completed incrementally."""
    from remap.analysis.prediction import disagreement_matrix, disagreement_pairs

    return complete_matrix(
        ws,
        "disagreement",
        fingerprint,
        list(run_ids),
        lambda a, b: disagreement_pairs(predictions_of(ws, a), predictions_of(ws, b)),
        lambda a: disagreement_matrix(predictions_of(ws, a)),
        progress=progress,
    )


def per_class_rows(
    ws: Workspace, fingerprint: str, run_ids: Sequence[int], progress: ProgressFn | None = None
) -> RowMatrix:
    """Mean gap between runs' per-class held-out accuracies (derived from their stored
    predictions), keyed by run id and completed incrementally like the disagreement."""
    from remap.analysis.prediction import per_class_accuracy_distance, per_class_accuracy_pairs

    accuracies = accuracies_of(ws)
    return complete_matrix(
        ws,
        "per_class",
        fingerprint,
        list(run_ids),
        lambda a, b: per_class_accuracy_pairs(accuracies(a), accuracies(b)),
        lambda a: per_class_accuracy_distance(accuracies(a)),
        progress=progress,
    )


def distance_matrix(
    ws: Workspace, metric: str = "otmann", params: str = "default"
) -> tuple[list[int], FloatArray]:
    """(model ids, N×N matrix) for the workspace: ``otmann`` over every model (``params``
    ``default`` is cached and incremental, ``remap`` reproduces the original), or
    ``prediction`` (held-out disagreement) over the trained models."""
    if metric == "prediction":
        fingerprint, owner = _prediction_runs(ws)
        run_ids = sorted(owner, key=lambda r: owner[r])
        rows = prediction_rows(ws, fingerprint, run_ids)
        order = [rows.position(r) for r in run_ids]
        return [owner[r] for r in run_ids], rows.square(order).astype(np.float64)
    if metric != "otmann":
        raise ServiceError(f"expected otmann or prediction, got {metric!r}", "metric")
    if params == "default":
        matrix = otmann_rows(ws)
        ids = sorted(matrix.ids)
        order = [matrix.position(i) for i in ids]
        return ids, matrix.square(order).astype(np.float64)
    if params != "remap":
        raise ServiceError(f"expected default or remap, got {params!r}", "params")
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import otmann_matrix

    models = ws.store.list_models()
    return [m.id for m in models], otmann_matrix([m.spec for m in models], OtmannParams.remap())


def _edges(
    ws: Workspace, shown: set[int], models: Sequence[ModelSummary] = ()
) -> list[dict[str, int]]:
    return [
        {"parent": m.parent_id, "child": m.id}
        for m in models or ws.store.model_summaries()
        if m.parent_id is not None and m.id in shown and m.parent_id in shown
    ]


def _accuracy_map(ws: Workspace) -> dict[str, Any]:
    """Accuracy vs. parameters, from light queries (no spec is parsed)."""
    from remap.service.views import split_info

    models = ws.store.model_summaries()
    acc = {
        r.model_id: r.val_acc
        for r in ws.store.run_summaries(split_info(ws).fingerprint)
        if r.val_acc is not None
    }
    points = [
        {"id": m.id, "x": float(acc[m.id]), "y": math.log10(max(m.params or 1, 1))}
        for m in models
        if m.id in acc
    ]
    return {
        "view": "accuracy",
        "method": "axes",
        "note": None if points else "no trained model yet",
        "points": points,
        "edges": _edges(ws, set(acc), models),
        "movement": None,
        "trustworthiness": None,
        "axes": {"x": "validation accuracy", "y": "log10 parameters"},
    }


def get_map(
    ws: Workspace,
    view: str,
    method: str | None = None,
    warmup: WarmupLike | None = None,
    distance: str | None = None,
) -> dict[str, Any]:
    """The map for one view (see docs/protocol.md, MapResult; snake_case keys here).
    ``distance`` (prediction view only) is one of :data:`PREDICTION_DISTANCES`."""
    with map_background.answering():
        return _get_map(ws, view, method, warmup, distance)


def _get_map(
    ws: Workspace,
    view: str,
    method: str | None,
    warmup: WarmupLike | None,
    distance: str | None,
) -> dict[str, Any]:
    if view not in VIEWS:
        raise ServiceError(f"expected one of {', '.join(VIEWS)}, got {view!r}", "view")
    distance = distance or "disagreement"
    if distance not in PREDICTION_DISTANCES:
        raise ServiceError(
            f"expected one of {', '.join(PREDICTION_DISTANCES)}, got {distance!r}", "distance"
        )
    method = method or ws.settings.projection
    if method not in ("umap", "mds"):
        raise ServiceError(f"expected umap or mds, got {method!r}", "method")
    if view == "accuracy":
        return _accuracy_map(ws)
    source: Source
    if view == "architecture":
        model_ids = ws.store.model_ids()
        key_ids = [str(i) for i in model_ids]
        to_model = {str(i): i for i in model_ids}
        key = f"{method}:otmann"
        axes = {"x": "OTMANN map x", "y": "OTMANN map y"}
        source = Source(
            "otmann", "default", lambda p: otmann_rows(ws, p), landmarks=otmann_metric(ws)
        )
    else:
        fingerprint, owner = _prediction_runs(ws)
        run_ids = sorted(owner, key=lambda r: owner[r])
        key_ids = [str(i) for i in run_ids]
        to_model = {str(i): owner[i] for i in run_ids}
        if distance == "per_class":
            key = f"{method}:{fingerprint}:per_class"
            axes = {"x": "per-class accuracy map x", "y": "per-class accuracy map y"}
            source = Source(
                "per_class",
                fingerprint,
                lambda p: per_class_rows(ws, fingerprint, run_ids, p),
                landmarks=per_class_metric(ws, fingerprint),
            )
        else:
            key = f"{method}:{fingerprint}"
            axes = {"x": "prediction map x", "y": "prediction map y"}
            source = Source(
                "disagreement",
                fingerprint,
                lambda p: prediction_rows(ws, fingerprint, run_ids, p),
                landmarks=disagreement_metric(ws, fingerprint),
            )
    if not key_ids:
        return {
            "view": view, "method": method,
            "distance": distance if view == "prediction" else None,
            "note": "no trained model yet" if view == "prediction" else "no model yet",
            "points": [], "edges": [], "movement": None, "trustworthiness": None, "axes": axes,
        }  # fmt: skip
    layout, report, trust, pending = updated_layout(ws, view, key, key_ids, source, method, warmup)
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
    if view == "architecture":
        prime_graphs(ws, model_ids)  # for placing the models trained next
    return {
        "view": view,
        "method": layout.method,
        "distance": distance if view == "prediction" else None,
        "note": "; ".join(bit for bit in (layout.note, pending) if bit) or None,
        "points": points,
        "edges": _edges(ws, {int(p["id"]) for p in points}),
        "movement": movement,
        "trustworthiness": trust,
        "axes": axes,
    }
