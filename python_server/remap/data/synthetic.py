"""Deterministic, learnable synthetic data for tests and benchmarks: every class has a
prototype of a few blurred strokes (and, with several channels, its own colour); a sample is
its class prototype shifted by a pixel or two, scaled in brightness, plus Gaussian noise,
clipped to [0, 1]. The same arguments always give the same arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from remap.data.dataset import DataError, FloatArray, LabelArray, Split

SYNTHETIC_NAME = "synthetic"
_STROKES = 3
_NOISE = 0.1


def _stroke(
    h: int, w: int, a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], sigma: float
) -> FloatArray:
    """A blurred line segment from a to b (row, column) on an h×w canvas, peak 1."""
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    d = b - a
    length2 = float(d @ d) or 1.0
    t = np.clip(((rows - a[0]) * d[0] + (cols - a[1]) * d[1]) / length2, 0.0, 1.0)
    dist2 = (rows - (a[0] + t * d[0])) ** 2 + (cols - (a[1] + t * d[1])) ** 2
    out: FloatArray = np.exp(-dist2 / (2.0 * sigma**2)).astype(np.float32)
    return out


def _prototypes(rng: np.random.Generator, shape: tuple[int, int, int], k: int) -> FloatArray:
    c, h, w = shape
    sigma = max(0.6, min(h, w) / 28.0)
    protos = np.zeros((k, c, h, w), dtype=np.float32)
    scale = np.array([h - 1, w - 1], dtype=np.float64)
    for label in range(k):
        img = np.zeros((h, w), dtype=np.float32)
        for _ in range(_STROKES):
            a, b = rng.uniform(0.15, 0.85, size=(2, 2)) * scale
            img = np.maximum(img, _stroke(h, w, a, b, sigma))
        colour = np.ones(c) if c == 1 else rng.uniform(0.2, 1.0, size=c)
        protos[label] = colour[:, None, None].astype(np.float32) * img
    return protos


def _samples(rng: np.random.Generator, protos: FloatArray, n: int) -> tuple[FloatArray, LabelArray]:
    k, _, h, w = protos.shape
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)
    reach = max(1, min(h, w) // 14)
    shifts = rng.integers(-reach, reach + 1, size=(n, 2))
    x = protos[labels] * rng.uniform(0.7, 1.0, size=(n, 1, 1, 1)).astype(np.float32)
    for dy, dx in {(int(a), int(b)) for a, b in shifts}:
        sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
        x[sel] = np.roll(x[sel], (dy, dx), axis=(2, 3))
    x += rng.normal(0.0, _NOISE, size=x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0, out=x), labels


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(SYNTHETIC_NAME, f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def make_synthetic_split(
    n_train: int,
    n_test: int,
    input_shape: tuple[int, int, int] = (1, 28, 28),
    num_classes: int = 10,
    seed: int = 0,
) -> Split:
    """``n_train`` training and ``n_test`` held-out samples, classes balanced (counts differ by
    at most one), float32 (N, C, H, W) in [0, 1]; classes named "c0", "c1", ..."""
    n_train = _positive_int(n_train, "n_train")
    n_test = _positive_int(n_test, "n_test")
    k = _positive_int(num_classes, "num_classes", 2)
    try:
        c, h, w = (int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise DataError(
            SYNTHETIC_NAME, f"input_shape must be (C, H, W), got {input_shape!r}"
        ) from None
    if c < 1 or h < 4 or w < 4:
        raise DataError(
            SYNTHETIC_NAME, f"input_shape needs C ≥ 1 and H, W ≥ 4, got {input_shape!r}"
        )
    rng = np.random.default_rng(seed)
    protos = _prototypes(rng, (c, h, w), k)
    tr_x, tr_y = _samples(rng, protos, n_train)
    te_x, te_y = _samples(rng, protos, n_test)
    classes = tuple(f"c{i}" for i in range(k))
    return Split(SYNTHETIC_NAME, classes, tr_x, tr_y, te_x, te_y)
