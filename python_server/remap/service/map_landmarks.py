"""A map's landmarks: L points (models, or runs on the prediction maps) chosen by maxmin and
every point's distance to them (an N×L float32 table), kept in the store and in process per
metric, extended by k×L distances when k points arrive. What the table makes fast without
the full N×N matrix:

- ``landmark_layout``: the first layout of a large set at once (landmark MDS, see
  ``remap.analysis.landmarks``), approximate until the exact matrix is complete;
- ``candidate_distances``: for new points, exact distances to their likely nearest old
  points only — the ``CANDIDATES`` old points with the smallest landmark lower bound
  ``max_l |d(x, l) − d(y, l)|`` (every metric here satisfies the triangle inequality: OTMANN
  up to its penalty, disagreement is a Hamming distance, the per-class gap an L1 distance) —
  plus the landmarks, so a new point is placed into any layout from ~L + CANDIDATES
  distances instead of N.

A :class:`Metric` says how to compute one metric's distances: ``otmann_metric`` here, the
prediction metrics in ``prediction_points``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from remap.analysis.landmarks import LandmarkFrame
    from remap.analysis.otmann import OtmannGraph
    from remap.analysis.otmann_fast import PackedSet
    from remap.service.workspace import Workspace

LANDMARKS = 100  # landmark MDS of 300–600 models is as faithful as exact from 50 on
CANDIDATES = 64
BATCH = 8  # landmarks chosen per round of maxmin (8 rows × N pairs per kernel call)
PRIME_DELAY = 0.5  # seconds without a map request before graphs are converted in the background
PRIME_CHUNK = 250  # graphs converted between checks for a map request
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class Prepared(Protocol):
    """Distances among a fixed list of points, addressed by position in that list (what
    ``remap.analysis.otmann_fast.PackedSet`` offers)."""

    def rows(self, rows: Sequence[int], cols: Sequence[int] | None = None) -> F64:
        """len(rows) × len(cols) distances (every point as a column by default)."""
        ...

    def pairs(self, ia: I64, ib: I64) -> F64:
        """The distances of the pairs (ia[i], ib[i])."""
        ...


@dataclass(frozen=True)
class Metric:
    """One map's distance: ``kind`` and ``key`` name the matrix the table stands in for
    (``otmann``/``default``, ``disagreement``/fingerprint, …); ``prepare(ids)`` packs the
    points (model or run ids) for computing distances among them."""

    kind: str
    key: str
    prepare: Callable[[Sequence[int]], Prepared]


@dataclass
class LandmarkTable:
    """``landmarks`` (model ids) and ``rows[i]`` = model ``ids[i]``'s distances to them."""

    landmarks: list[int]
    ids: list[int]
    rows: F32

    def __post_init__(self) -> None:
        self._index = {m: i for i, m in enumerate(self.ids)}

    def of(self, model_ids: Sequence[int]) -> F32:
        """len(model_ids) × L distances of models in the table."""
        out: F32 = self.rows[[self._index[m] for m in model_ids]]
        return out

    def has(self, model_id: int) -> bool:
        return model_id in self._index


_graphs: dict[tuple[str, int], OtmannGraph] = {}
_tables: dict[tuple[str, str, str], LandmarkTable] = {}
_lock = threading.Lock()
_save_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _tables.clear()


def graphs_of(ws: Workspace, model_ids: Sequence[int]) -> list[OtmannGraph]:
    """OTMANN graphs of models, converted once per process (specs are immutable)."""
    from remap.analysis.otmann import OtmannParams, graphs

    path = str(ws.store.path)
    missing = [i for i in model_ids if (path, i) not in _graphs]
    if missing:
        specs = ws.store.model_specs(missing)
        converted = graphs([specs[i] for i in missing], OtmannParams.default())
        for i, g in zip(missing, converted, strict=True):
            _graphs[(path, i)] = g
    return [_graphs[(path, i)] for i in model_ids]


def _packed(ws: Workspace, model_ids: Sequence[int]) -> PackedSet:
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import PackedSet

    return PackedSet(graphs_of(ws, model_ids), OtmannParams.default())


def otmann_metric(ws: Workspace) -> Metric:
    """The architecture map's metric: OTMANN with default parameters, between model ids."""
    return Metric("otmann", "default", lambda ids: _packed(ws, ids))


def _names(metric: Metric) -> tuple[str, str, str]:
    """(store kind, key of the landmark list, key of the rows) of a metric's table; OTMANN's
    keeps the names it had before other metrics had tables."""
    prefix = "" if metric.key == "default" else f"{metric.key}:"
    return f"{metric.kind}_landmarks", f"{prefix}landmarks", f"{prefix}rows"


def _save(ws: Workspace, metric: Metric, table: LandmarkTable) -> None:
    kind, marks_key, rows_key = _names(metric)
    with _save_lock:  # the two halves of one table, never interleaved with another's
        ws.store.put_matrix(kind, marks_key, table.landmarks, np.zeros(len(table.landmarks)))
        ws.store.put_matrix(kind, rows_key, table.ids, table.rows)


def _stored(ws: Workspace, metric: Metric) -> LandmarkTable | None:
    kind, marks_key, rows_key = _names(metric)
    marks = ws.store.get_matrix(kind, marks_key)
    rows = ws.store.get_matrix(kind, rows_key)
    if marks is None or rows is None:
        return None
    data = np.asarray(rows[1], dtype=np.float32).reshape(len(rows[0]), len(marks[0]))
    return LandmarkTable(marks[0], rows[0], data)


