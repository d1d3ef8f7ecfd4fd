"""Incremental distance matrices: only the new distances are computed, and the result
equals a full recomputation."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pytest

from remap.analysis.matrix import extend_matrix, extend_with
from remap.analysis.otmann import OtmannParams
from remap.analysis.otmann_fast import otmann_matrix, otmann_pairs
from remap.arch.layers import Activation, Conv2D, Dense, MaxPool
from remap.arch.spec import ArchSpec


class CountingDistance:
    """|x − y| on numbers, counting every pair it evaluates."""

    def __init__(self) -> None:
        self.calls = 0

    def pairs(self, a: Sequence[float], b: Sequence[float]) -> np.ndarray:
        self.calls += len(a) * len(b)
        return np.abs(np.subtract.outer(np.asarray(a, float), np.asarray(b, float)))

    def square(self, a: Sequence[float]) -> np.ndarray:
        self.calls += len(a) * (len(a) - 1) // 2  # what a symmetric routine evaluates
        return _full(a)


def _full(values: Sequence[float]) -> np.ndarray:
    return np.abs(np.subtract.outer(np.asarray(values, float), np.asarray(values, float)))


def test_extend_matrix_places_the_blocks() -> None:
    old = _full([0, 1, 3])
    cross = np.abs(np.subtract.outer([6.0, 10.0], [0, 1, 3]))
    block = _full([6, 10])
    assert np.array_equal(extend_matrix(old, cross, block), _full([0, 1, 3, 6, 10]))
    assert np.array_equal(extend_matrix(old, np.zeros((0, 3)), np.zeros((0, 0))), old)
    assert extend_matrix(np.zeros((0, 0)), np.zeros((2, 0)), block).tolist() == block.tolist()
    with pytest.raises(ValueError, match="cross"):
        extend_matrix(old, cross.T, block)
    with pytest.raises(ValueError, match="square"):
        extend_matrix(old, cross, np.zeros((2, 3)))


@pytest.mark.parametrize("use_square", [False, True])
def test_extend_with_computes_only_new_distances(use_square: bool) -> None:
    values = {f"m{i}": float(v) for i, v in enumerate([3, 1, 4, 1.5, 9, 2.6, 5, 3.5])}
    old_ids = ["m0", "m1", "m2", "m3", "m4"]
    old = _full([values[i] for i in old_ids])
    counter = CountingDistance()
    # The new list keeps every old model (in another order) and adds three.
    order = ["m5", "m2", "m0", "m6", "m1", "m3", "m4", "m7"]
    items = [(i, values[i]) for i in order]
    ids, got = extend_with(
        old_ids, old, items, counter.pairs, counter.square if use_square else None
    )
    n, k = 5, 3
    assert counter.calls == k * n + (k * (k - 1) // 2 if use_square else k * k)
    assert ids == order
    assert np.array_equal(got, _full([values[i] for i in order]))


def test_extend_with_drops_models_no_longer_listed() -> None:
    old_ids = ["a", "b", "c"]
    old = _full([0.0, 1.0, 5.0])
    counter = CountingDistance()
    ids, got = extend_with(old_ids, old, [("c", 5.0), ("a", 0.0), ("d", 2.0)], counter.pairs)
    assert ids == ["c", "a", "d"]
    assert counter.calls == 2 + 1
    assert np.array_equal(got, _full([5.0, 0.0, 2.0]))
    counter.calls = 0
    ids, same = extend_with(old_ids, old, [("b", 1.0), ("a", 0.0)], counter.pairs)
    assert counter.calls == 0 and same.tolist() == [[0, 1], [1, 0]]
    ids, fresh = extend_with([], np.zeros((0, 0)), [("x", 1.0), ("y", 4.0)], counter.pairs)
    assert ids == ["x", "y"] and fresh.tolist() == [[0, 3], [3, 0]] and counter.calls == 4


def test_extend_with_rejects_inconsistent_input() -> None:
    old = _full([0.0, 1.0])
    with pytest.raises(ValueError, match="old_ids"):
        extend_with(["a"], old, [], CountingDistance().pairs)
    with pytest.raises(ValueError, match="more than once"):
        extend_with(["a", "b"], old, [("x", 1.0), ("x", 2.0)], CountingDistance().pairs)
    with pytest.raises(ValueError, match="returned shape"):
        extend_with(["a", "b"], old, [("x", 1.0)], lambda a, b: np.zeros((3, 3)))


def test_extend_with_otmann_equals_full_recomputation() -> None:
    specs = [
        ArchSpec((1, 28, 28), 10, (Conv2D(k, f), MaxPool(2), Activation("relu"), Dense(10)))
        for k in (1, 3, 5)
        for f in (16, 64)
    ] + [ArchSpec((1, 28, 28), 10, (Dense(u), Dense(10))) for u in (16, 128, 256)]
    params = OtmannParams.default()
    full = otmann_matrix(specs, params)
    old_ids = [f"s{i}" for i in range(5)]
    items = [(f"s{i}", s) for i, s in enumerate(specs)]
    ids, got = extend_with(
        old_ids,
        full[:5, :5],
        items,
        partial(otmann_pairs, params=params),
        partial(otmann_matrix, params=params),
    )
    assert ids == [f"s{i}" for i in range(len(specs))]
    assert np.allclose(got, full, rtol=1e-12, atol=0)
