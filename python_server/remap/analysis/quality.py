"""How faithful a 2-D layout is to its distance matrix.

Owns ``trustworthiness_of`` (sklearn's neighbourhood trustworthiness on a precomputed matrix,
computed here without importing sklearn; 1 = no false neighbours in the layout) and
``normalized_stress`` (Kruskal stress-1 after the best uniform scaling, 0 = distances
reproduced exactly), so users and benchmarks can compare UMAP and MDS layouts of the same
models.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .proj_checks import DistanceMatrixError, check_distances, row_blocks

__all__ = [
    "max_trustworthiness_neighbors",
    "normalized_stress",
    "sample_points",
    "trustworthiness_of",
]

MAX_POINTS = 2000


def _coords(layout_coords: ArrayLike, n: int) -> np.ndarray:
    pts = np.asarray(layout_coords, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] != n:
        raise DistanceMatrixError(
            f"layout_coords: shape {pts.shape} does not match a distance matrix of {n} models"
        )
    return pts


def max_trustworthiness_neighbors(n: int) -> int:
    """The largest neighbourhood sklearn accepts for n points (it needs k < n / 2)."""
    return max(0, (n - 1) // 2)


def sample_points(n: int, max_points: int = MAX_POINTS, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a seeded random sample of ``max_points`` of ``n`` points, or None
    when all ``n`` can be used (callers holding a compact matrix sample before expanding it)."""
    if n <= max_points:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def trustworthiness_of(
    layout_coords: ArrayLike,
    distances: ArrayLike,
    n_neighbors: int = 10,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> float:
    """Trustworthiness in [0, 1] of ``layout_coords`` (N×2) w.r.t. the N×N ``distances``.

    ``n_neighbors`` is clamped to what N allows; with fewer than 3 points every layout is
    trivially trustworthy (1.0). Above ``max_points`` models it is estimated on a seeded
    random sample of that many (sklearn sorts whole N×N matrices: 10,000 models would take
    gigabytes and minutes).
    """
    if n_neighbors < 1:
        raise ValueError(f"trustworthiness_of: n_neighbors must be ≥ 1, got {n_neighbors}")
    arr = np.asarray(distances)
    pts_in = np.asarray(layout_coords, dtype=np.float64)
    pick = sample_points(arr.shape[0], max_points, seed) if arr.ndim == 2 else None
    if pick is not None and pts_in.shape[:1] == arr.shape[:1]:
        arr, pts_in = arr[np.ix_(pick, pick)], pts_in[pick]
    d = check_distances(arr)
    pts = _coords(pts_in, d.shape[0])
    k = min(n_neighbors, max_trustworthiness_neighbors(d.shape[0]))
    if k < 1:
        return 1.0
    return _trustworthiness(d, pts, k)


def _trustworthiness(d: np.ndarray, pts: np.ndarray, k: int) -> float:
    """sklearn's ``trustworthiness(..., metric="precomputed")``, without importing sklearn
    (seconds on a busy machine, on the first map of a session): every point's k nearest
    neighbours in the layout are penalised by how far beyond k they rank in the input."""
    from scipy.spatial.distance import cdist

    n = d.shape[0]
    rows = np.arange(n)[:, None]
    dist = np.array(d, dtype=np.float64)
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1, kind="stable")
    ranks = np.empty((n, n), dtype=np.int64)
    ranks[rows, order] = np.arange(1, n + 1)
    emb = cdist(pts, pts)
    np.fill_diagonal(emb, np.inf)
    nearest = np.argsort(emb, axis=1, kind="stable")[:, :k]
    excess = np.clip(ranks[rows, nearest] - k, 0, None).sum()
    return float(1.0 - excess * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))))


def normalized_stress(layout_coords: ArrayLike, distances: ArrayLike) -> float:
    """Kruskal stress-1 ``sqrt(Σ(δ − s·d)² / Σδ²)`` with the best scale s (0 if all δ = 0)."""
    delta = check_distances(distances)
    pts = _coords(layout_coords, delta.shape[0])
    from scipy.spatial.distance import cdist

    dd = zz = cross = 0.0
    for rows in row_blocks(delta.shape[0]):
        block = delta[rows]
        dz = cdist(pts[rows], pts)
        dd += float(np.einsum("ij,ij->", block, block))
        zz += float(np.einsum("ij,ij->", dz, dz))
        cross += float(np.einsum("ij,ij->", block, dz))
    if dd == 0.0:
        return 0.0
    scale = cross / zz if zz > 0 else 0.0
    residual = max(dd - 2.0 * scale * cross + scale * scale * zz, 0.0)
    return float(np.sqrt(residual / dd))