def prime_graphs(ws: Workspace, model_ids: Sequence[int]) -> None:
    """Convert the OTMANN graphs of ``model_ids`` in a background job (once per process and
    store; ~0.4 ms and 3 KB a model): placing new models later needs their candidates'
    graphs, and converting thousands of them in that request cost most of a second."""
    from remap.service import map_background

    path = str(ws.store.path)
    if all((path, i) in _graphs for i in model_ids):
        return
    key = (path, "architecture", "graphs")

    def convert(job: map_background.Job) -> bool:
        ids = list(model_ids)
        for start in range(0, len(ids), PRIME_CHUNK):
            # a map request first: it converts what it needs itself, and this thread would
            # only halve its share of the interpreter
            map_background.wait_for_quiet(PRIME_DELAY)
            graphs_of(ws, ids[start : start + PRIME_CHUNK])
        return False  # no layout written

    map_background.start(key, convert)  # or the conversion already under way


def _cache_key(ws: Workspace, metric: Metric) -> tuple[str, str, str]:
    return (str(ws.store.path), metric.kind, metric.key)


def _save_later(ws: Workspace, metric: Metric) -> None:
    """Store the process's current table from a background job (rewriting N×L floats took
    a tenth of a second of the request); a table lost with its process is extended again
    (k×L distances)."""
    from remap.service import map_background

    def save(job: map_background.Job) -> bool:
        with _lock:
            current = _tables.get(_cache_key(ws, metric))
        if current is not None:
            _save(ws, metric, current)
        return False  # no layout written

    key = (str(ws.store.path), "landmarks", f"{metric.kind}:{metric.key}")
    map_background.start(key, save)  # or the save already under way


def landmark_table(
    ws: Workspace, metric: Metric, ids: Sequence[int], seed: int = 0
) -> LandmarkTable:
    """The table covering ``ids``: loaded, extended by the points it lacks (k×L
    distances), or chosen afresh by maxmin (L×N distances) when there is none yet or one of
    its landmarks is gone (e.g. a retrained model's old run)."""
    from remap.analysis.landmarks import maxmin_landmarks

    cache_key = _cache_key(ws, metric)
    wanted = set(ids)
    with _lock:
        table = _tables.get(cache_key)
    if table is None or any(m not in wanted for m in table.landmarks):
        table = _stored(ws, metric)
    if table is None or any(m not in wanted for m in table.landmarks):
        every = list(ids)
        packed = metric.prepare(every)
        picked, rows = maxmin_landmarks(
            len(every), LANDMARKS, lambda p: packed.rows(p), seed=seed, batch=BATCH
        )
        table = LandmarkTable([every[p] for p in picked], every, rows.T.astype(np.float32))
        _save(ws, metric, table)
    new = [m for m in ids if not table.has(m)]
    if new:
        packed = metric.prepare([*table.landmarks, *new])
        count = len(table.landmarks)
        extra = packed.rows(range(count, count + len(new)), range(count)).astype(np.float32)
        table = LandmarkTable(table.landmarks, table.ids + new, np.vstack([table.rows, extra]))
    with _lock:
        _tables[cache_key] = table
    if new:
        _save_later(ws, metric)
    return table


def landmark_layout(
    ws: Workspace, metric: Metric, model_ids: Sequence[int], seed: int = 0
) -> tuple[npt.NDArray[np.float64], LandmarkFrame, LandmarkTable]:
    """(N×2 landmark-MDS coordinates of ``model_ids`` in that order, frame, table)."""
    from remap.analysis.landmarks import landmark_mds

    table = landmark_table(ws, metric, model_ids, seed)
    rows = table.of(model_ids).T  # L × N
    position = {m: i for i, m in enumerate(model_ids)}
    coords, frame = landmark_mds(rows, [position[m] for m in table.landmarks])
    return coords, frame, table


def candidate_distances(
    metric: Metric, table: LandmarkTable, new_ids: Sequence[int], old_ids: Sequence[int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(k×N distances of the new models to the old ones, k×N mask of the entries computed):
    each new model's landmarks (when shown) and its ``CANDIDATES`` best old candidates."""
    k, n = len(new_ids), len(old_ids)
    new_l = table.of(new_ids).astype(np.float64)
    old_l = table.of(old_ids).astype(np.float64)
    m = min(CANDIDATES, n)
    picks = np.zeros((k, m), dtype=np.int64)
    for r in range(k):  # lower bound of every old model's distance, k × N × L in slices
        bound = np.abs(old_l - new_l[r][None, :]).max(axis=1)
        picks[r] = np.argpartition(bound, m - 1)[:m] if m < n else np.arange(n)
    old_pos = {mid: i for i, mid in enumerate(old_ids)}
    marks = [old_pos[mid] for mid in table.landmarks if mid in old_pos]
    involved = sorted({int(c) for c in picks.ravel()})
    local = {c: i for i, c in enumerate(involved)}
    packed = metric.prepare([*(old_ids[c] for c in involved), *new_ids])
    ia = np.repeat(np.arange(k) + len(involved), m)
    ib = np.asarray([local[int(c)] for c in picks.ravel()], dtype=np.int64)
    values = packed.pairs(ia, ib)
    cross = np.full((k, n), np.inf)
    mask = np.zeros((k, n), dtype=bool)
    rows = np.repeat(np.arange(k), m)
    cross[rows, picks.ravel()] = values
    mask[rows, picks.ravel()] = True
    if marks:
        to_marks = {mid: j for j, mid in enumerate(table.landmarks)}
        cols = np.asarray(marks, dtype=np.int64)
        lm = [to_marks[old_ids[c]] for c in marks]
        cross[:, cols] = new_l[:, lm]
        mask[:, cols] = True
    return cross, mask
