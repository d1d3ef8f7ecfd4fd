"""The architecture map's landmarks: L models chosen by maxmin and every model's OTMANN
distance to them (an N×L float32 table), kept in the store and in process, extended by k×L
distances when k models arrive. What the table makes fast without the full N×N matrix:

- ``landmark_layout``: the first layout of a large set at once (landmark MDS, see
  ``remap.analysis.landmarks``), approximate until the exact matrix is complete;
- ``candidate_distances``: for new models, exact OTMANN distances to their likely nearest
  old models only — the ``CANDIDATES`` old models with the smallest landmark lower bound
  ``max_l |d(x, l) − d(y, l)|`` (OTMANN satisfies the triangle inequality up to its
  penalty) — plus the landmarks, so a new model is placed into any layout from
  ~L + CANDIDATES distances instead of N.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
KIND = "otmann_landmarks"
F32 = npt.NDArray[np.float32]


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
_tables: dict[str, LandmarkTable] = {}
_lock = threading.Lock()


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


def _save(ws: Workspace, table: LandmarkTable) -> None:
    ws.store.put_matrix(KIND, "landmarks", table.landmarks, np.zeros(len(table.landmarks)))
    ws.store.put_matrix(KIND, "rows", table.ids, table.rows)


def _stored(ws: Workspace) -> LandmarkTable | None:
    marks = ws.store.get_matrix(KIND, "landmarks")
    rows = ws.store.get_matrix(KIND, "rows")
    if marks is None or rows is None:
        return None
    data = np.asarray(rows[1], dtype=np.float32).reshape(len(rows[0]), len(marks[0]))
    return LandmarkTable(marks[0], rows[0], data)


def landmark_table(ws: Workspace, model_ids: Sequence[int], seed: int = 0) -> LandmarkTable:
    """The table covering ``model_ids``: loaded, extended by the models it lacks (k×L
    distances), or chosen afresh by maxmin (L×N distances) when there is none yet."""
    from remap.analysis.landmarks import maxmin_landmarks

    path = str(ws.store.path)
    wanted = set(model_ids)
    with _lock:
        table = _tables.get(path)
    if table is None or any(m not in wanted for m in table.landmarks):
        table = _stored(ws)
    if table is None or any(m not in wanted for m in table.landmarks):
        ids = list(model_ids)
        packed = _packed(ws, ids)
        picked, rows = maxmin_landmarks(
            len(ids), LANDMARKS, lambda p: packed.rows(p), seed=seed, batch=BATCH
        )
        table = LandmarkTable([ids[p] for p in picked], ids, rows.T.astype(np.float32))
        _save(ws, table)
    new = [m for m in model_ids if not table.has(m)]
    if new:
        packed = _packed(ws, [*table.landmarks, *new])
        count = len(table.landmarks)
        extra = packed.rows(range(count, count + len(new)), range(count)).astype(np.float32)
        table = LandmarkTable(table.landmarks, table.ids + new, np.vstack([table.rows, extra]))
        _save(ws, table)
    with _lock:
        _tables[path] = table
    return table


def landmark_layout(
    ws: Workspace, model_ids: Sequence[int], seed: int = 0
) -> tuple[npt.NDArray[np.float64], LandmarkFrame, LandmarkTable]:
    """(N×2 landmark-MDS coordinates of ``model_ids`` in that order, frame, table)."""
    from remap.analysis.landmarks import landmark_mds

    table = landmark_table(ws, model_ids, seed)
    rows = table.of(model_ids).T  # L × N
    position = {m: i for i, m in enumerate(model_ids)}
    coords, frame = landmark_mds(rows, [position[m] for m in table.landmarks])
    return coords, frame, table


def candidate_distances(
    ws: Workspace, table: LandmarkTable, new_ids: Sequence[int], old_ids: Sequence[int]
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
    packed = _packed(ws, [*(old_ids[c] for c in involved), *new_ids])
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
