"""Prediction disagreement and per-class accuracy distances against direct definitions."""

from __future__ import annotations

import numpy as np
import pytest

from remap.analysis import prediction
from remap.analysis.prediction import (
    disagreement_matrix,
    disagreement_pairs,
    per_class_accuracy_distance,
    per_class_accuracy_pairs,
)


def _naive(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([[np.mean(x != y) for y in b] for x in a])


@pytest.mark.parametrize("classes", [2, 10, 300])
def test_disagreement_equals_the_definition(classes: int) -> None:
    rng = np.random.default_rng(classes)
    truth = rng.integers(0, classes, 333)
    preds = np.where(rng.random((25, 333)) < 0.7, truth, rng.integers(0, classes, (25, 333)))
    preds[5] = preds[6]
    got = disagreement_matrix(preds)
    assert np.array_equal(got, _naive(preds, preds))  # exact: counts are integers
    assert np.array_equal(got, got.T) and np.all(np.diag(got) == 0)
    assert got[5, 6] == 0.0 and got.max() > 0.2
    other = rng.integers(0, classes, (4, 333))
    assert np.array_equal(disagreement_pairs(preds, other), _naive(preds, other))


def test_small_chunks_and_wide_classes_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    preds = rng.integers(0, 1000, (12, 97))
    preds[:, ::3] = 7  # many samples where every model agrees
    want = _naive(preds, preds)
    monkeypatch.setattr(prediction, "CHUNK_COLUMNS", 5)
    assert np.array_equal(disagreement_matrix(preds), want)
    monkeypatch.setattr(prediction, "DENSE_CLASS_LIMIT", 4)
    small = rng.integers(0, 10, (9, 50))
    assert np.array_equal(disagreement_matrix(small), _naive(small, small))


def test_disagreement_fits_the_product_scale() -> None:
    rng = np.random.default_rng(2)
    preds = rng.integers(0, 10, (2000, 400)).astype(np.int16)
    got = disagreement_matrix(preds)
    assert got.shape == (2000, 2000)
    rows = [0, 999, 1999]
    assert np.array_equal(got[rows], _naive(preds[rows], preds))


@pytest.mark.parametrize(
    "preds, message",
    [
        (np.zeros(5, dtype=int), "models × samples"),
        (np.zeros((3, 0), dtype=int), "no samples"),
        (np.zeros((3, 4)), "integer class labels"),
        (-np.ones((3, 4), dtype=int), "non-negative"),
    ],
)
def test_bad_predictions_are_named(preds: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        disagreement_matrix(preds)


def test_pairs_need_the_same_samples() -> None:
    with pytest.raises(ValueError, match="samples"):
        disagreement_pairs(np.zeros((2, 5), dtype=int), np.zeros((2, 6), dtype=int))


def test_per_class_accuracy_distance_is_the_mean_absolute_gap() -> None:
    rng = np.random.default_rng(3)
    acc = rng.random((30, 10))
    got = per_class_accuracy_distance(acc)
    want = np.abs(acc[:, None, :] - acc[None, :, :]).mean(axis=2)
    assert np.allclose(got, want, rtol=0, atol=1e-15)
    assert np.all(np.diag(got) == 0) and np.array_equal(got, got.T)
    assert per_class_accuracy_distance([[1.0, 0.0], [0.5, 0.5]])[0, 1] == 0.5
    assert np.allclose(per_class_accuracy_pairs(acc[:4], acc), want[:4])
    with pytest.raises(ValueError, match="finite"):
        per_class_accuracy_distance([[0.5, np.nan]])
    with pytest.raises(ValueError, match="classes"):
        per_class_accuracy_pairs(acc, acc[:, :3])
