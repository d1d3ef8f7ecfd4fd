"""Input checks for projections and layouts: distance matrices, id lists, duplicate groups.

Owns ``DistanceMatrixError`` (a ``ValueError`` whose message names the matrix and the bad
entry) and the helpers that turn user-supplied arrays into clean float64 matrices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "DistanceMatrixError",
    "check_block",
    "check_distances",
    "check_ids",
    "duplicate_groups",
    "row_blocks",
]


class DistanceMatrixError(ValueError):
    """A distance matrix (or id list) is unusable; the message says which one and why."""


def _as_float_matrix(values: ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DistanceMatrixError(f"{name}: not a numeric matrix ({exc})") from exc
    if arr.ndim != 2:
        raise DistanceMatrixError(f"{name}: expected a 2-D matrix, got {arr.ndim} dimension(s)")
    return arr


def _first_bad(mask: NDArray[np.bool_]) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)


def _check_entries(arr: FloatArray, name: str, row0: int = 0) -> None:
    """Finite and non-negative entries; ``row0`` offsets the reported row of a row block."""
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = _first_bad(bad)
        value = arr[i, j]
        raise DistanceMatrixError(f"{name}[{i + row0}, {j}] = {value} is not a finite distance")
    neg = arr < 0
    if neg.any():
        i, j = _first_bad(neg)
        raise DistanceMatrixError(f"{name}[{i + row0}, {j}] = {arr[i, j]} is negative")


BLOCK_ROWS = 256


def row_blocks(n: int, size: int = BLOCK_ROWS) -> list[slice]:
    """Slices covering range(n) in blocks, for N×N work without N×N temporaries."""
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def check_distances(
    values: ArrayLike, name: str = "distances", rel_tol: float = 1e-6
) -> FloatArray:
    """Return a symmetric float64 copy with a zero diagonal, or raise ``DistanceMatrixError``.

    Entries must be finite and non-negative; the matrix must be square, symmetric and have a
    zero diagonal up to ``rel_tol`` times its largest entry (tiny asymmetries are averaged).
    Works block by block, so the only N×N allocation is the returned copy.
    """
    arr = _as_float_matrix(values, name)
    n, m = arr.shape
    if n != m:
        raise DistanceMatrixError(f"{name}: matrix is {n}×{m}, expected a square N×N matrix")
    out = np.array(arr, dtype=np.float64, copy=True)
    for rows in row_blocks(n):
        _check_entries(out[rows], name, rows.start)
    tol = rel_tol * max(float(out.max(initial=0.0)), 1.0)
    diag = np.abs(np.diagonal(out))
    if (diag > tol).any():
        i = int(np.argmax(diag > tol))
        raise DistanceMatrixError(f"{name}[{i}, {i}] = {out[i, i]}: the diagonal must be zero")
    blocks = row_blocks(n)
    for bi, rows in enumerate(blocks):
        for cols in blocks[bi:]:
            upper = out[rows, cols]
            lower_t = out[cols, rows].T
            asym = np.abs(upper - lower_t) > tol
            if asym.any():
                i, j = _first_bad(asym)
                i, j = i + rows.start, j + cols.start
                a, b = out[i, j], out[j, i]
                raise DistanceMatrixError(
                    f"{name} is not symmetric: [{i}, {j}] = {a} but [{j}, {i}] = {b}"
                )
            mean = 0.5 * (upper + lower_t)
            out[rows, cols] = mean
            out[cols, rows] = mean.T
    np.fill_diagonal(out, 0.0)
    return out


def check_block(values: ArrayLike, rows: int, cols: int, name: str) -> FloatArray:
    """A rows×cols matrix of finite non-negative distances (e.g. new-to-old cross distances)."""
    arr = _as_float_matrix(values, name) if rows * cols else np.zeros((rows, cols))
    if arr.shape != (rows, cols):
        shape = "×".join(str(s) for s in arr.shape)
        raise DistanceMatrixError(f"{name}: matrix is {shape}, expected {rows}×{cols}")
    _check_entries(arr, name)
    return np.array(arr, dtype=np.float64)


def check_ids(ids: Sequence[str], expected: int | None, name: str = "ids") -> tuple[str, ...]:
    """Ids as a tuple of unique strings, of the expected length when given."""
    out = tuple(str(i) for i in ids)
    if expected is not None and len(out) != expected:
        raise DistanceMatrixError(f"{name}: {len(out)} ids for a matrix of {expected} models")
    seen: set[str] = set()
    for i in out:
        if i in seen:
            raise DistanceMatrixError(f"{name}: id {i!r} appears more than once")
        seen.add(i)
    return out


def duplicate_groups(distances: FloatArray, tol: float = 0.0) -> tuple[IntArray, IntArray]:
    """Group models at distance ≤ ``tol`` from each other (connected components).

    Returns ``(representatives, group_of)``: the first index of each group, in order, and for
    every model the position of its group in ``representatives``.
    """
    n = distances.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    close = distances <= tol
    np.fill_diagonal(close, False)
    if not close.any():
        idx = np.arange(n, dtype=np.intp)
        return idx, idx.copy()
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(csr_matrix(close), directed=False)
    # Renumber groups by their first member so representatives keep the input order.
    first: dict[int, int] = {}
    group_of = np.empty(n, dtype=np.intp)
    reps: list[int] = []
    for i, lab in enumerate(labels.tolist()):
        if lab not in first:
            first[lab] = len(reps)
            reps.append(i)
        group_of[i] = first[lab]
    return np.asarray(reps, dtype=np.intp), group_of
