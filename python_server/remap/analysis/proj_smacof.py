"""Metric MDS for the analysis layer: classical (Torgerson) MDS and SMACOF stress majorisation.

Owns the numeric core of the MDS projection and of out-of-sample placement:

- ``classical_mds``: deterministic Torgerson scaling (used as SMACOF's start and for tiny N);
- ``smacof``: full metric-MDS fit by Guttman transforms, memory-frugal (two N×N work buffers);
- ``place_free_points``: stress majorisation of a few *free* points against *fixed* points
  (the old layout never moves), with per-pair weights.

Everything is deterministic: eigenvector signs are fixed and the only randomness (the start of
the sparse eigen-solver) comes from the given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["SmacofResult", "classical_mds", "place_free_points", "smacof"]


@dataclass(frozen=True)
class SmacofResult:
    """Outcome of a SMACOF fit: coordinates, raw stress, Kruskal stress-1 and iterations."""

    coords: FloatArray
    stress: float
    stress1: float
    iterations: int
    converged: bool


def _fix_signs(vectors: FloatArray) -> FloatArray:
    """Make each column's largest-magnitude entry positive, so eigenvectors are reproducible."""
    idx = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    out: FloatArray = vectors * signs
    return out


def classical_mds(distances: FloatArray, dim: int = 2, seed: int = 0) -> FloatArray:
    """Torgerson scaling: the top-``dim`` eigenvectors of the double-centred squared distances.

    Negative or missing eigenvalues (non-Euclidean input, fewer distinct points than ``dim``)
    give zero columns. The result is centred and deterministic for a given seed.
    """
    n = distances.shape[0]
    out = np.zeros((n, dim))
    if n < 2:
        return out
    b = np.square(distances)
    b -= b.mean(axis=0, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    b *= -0.5  # symmetric up to rounding; no symmetrised copy (saves two N×N temporaries)
    k = min(dim, n)
    if n <= 64:
        values, vectors = np.linalg.eigh(b)
        values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
    else:
        from scipy.sparse.linalg import eigsh

        v0 = np.random.default_rng(seed).uniform(0.5, 1.5, size=n)
        values, vectors = eigsh(b, k=k, which="LA", v0=v0)
        order = np.argsort(values)[::-1]
        values, vectors = values[order], vectors[:, order]
    del b
    vectors = _fix_signs(np.asarray(vectors, dtype=np.float64))
    scale = np.sqrt(np.clip(values, 0.0, None))
    out[:, :k] = vectors * scale
    out -= out.mean(axis=0, keepdims=True)
    return out


def _pair_distances(z: FloatArray, out: FloatArray) -> FloatArray:
    """Euclidean distances between the rows of ``z`` written into ``out`` (no extra N×N)."""
    from scipy.spatial.distance import cdist

    cdist(z, z, out=out)
    return out


def smacof(
    distances: FloatArray,
    init: FloatArray | None = None,
    *,
    dim: int = 2,
    max_iter: int = 300,
    rel_tol: float = 1e-4,
    seed: int = 0,
) -> SmacofResult:
    """Unweighted metric MDS by SMACOF, started from ``init`` (default: classical MDS).

    Stops when the relative stress decrease of one Guttman transform falls below ``rel_tol``.
    Stress is computed from traces (Σδd = tr ZᵀB(Z)Z, Σd² = n·tr ZᵀZ), so each iteration needs
    only one N×N work buffer besides the input.
    """
    n = distances.shape[0]
    z = classical_mds(distances, dim, seed) if init is None else np.array(init, dtype=np.float64)
    if n < 2:
        return SmacofResult(z, 0.0, 0.0, 0, True)
    z -= z.mean(axis=0, keepdims=True)
    if not np.any(z):
        # All start positions coincide (e.g. classical MDS of a degenerate matrix): spread them.
        z = np.random.default_rng(seed).normal(size=(n, dim)) * float(distances.mean())
        z -= z.mean(axis=0, keepdims=True)
    sum_delta_sq = 0.5 * float(np.einsum("ij,ij->", distances, distances))
    tiny = 1e-12 * max(float(distances.max()), 1e-300)
    work = np.empty_like(distances)
    prev = np.inf
    stress = np.inf
    iterations = 0
    converged = False
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        _pair_distances(z, work)
        np.maximum(work, tiny, out=work)
        np.divide(distances, work, out=work)  # ratio δ/d; 0 where δ = 0
        np.fill_diagonal(work, 0.0)
        row = work.sum(axis=1)
        bz = row[:, None] * z - work @ z  # B(Z) Z with B = diag(row) - ratio
        cross = float(np.einsum("ij,ij->", z, bz))  # tr ZᵀB(Z)Z = Σ_{i<j} δ_ij d_ij(Z)
        dist_sq = n * float(np.einsum("ij,ij->", z, z))  # tr ZᵀVZ = Σ_{i<j} d_ij(Z)²
        stress = sum_delta_sq - 2.0 * cross + dist_sq
        z = bz / n
        if prev - stress <= rel_tol * max(prev, 1e-300) and np.isfinite(prev):
            converged = True
            break
        prev = stress
    del work
    stress = max(stress, 0.0)
    stress1 = float(np.sqrt(stress / sum_delta_sq)) if sum_delta_sq > 0 else 0.0
    return SmacofResult(z, float(stress), stress1, iterations, converged)


def place_free_points(
    fixed: FloatArray,
    cross: FloatArray,
    cross_weights: FloatArray,
    block: FloatArray,
    block_weights: FloatArray,
    init: FloatArray,
    *,
    max_iter: int = 200,
    rel_tol: float = 1e-7,
) -> FloatArray:
    """Minimise weighted stress over k free points while the N fixed points stay where they are.

    ``cross`` (k×N) holds target distances from free to fixed points, ``block`` (k×k) between
    free points; the weights (same shapes, ≥ 0, zero diagonal for ``block_weights``) select and
    weight the pairs. Each step is the Guttman transform restricted to the free points:
    ``X_f = V_ff⁻¹ ((B(Z)Z)_f − V_fo Y_o)``. Only the free points' coordinates are returned.
    """
    x = np.array(init, dtype=np.float64)
    k = x.shape[0]
    if k == 0:
        return x
    scale = max(float(cross.max(initial=0.0)), float(block.max(initial=0.0)), 1e-300)
    tiny = 1e-12 * scale
    # V restricted to the free rows: V_ff (k×k) and V_fo Y_o (k×2) are constant.
    v_ff = -block_weights.copy()
    np.fill_diagonal(v_ff, 0.0)
    v_ff[np.diag_indices(k)] = cross_weights.sum(axis=1) + block_weights.sum(axis=1)
    v_fo_y = -(cross_weights @ fixed)
    v_ff_inv = np.linalg.pinv(v_ff)
    prev = np.inf
    for _ in range(max_iter):
        dc = np.sqrt(np.maximum(_sq_cross(x, fixed), 0.0))
        db = np.sqrt(np.maximum(_sq_cross(x, x), 0.0))
        stress = float(np.sum(cross_weights * (dc - cross) ** 2))
        stress += 0.5 * float(np.sum(block_weights * (db - block) ** 2))
        if prev - stress <= rel_tol * max(prev, 1e-300) and np.isfinite(prev):
            break
        prev = stress
        rc = cross_weights * cross / np.maximum(dc, tiny)  # -B_fo entries
        rb = block_weights * block / np.maximum(db, tiny)  # -B_ff off-diagonal entries
        np.fill_diagonal(rb, 0.0)
        # (B(Z) Z)_f = diag(row sums) X - rb X - rc Y
        bz = (rc.sum(axis=1) + rb.sum(axis=1))[:, None] * x - rb @ x - rc @ fixed
        x = v_ff_inv @ (bz - v_fo_y)
    return x


def _sq_cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Squared Euclidean distances between the rows of ``a`` and ``b``."""
    out: FloatArray = (
        np.einsum("ij,ij->i", a, a)[:, None]
        + np.einsum("ij,ij->i", b, b)[None, :]
        - 2.0 * (a @ b.T)
    )
    return out
