"""The bundled digits set, the deterministic stratified split, and the synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from remap.arch.original import load_model_set
from remap.arch.shapes import validate
from remap.data import (
    DataError,
    Dataset,
    load_digits_dataset,
    load_split,
    make_synthetic_split,
    split_dataset,
)


def test_digits_shape_range_and_classes() -> None:
    ds = load_digits_dataset()
    assert ds.name == "digits"
    assert ds.x.shape == (1797, 1, 28, 28)
    assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    assert ds.classes == tuple(str(d) for d in range(10))
    assert ds.input_shape == (1, 28, 28)
    assert float(ds.x.min()) >= 0.0 and float(ds.x.max()) <= 1.0
    assert float(ds.x.max()) > 0.9  # actually scaled to the full range, not left at /255
    assert sorted(np.unique(ds.y).tolist()) == list(range(10))


def test_digits_is_an_upsampling_of_sklearn_digits() -> None:
    ds = load_digits_dataset()
    orig = load_digits().images / 16.0
    np.testing.assert_array_equal(ds.y, load_digits().target)
    # corners are the original corners (bilinear zoom keeps the grid ends) ...
    np.testing.assert_allclose(ds.x[:, 0, 0, 0], orig[:, 0, 0], atol=1e-6)
    np.testing.assert_allclose(ds.x[:, 0, -1, -1], orig[:, -1, -1], atol=1e-6)
    # ... and every pixel is the bilinear interpolation of the 8×8 grid (checked with an
    # independent separable np.interp reference on a few images)
    pos = np.arange(28) * 7 / 27
    for i in (0, 5, 1000):
        rows = np.stack([np.interp(pos, np.arange(8), r) for r in orig[i]])  # (8, 28)
        ref = np.stack([np.interp(pos, np.arange(8), c) for c in rows.T]).T  # (28, 28)
        np.testing.assert_allclose(ds.x[i, 0], ref, atol=1e-5)


def test_digits_is_cached_and_read_only() -> None:
    a, b = load_digits_dataset(), load_digits_dataset()
    assert a.x is b.x
    with pytest.raises(ValueError):
        a.x[0, 0, 0, 0] = 1.0
    split = load_split("digits")
    split.train_x[0, 0, 0, 0] = 0.5  # splits are copies, writable
    assert load_digits_dataset().x is a.x


def test_original_model_set_runs_on_digits(reference_dir: Path) -> None:
    models = load_model_set(reference_dir / "models.json")
    ds = load_digits_dataset()
    assert models.input_shape == ds.input_shape
    assert models.num_classes == len(ds.classes)
    for entry in models.models:
        validate(entry.spec)


def test_split_is_deterministic_and_seed_dependent() -> None:
    a = load_split("digits", holdout=0.2, seed=3)
    b = load_split("digits", holdout=0.2, seed=3)
    c = load_split("digits", holdout=0.2, seed=4)
    np.testing.assert_array_equal(a.test_y, b.test_y)
    np.testing.assert_array_equal(a.test_x, b.test_x)
    assert a.fingerprint == b.fingerprint
    assert not np.array_equal(a.test_x, c.test_x)
    assert len(a.test_y) + len(a.train_y) == 1797


def test_split_is_stratified_and_disjoint() -> None:
    ds = load_digits_dataset()
    split = split_dataset(ds, holdout=0.25, seed=0)
    total = np.bincount(ds.y, minlength=10)
    held = np.bincount(split.test_y, minlength=10)
    assert np.all(np.abs(held - total * 0.25) <= 1)
    flat = {row.tobytes() for row in split.test_x.reshape(len(split.test_x), -1)}
    overlap = sum(row.tobytes() in flat for row in split.train_x.reshape(len(split.train_x), -1))
    assert overlap <= 2  # only sklearn's few duplicate images may appear on both sides


def test_split_keeps_one_of_each_side_for_tiny_classes() -> None:
    x = np.zeros((5, 1, 4, 4), np.float32)
    y = np.array([0, 0, 1, 1, 1], np.int64)
    split = split_dataset(Dataset("t", ("a", "b"), x, y), holdout=0.1)
    assert sorted(split.test_y.tolist()) == [0, 1]


def test_digits_max_per_class_and_bad_holdout() -> None:
    split = load_split("digits", max_per_class=10)
    assert len(split.train_y) + len(split.test_y) == 100
    with pytest.raises(DataError, match="held-out fraction"):
        load_split("digits", holdout=1.5)
    with pytest.raises(DataError, match="unknown option size"):
        load_split("digits", size=3)


def test_synthetic_is_deterministic_balanced_and_in_range() -> None:
    a = make_synthetic_split(200, 50, input_shape=(3, 16, 16), num_classes=4, seed=1)
    b = make_synthetic_split(200, 50, input_shape=(3, 16, 16), num_classes=4, seed=1)
    c = make_synthetic_split(200, 50, input_shape=(3, 16, 16), num_classes=4, seed=2)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    np.testing.assert_array_equal(a.test_y, b.test_y)
    assert not np.array_equal(a.train_x, c.train_x)
    assert a.train_x.shape == (200, 3, 16, 16) and a.test_x.shape == (50, 3, 16, 16)
    assert a.train_x.dtype == np.float32 and a.train_y.dtype == np.int64
    assert float(a.train_x.min()) >= 0.0 and float(a.train_x.max()) <= 1.0
    assert np.bincount(a.train_y).tolist() == [50, 50, 50, 50]
    assert a.classes == ("c0", "c1", "c2", "c3")


def test_synthetic_is_learnable() -> None:
    split = make_synthetic_split(400, 200, seed=0)
    flat_tr = split.train_x.reshape(len(split.train_x), -1)
    flat_te = split.test_x.reshape(len(split.test_x), -1)
    centroids = np.stack([flat_tr[split.train_y == k].mean(0) for k in range(10)])
    dist = ((flat_te[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = float((dist.argmin(1) == split.test_y).mean())
    assert accuracy > 0.7  # far above chance (0.1): the classes are distinguishable
    assert accuracy < 1.0 or float(split.test_x.std()) > 0.05  # and not trivially noise-free


def test_synthetic_via_registry_and_bad_arguments() -> None:
    split = load_split("synthetic", n_train=30, n_test=10, num_classes=3, seed=5)
    assert split.train_x.shape == (30, 1, 28, 28) and split.num_classes == 3
    with pytest.raises(DataError, match="num_classes"):
        make_synthetic_split(10, 10, num_classes=1)
    with pytest.raises(DataError, match="input_shape"):
        make_synthetic_split(10, 10, input_shape=(1, 2, 2))
    with pytest.raises(DataError, match="n_train"):
        make_synthetic_split(0, 10)
