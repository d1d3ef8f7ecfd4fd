"""A workspace's distance matrices (OTMANN between models, prediction disagreement between
runs), kept complete incrementally and held compactly.

The store keeps each matrix as append-only blocks of condensed float32 rows
(``Store.append_matrix_rows``); this module keeps an in-process copy of the same condensed
rows per (store, kind, key) and brings it up to date on each use: blocks another process
appended are read, rows for models added since are computed (k new rows cost k·N + k(k−1)/2
distances) and appended in blocks, so an interrupted first computation resumes where it
stopped. Nothing is re-read or recomputed when nothing changed. Rows whose key disappeared
(a retrained model's old run) make the matrix be rewritten from the rows it keeps.

``RowMatrix`` gives what layouts need without an N×N float64 copy: a few full rows (for
placing new models) or the whole square in float32 (for a fit).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from remap.service.workspace import Workspace

F32 = npt.NDArray[np.float32]
BLOCK_ROWS = 512  # rows computed and stored per block (progress survives an interruption)

# pair_fn(new_keys, old_keys) → k×n distances; square_fn(new_keys) → k×k distances
PairFn = Callable[[Sequence[int], Sequence[int]], npt.ArrayLike]
SquareFn = Callable[[Sequence[int]], npt.ArrayLike]


def _tri(i: int | npt.NDArray[np.int64]) -> Any:
    """Offset of condensed row ``i`` (its distances to rows 0 … i−1)."""
    return i * (i - 1) // 2


@dataclass
class RowMatrix:
    """A symmetric distance matrix as condensed lower-triangle rows (float32), growable."""

    ids: list[int] = field(default_factory=list)
    _data: F32 = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _index: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return int(_tri(self.n)) * 4

    def position(self, key: int) -> int:
        return self._index[key]

    def append(self, ids: Sequence[int], condensed: npt.ArrayLike) -> None:
        """Add rows for ``ids``; ``condensed`` holds each new row's distances to all rows
        before it, row after row."""
        values = np.asarray(condensed, dtype=np.float32).reshape(-1)
        start, end = _tri(self.n), _tri(self.n + len(ids))
        if values.size != end - start:
            raise ValueError(f"expected {end - start} distances for {len(ids)} rows")
        if self._data.size < end:  # grow by half again: appends stay amortised O(1)
            grown = np.zeros(max(end, int(self._data.size * 1.5)), dtype=np.float32)
            grown[:start] = self._data[:start]
            self._data = grown
        self._data[start:end] = values
        for key in ids:
            self._index[key] = len(self.ids)
            self.ids.append(key)

    def reserve(self, n: int) -> None:
        """Room for ``n`` rows without growing again (no spare half when the size is known)."""
        end = _tri(n)
        if self._data.size < end:
            grown = np.zeros(end, dtype=np.float32)
            used = _tri(self.n)
            grown[:used] = self._data[:used]
            self._data = grown

    def rows(self, positions: Sequence[int]) -> F32:
        """Full rows (len(positions) × n) of the given row positions."""
        n = self.n
        out = np.zeros((len(positions), n), dtype=np.float32)
        for r, i in enumerate(positions):
            t = _tri(i)
            out[r, :i] = self._data[t : t + i]
            if i + 1 < n:
                later = np.arange(i + 1, n, dtype=np.int64)
                out[r, i + 1 :] = self._data[_tri(later) + i]
        return out

    def square(self, order: Sequence[int] | None = None) -> F32:
        """The N×N matrix (float32), rows/columns in ``order`` (positions) if given."""
        n = self.n
        if order is not None and 2 * len(order) < n:  # a sample: its rows, not all N×N
            cols = np.asarray(order, dtype=np.int64)
            sub: F32 = self.rows(list(order))[:, cols]
            return sub
        out = np.zeros((n, n), dtype=np.float32)
        for i in range(1, n):
            t = _tri(i)
            out[i, :i] = self._data[t : t + i]
        for r0 in range(0, n, BLOCK_ROWS):  # mirror block by block: no N×N temporary
            r1 = min(r0 + BLOCK_ROWS, n)
            out[:r0, r0:r1] = out[r0:r1, :r0].T
            block = out[r0:r1, r0:r1]
            block += block.T
        if order is not None and list(order) != list(range(n)):
            index = np.asarray(order, dtype=np.int64)
            out = out[np.ix_(index, index)]
        return out

    def condensed_rows(self, positions: Sequence[int]) -> F32:
        """Condensed rows of a new matrix made of the rows ``positions`` (in that order)."""
        pieces = []
        for r in range(1, len(positions)):
            row = self.rows([positions[r]])[0]
            pieces.append(row[np.asarray(positions[:r], dtype=np.int64)])
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


@dataclass
class _Entry:
    matrix: RowMatrix
    blocks: int


_cache: dict[tuple[str, str, str], _Entry] = {}
_lock = threading.Lock()
_busy: dict[tuple[str, str, str], threading.Lock] = {}  # one completion at a time per matrix
ProgressFn = Callable[[int, int], None]  # (rows held, rows wanted)


def matrix_lock(ws: Workspace, kind: str, key: str) -> threading.Lock:
    """The lock a completion of (kind, key) holds: ``locked()`` says one is under way."""
    with _lock:
        return _busy.setdefault((str(ws.store.path), kind, key), threading.Lock())


def missing_pairs(ws: Workspace, kind: str, key: str, wanted: int) -> int:
    """Distances still to compute for a matrix of ``wanted`` keys, from the rows stored
    (one small query; assumes the stored keys are among the wanted ones)."""
    stored = min(ws.store.matrix_rows_extent(kind, key)[0], wanted)
    return int(_tri(wanted) - _tri(stored))


def clear_cache() -> None:
    """Forget every in-process matrix (tests; a closed store)."""
    with _lock:
        _cache.clear()


def _load(ws: Workspace, kind: str, key: str) -> _Entry:
    """The in-process copy, caught up with the blocks in the store."""
    cache_key = (str(ws.store.path), kind, key)
    stored_rows, stored_blocks = ws.store.matrix_rows_extent(kind, key)
    with _lock:
        entry = _cache.get(cache_key)
    if entry is None or stored_rows < entry.matrix.n or stored_blocks < entry.blocks:
        entry = _Entry(RowMatrix(), 0)  # first use, or rewritten by someone else: reload
    if stored_rows > entry.matrix.n and not _read_blocks(ws, kind, key, entry, stored_rows):
        entry = _Entry(RowMatrix(), 0)  # blocks do not line up with ours: start over
        _read_blocks(ws, kind, key, entry, stored_rows)
    with _lock:
        _cache[cache_key] = entry
    return entry


def _read_blocks(ws: Workspace, kind: str, key: str, entry: _Entry, rows: int) -> bool:
    """Append the stored blocks after the entry's rows, one at a time (no second copy of the
    whole matrix in memory); False if they do not start where the entry ends."""
    entry.matrix.reserve(rows)
    while entry.matrix.n < rows:
        found = ws.store.matrix_row_blocks(kind, key, entry.matrix.n, limit=1)
        if not found or found[0][0] != entry.matrix.n:
            return False
        _, ids, data = found[0]
        entry.matrix.append(ids, data)
        entry.blocks += 1
    return True


def _append(
    ws: Workspace, kind: str, key: str, entry: _Entry, ids: Sequence[int], data: F32
) -> None:
    ws.store.append_matrix_rows(kind, key, entry.matrix.n, ids, data)
    entry.matrix.append(ids, data)
    entry.blocks += 1


def complete_matrix(
    ws: Workspace,
    kind: str,
    key: str,
    wanted: Sequence[int],
    pair_fn: PairFn,
    square_fn: SquareFn,
    block_rows: int = BLOCK_ROWS,
    progress: ProgressFn | None = None,
) -> RowMatrix:
    """The matrix (kind, key) holding exactly the keys ``wanted`` (in any row order),
    computing only the rows it lacks. Keys it holds that are not wanted are dropped by
    rewriting the matrix from the rows it keeps. ``progress(rows, total)`` is called after
    each stored block. One completion per matrix runs at a time (others wait)."""
    with matrix_lock(ws, kind, key):
        return _complete(ws, kind, key, wanted, pair_fn, square_fn, block_rows, progress)


def _complete(
    ws: Workspace,
    kind: str,
    key: str,
    wanted: Sequence[int],
    pair_fn: PairFn,
    square_fn: SquareFn,
    block_rows: int,
    progress: ProgressFn | None,
) -> RowMatrix:
    entry = _load(ws, kind, key)
    matrix = entry.matrix
    wanted_set = set(wanted)
    if any(k not in wanted_set for k in matrix.ids):
        kept = [matrix.position(k) for k in matrix.ids if k in wanted_set]
        kept_ids = [matrix.ids[p] for p in kept]
        condensed = matrix.condensed_rows(kept)
        ws.store.append_matrix_rows(kind, key, 0, kept_ids, condensed)
        entry = _Entry(RowMatrix(), 1)
        entry.matrix.append(kept_ids, condensed)
        with _lock:
            _cache[(str(ws.store.path), kind, key)] = entry
        matrix = entry.matrix
    missing = [k for k in wanted if k not in matrix._index]
    matrix.reserve(matrix.n + len(missing))
    for b0 in range(0, len(missing), block_rows):
        new = missing[b0 : b0 + block_rows]
        old = list(matrix.ids)
        cross = np.zeros((len(new), 0))
        if old:
            cross = np.asarray(pair_fn(new, old), dtype=np.float64).reshape(len(new), len(old))
        block = np.asarray(square_fn(new), dtype=np.float64).reshape(len(new), len(new))
        pieces = [
            np.concatenate([cross[r], block[r, :r]]).astype(np.float32) for r in range(len(new))
        ]
        data = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        _append(ws, kind, key, entry, new, data)
        if progress is not None:
            progress(matrix.n, len(wanted))
    return matrix
