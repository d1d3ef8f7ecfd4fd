"""Incremental all-pairs distance matrices: when k models join N known ones, only the
k·N cross distances and the k × k block among the newcomers are computed.

:func:`extend_matrix` assembles the blocks; :func:`extend_with` works from ids: given the
ids and matrix already known and the full list of ``(id, item)`` now wanted, it reuses
every known distance, computes the rest with a rectangular ``pair_fn`` (for example
``functools.partial(otmann_pairs, params=...)``) and returns the matrix in the order of
the list (known models that are no longer listed are dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

T = TypeVar("T")
PairFn = Callable[[Sequence[T], Sequence[T]], Any]


def _square(matrix: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(matrix, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {arr.shape}")
    return arr


def extend_matrix(old: ArrayLike, cross: ArrayLike, new_block: ArrayLike) -> NDArray[np.float64]:
    """``[[old, crossᵀ], [cross, new_block]]``: old is N × N, cross k × N (new × old) and
    new_block k × k; the result is (N + k) × (N + k)."""
    old_arr = _square(old, "old")
    block = _square(new_block, "new_block")
    n, k = old_arr.shape[0], block.shape[0]
    cross_arr = np.asarray(cross, dtype=np.float64)
    if cross_arr.size == 0 and k * n == 0:
        cross_arr = np.zeros((k, n))
    if cross_arr.shape != (k, n):
        raise ValueError(f"cross: expected shape {(k, n)} (new × old), got {cross_arr.shape}")
    out = np.empty((n + k, n + k))
    out[:n, :n] = old_arr
    out[n:, :n] = cross_arr
    out[:n, n:] = cross_arr.T
    out[n:, n:] = block
    return out


def extend_with(
    old_ids: Sequence[Hashable],
    old_matrix: ArrayLike,
    items: Sequence[tuple[Hashable, T]],
    pair_fn: PairFn[T],
    square_fn: Callable[[Sequence[T]], Any] | None = None,
) -> tuple[list[Hashable], NDArray[np.float64]]:
    """The matrix over ``items`` (in their order) reusing ``old_matrix`` for ``old_ids``.

    Only k·N distances go through ``pair_fn(new_items, old_items)`` and the newcomers'
    k × k block through ``square_fn(new_items)`` when given (a symmetric routine computing
    k(k−1)/2 pairs), otherwise ``pair_fn(new_items, new_items)``.
    """
    old = _square(old_matrix, "old_matrix")
    if len(old_ids) != old.shape[0]:
        raise ValueError(f"old_ids has {len(old_ids)} ids but old_matrix is {old.shape}")
    position = {model_id: i for i, model_id in enumerate(old_ids)}
    if len(position) != len(old_ids):
        raise ValueError("old_ids contains duplicate ids")
    ids = [model_id for model_id, _ in items]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        raise ValueError(f"items contain the id {dup!r} more than once")
    kept = [i for i, model_id in enumerate(ids) if model_id in position]
    fresh = [i for i, model_id in enumerate(ids) if model_id not in position]
    kept_old = np.array([position[ids[i]] for i in kept], dtype=np.int64)
    known = old[np.ix_(kept_old, kept_old)]
    new_items = [items[i][1] for i in fresh]
    kept_items = [items[i][1] for i in kept]
    k, n = len(fresh), len(kept)
    cross = _block(pair_fn(new_items, kept_items), (k, n), "pair_fn") if k and n else None
    if k == 0:
        block = np.zeros((0, 0))
    elif square_fn is not None:
        block = _block(square_fn(new_items), (k, k), "square_fn")
    else:
        block = _block(pair_fn(new_items, new_items), (k, k), "pair_fn")
    merged = extend_matrix(known, cross if cross is not None else np.zeros((k, n)), block)
    order = np.empty(len(ids), dtype=np.int64)
    order[kept] = np.arange(n)
    order[fresh] = n + np.arange(k)
    return ids, merged[np.ix_(order, order)]


def _block(values: Any, shape: tuple[int, int], name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} returned shape {arr.shape}, expected {shape}")
    return arr
