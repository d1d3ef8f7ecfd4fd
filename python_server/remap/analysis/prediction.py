"""Prediction distances between trained models: the original REMAP's prediction
disagreement (fraction of held-out samples on which two models predict different labels)
and a per-class accuracy distance.

Disagreement is computed as ``1 − agreement / N`` where the agreement counts come from
one-hot matrix products over chunks of samples (exact integer counts in float32 per
chunk, accumulated in float64), so 2,000 models × 4,000 samples needs a few tens of MB,
never an M × M × N array. With many classes a sample's labels are first renumbered to
the distinct labels seen for that sample, which keeps the one-hot width small.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# One-hot columns per chunk (models × columns float32 blocks of at most a few tens of MB).
CHUNK_COLUMNS = 4096
# Above this many classes, labels are renumbered per sample before one-hot encoding.
DENSE_CLASS_LIMIT = 64


def _predictions(preds: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(preds)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a models × samples array, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: no samples")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer class labels, got dtype {arr.dtype}")
    if arr.size and int(arr.min()) < 0:
        raise ValueError(f"{name}: class labels must be non-negative, found {int(arr.min())}")
    return arr.astype(np.int64, copy=False)


def _dense_labels(block: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Renumber each column (sample) to 0..k-1 over its distinct labels; returns the
    renumbered block and each column's k."""
    order = np.argsort(block, axis=0, kind="stable")
    ranked = np.take_along_axis(block, order, axis=0)
    new_value = np.zeros(ranked.shape, dtype=np.int64)
    new_value[1:] = ranked[1:] != ranked[:-1]
    dense_sorted = np.cumsum(new_value, axis=0)
    out = np.empty_like(block)
    np.put_along_axis(out, order, dense_sorted, axis=0)
    return out, dense_sorted[-1] + 1


def _agreement(a: NDArray[np.int64], b: NDArray[np.int64] | None) -> NDArray[np.float64]:
    """Counts of samples with equal predictions for every (row of a, row of b) pair."""
    n_a = a.shape[0]
    both = a if b is None else np.concatenate([a, b], axis=0)
    n_samples = both.shape[1]
    n_classes = int(both.max()) + 1
    counts = np.zeros((n_a, n_a if b is None else b.shape[0]))
    block_size = max(1, CHUNK_COLUMNS // min(n_classes, DENSE_CLASS_LIMIT))
    for start in range(0, n_samples, block_size):
        block = both[:, start : start + block_size]
        if n_classes > DENSE_CLASS_LIMIT:
            block, widths = _dense_labels(block)
        else:
            widths = np.full(block.shape[1], n_classes, dtype=np.int64)
        # Sub-chunks whose one-hot width stays within CHUNK_COLUMNS (at least one sample).
        ends = np.cumsum(widths)
        lo = 0
        while lo < block.shape[1]:
            base = ends[lo] - widths[lo]
            hi = max(lo + 1, int(np.searchsorted(ends, base + CHUNK_COLUMNS, side="right")))
            offsets = ends[lo:hi] - widths[lo:hi] - base
            onehot = np.zeros((both.shape[0], int(ends[hi - 1] - base)), dtype=np.float32)
            np.put_along_axis(onehot, block[:, lo:hi] + offsets[None, :], 1.0, axis=1)
            left = onehot[:n_a]
            right = left if b is None else onehot[n_a:]
            counts += (left @ right.T).astype(np.float64)
            lo = hi
    return counts


def disagreement_matrix(preds: ArrayLike) -> NDArray[np.float64]:
    """M × M fraction of samples on which two models predict different labels
    (``preds``: M models × N samples of integer labels); symmetric, zero diagonal."""
    arr = _predictions(preds, "preds")
    agree = _agreement(arr, None)
    out: NDArray[np.float64] = (arr.shape[1] - agree) / arr.shape[1]
    np.fill_diagonal(out, 0.0)
    return out


def disagreement_pairs(preds_a: ArrayLike, preds_b: ArrayLike) -> NDArray[np.float64]:
    """Ma × Mb disagreement between two sets of models predicted on the same samples."""
    a = _predictions(preds_a, "preds_a")
    b = _predictions(preds_b, "preds_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"preds_a has {a.shape[1]} samples per model but preds_b has {b.shape[1]}")
    out: NDArray[np.float64] = (a.shape[1] - _agreement(a, b)) / a.shape[1]
    return out


def _accuracies(acc: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(acc, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name}: expected a models × classes array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: accuracies must be finite numbers (found NaN or inf)")
    return arr


def per_class_accuracy_pairs(acc_a: ArrayLike, acc_b: ArrayLike) -> NDArray[np.float64]:
    """Mean absolute difference of per-class accuracies, Ma × Mb (see
    :func:`per_class_accuracy_distance`)."""
    a, b = _accuracies(acc_a, "acc_a"), _accuracies(acc_b, "acc_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"acc_a has {a.shape[1]} classes but acc_b has {b.shape[1]}")
    out = np.empty((a.shape[0], b.shape[0]))
    rows = max(1, 2_000_000 // max(1, b.shape[0] * a.shape[1]))
    for start in range(0, a.shape[0], rows):
        block = a[start : start + rows]
        out[start : start + rows] = np.abs(block[:, None, :] - b[None, :, :]).mean(axis=2)
    return out


def per_class_accuracy_distance(acc: ArrayLike) -> NDArray[np.float64]:
    """M × M mean absolute difference of per-class accuracies (``acc``: M models × K
    classes, accuracies as fractions): the average gap, in accuracy points over classes,
    between two models — in [0, 1] for fractions, and it stays on the accuracy scale
    whatever K is (a Euclidean distance would grow with √K)."""
    arr = _accuracies(acc, "acc")
    out = per_class_accuracy_pairs(arr, arr)
    np.fill_diagonal(out, 0.0)
    return out
