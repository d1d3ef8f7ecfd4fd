"""A view's cached layout brought up to date without ever making a request wait for work
that grows with N²: what runs in the request and what runs in a background job.

In the request (small work, or work that is O(N·L)):

- nothing new, no re-fit due: the cached layout as it is (the distances are not read);
- a first layout whose matrix lacks more than ``APPROX_MIN_PAIRS`` distances (every view
  with a landmark metric: architecture and both prediction distances): landmark MDS from
  each point's distances to ``map_landmarks.LANDMARKS`` landmarks, marked approximate; a job
  completes the matrix and fits the exact layout, which then replaces it (aligned to it by
  Procrustes);
- new points in an approximate layout: triangulated from their landmark distances;
- new points in an exact layout whose rows would cost more than ``PLACE_EXACT_PAIRS``
  distances: placed from their landmarks and candidate neighbours
  (``map_landmarks.candidate_distances``); a job computes their full rows;
- otherwise the exact placement or fit, as before.

Old points never move in the request. Re-fits of ``BACKGROUND_FIT_MIN`` models or more
(growth, or the swap to UMAP once it is warm) run in a job; the answer meanwhile is the
shown layout, its note saying what is under way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from remap.service import map_background as background
from remap.service.distances import ProgressFn, RowMatrix, matrix_lock, missing_pairs

if TYPE_CHECKING:
    from remap.analysis.layout import Layout, PlacementReport
    from remap.analysis.warmup import WarmupLike
    from remap.service.map_landmarks import Metric
    from remap.service.workspace import Workspace

APPROX_MIN_PAIRS = 2_000_000  # a first map missing more distances is laid out from landmarks
PLACE_EXACT_PAIRS = 200_000  # new models needing more distances are placed from candidates
BACKGROUND_FIT_MIN = 2_000  # (re-)fits of this many models run in a background job


@dataclass(frozen=True)
class Source:
    """Where a view's distances come from: the matrix (kind, key), a function that completes
    it, and the metric whose landmark table can stand in for it (None: none can)."""

    kind: str
    key: str
    rows: Callable[[ProgressFn | None], RowMatrix]
    landmarks: Metric | None = None


_locks: dict[tuple[str, str, str], threading.Lock] = {}
_locks_lock = threading.Lock()
_fitting = threading.Lock()  # one background fit at a time: each expands an N×N square


def _lock(key: tuple[str, str, str]) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(key, threading.Lock())


def _cached(ws: Workspace, view: str, key: str) -> tuple[Layout | None, dict[str, Any]]:
    from remap.analysis.layout import Layout

    cached = ws.store.get_layout(view, key)
    if cached is None:
        return None, {}
    cached_ids, coords, meta = cached
    layout = Layout.from_dict(
        {**meta.get("layout", {}), "ids": [str(i) for i in cached_ids], "coords": coords}
    )
    return layout, meta


def _save(
    ws: Workspace, view: str, key: str, layout: Layout, trust: float | None, **extra: Any
) -> None:
    meta: dict[str, Any] = {
        "layout": {k: v for k, v in layout.to_dict().items() if k not in ("ids", "coords")},
        "trustworthiness": trust,
        **extra,
    }
    ws.store.put_layout(view, key, [int(i) for i in layout.ids], layout.coords, meta)


def _trust(matrix: RowMatrix, layout: Layout) -> float | None:
    from remap.analysis.quality import sample_points, trustworthiness_of

    if layout.n < 3:
        return None
    order = [matrix.position(int(i)) for i in layout.ids]
    coords = layout.coords
    pick = sample_points(len(order))  # expand only a sample of a large matrix
    if pick is not None:
        order, coords = [order[p] for p in pick], coords[pick]
    return trustworthiness_of(coords, matrix.square(order))


def updated_layout(
    ws: Workspace,
    view: str,
    key: str,
    ids: list[str],
    source: Source,
    method: str,
    warmup: WarmupLike | None,
) -> tuple[Layout, PlacementReport | None, float | None, str]:
    """(layout, placement report, trustworthiness, what is under way or "")."""
    job_key = (str(ws.store.path), view, key)
    with _lock(job_key):
        layout, report, trust, extra = _update(ws, view, key, ids, source, method, warmup)
    job = background.running(job_key)
    return layout, report, trust, job.describe() if job is not None else extra


def _update(
    ws: Workspace,
    view: str,
    key: str,
    ids: list[str],
    source: Source,
    method: str,
    warmup: WarmupLike | None,
) -> tuple[Layout, PlacementReport | None, float | None, str]:
    from remap.analysis.layout import fit_layout, place_new, refit, should_refit

    layout, meta = _cached(ws, view, key)
    trust: float | None = meta.get("trustworthiness")
    job_key = (str(ws.store.path), view, key)
    busy = background.running(job_key) is not None
    matrix_busy = matrix_lock(ws, source.kind, source.key).locked()
    if layout is None:
        missing = missing_pairs(ws, source.kind, source.key, len(ids))
        if source.landmarks and (missing > APPROX_MIN_PAIRS or matrix_busy or busy):
            layout = _landmark_layout(ws, source.landmarks, view, key, ids, method)
            _start_job(ws, view, key, ids, source, method, warmup, refit_after=True)
            return layout, None, None, ""
        matrix = source.rows(None)
        order = [matrix.position(int(i)) for i in ids]
        layout = fit_layout(
            ids, matrix.square(order), method, warmup=warmup, seed=ws.settings.seed, trusted=True
        )
        trust = _trust(matrix, layout)
        _save(ws, view, key, layout, trust)
        return layout, None, trust, ""
    wanted = set(ids)
    removed = [i for i in layout.ids if i not in wanted]
    shown = set(layout.ids)  # once: a set per id would cost N² at 10,000 models
    new = [i for i in ids if i not in shown]
    if meta.get("approximate") and source.landmarks is not None:
        if removed or new:
            layout, report = _place_by_landmarks(ws, source.landmarks, layout, meta, removed, new)
            _save(ws, view, key, layout, None, approximate=True, frame=meta["frame"])
        else:
            report = None
        if not busy:
            _start_job(ws, view, key, ids, source, method, warmup, refit_after=True)
        return layout, report, None, "exact layout queued"
    due = bool(removed) or should_refit(layout, len(ids), warmup=warmup)
    if not new and not due:
        return layout, None, trust, ""
    if due and (len(ids) >= BACKGROUND_FIT_MIN or busy or matrix_busy):
        if not busy:
            _start_job(ws, view, key, ids, source, method, warmup, refit_after=True)
        busy = True
        if not new:
            return layout, None, trust, "re-fit queued"
    elif due:
        matrix = source.rows(None)
        order = [matrix.position(int(i)) for i in ids]
        layout, report = refit(
            layout, matrix.square(order), method, ids=ids, warmup=warmup, trusted=True
        )
        trust = _trust(matrix, layout)
        _save(ws, view, key, layout, trust)
        return layout, report, trust, ""
    pairs = len(new) * layout.n
    if source.landmarks and (pairs > PLACE_EXACT_PAIRS or matrix_busy):
        from remap.service.map_landmarks import candidate_distances, landmark_table

        metric = source.landmarks
        table = landmark_table(ws, metric, [int(i) for i in ids], ws.settings.seed)
        new_int, old_int = [int(i) for i in new], [int(i) for i in layout.ids]
        cross, known = candidate_distances(metric, table, new_int, old_int)
        block = metric.prepare(new_int).rows(range(len(new_int)), range(len(new_int)))
        layout, report = place_new(layout, cross, block, new, known=known)
        _save(ws, view, key, layout, trust)
        if not busy:
            _start_job(ws, view, key, ids, source, method, warmup, refit_after=False)
        return layout, report, trust, ""
    matrix = source.rows(None)
    old_cols = np.asarray([matrix.position(int(i)) for i in layout.ids], dtype=np.int64)
    new_cols = np.asarray([matrix.position(int(i)) for i in new], dtype=np.int64)
    new_rows = matrix.rows(new_cols.tolist())
    layout, report = place_new(layout, new_rows[:, old_cols], new_rows[:, new_cols], new)
    _save(ws, view, key, layout, trust)
    return layout, report, trust, ""


def _landmark_layout(
    ws: Workspace, metric: Metric, view: str, key: str, ids: list[str], method: str
) -> Layout:
    from remap.analysis.layout import Layout
    from remap.analysis.projection import check_method
    from remap.service.map_landmarks import landmark_layout

    coords, frame, table = landmark_layout(ws, metric, [int(i) for i in ids], ws.settings.seed)
    layout = Layout(
        ids=tuple(ids),
        coords=coords,
        method="mds",
        fitted_n=len(ids),
        requested_method=check_method(method),
        seed=ws.settings.seed,
        note=f"approximate layout (landmark MDS, {len(table.landmarks)} landmarks)",
    )
    _save(ws, view, key, layout, None, approximate=True, frame=frame.to_dict())
    return layout


def _place_by_landmarks(
    ws: Workspace,
    metric: Metric,
    layout: Layout,
    meta: dict[str, Any],
    removed: list[str],
    new: list[str],
) -> tuple[Layout, PlacementReport]:
    """An approximate layout without ``removed`` and with ``new`` triangulated from their
    landmark distances; no other point moves."""
    import time

    from remap.analysis.landmarks import LandmarkFrame
    from remap.analysis.layout import PlacementReport
    from remap.service.map_landmarks import landmark_table

    start = time.perf_counter()
    frame = LandmarkFrame.from_dict(meta["frame"])
    gone = set(removed)
    keep = [i for i, m in enumerate(layout.ids) if m not in gone]
    ids = [layout.ids[i] for i in keep]
    coords = layout.coords[keep]
    if new:
        table = landmark_table(ws, metric, [int(i) for i in [*ids, *new]], ws.settings.seed)
        coords = np.vstack([coords, frame.place(table.of([int(i) for i in new]))])
    placed = layout.with_points((*ids, *new), coords)
    report = PlacementReport(
        kind="place_new",
        method=layout.method,
        n_kept=len(keep),
        n_new=len(new),
        n_removed=len(removed),
        mean_move=0.0,
        max_move=0.0,
        extent=layout.extent,
        seconds=time.perf_counter() - start,
        note="placed from landmark distances",
    )
    return placed, report


def _start_job(
    ws: Workspace,
    view: str,
    key: str,
    ids: list[str],
    source: Source,
    method: str,
    warmup: WarmupLike | None,
    refit_after: bool,
) -> None:
    """Complete the matrix in the background and, with ``refit_after``, fit the exact
    layout of ``ids`` and store it in place of the shown one."""
    job_key = (str(ws.store.path), view, key)

    def work(job: background.Job) -> bool:
        matrix = source.rows(job.progress)
        if not refit_after:
            return False
        job.phase = "fit"
        if warmup is not None and method == "umap" and warmup.state == "warming":
            getattr(warmup, "wait", lambda: None)()
        with _lock(job_key):
            shown, _ = _cached(ws, view, key)
        held = set(matrix.ids)  # the models placed since the job began are fitted too
        shown_ids = shown.ids if shown is not None else ()
        fit_ids = [i for i in dict.fromkeys([*ids, *shown_ids]) if int(i) in held]
        order = [matrix.position(int(i)) for i in fit_ids]
        with _fitting:
            fitted = _fit(shown, fit_ids, matrix, order)
        trust = _trust(matrix, fitted)
        with _lock(job_key):
            _save(ws, view, key, fitted, trust)
        return True

    def _fit(
        shown: Layout | None, fit_ids: list[str], matrix: RowMatrix, order: list[int]
    ) -> Layout:
        from remap.analysis.layout import fit_layout, refit

        if shown is None:
            fitted = fit_layout(
                fit_ids, matrix.square(order), method, warmup=warmup, seed=ws.settings.seed,
                trusted=True,
            )  # fmt: skip
        else:
            fitted, _ = refit(
                shown, matrix.square(order), method, ids=fit_ids, warmup=warmup, trusted=True
            )
        return fitted

    background.start(job_key, work)
