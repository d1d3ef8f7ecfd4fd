"""Out-of-sample placement into a UMAP layout: UMAP's own objective, new points only.

UMAP keeps neighbourhoods, not distances, so stress against target distances is the wrong
criterion there. For each new model this module:

1. computes UMAP's fuzzy membership to its ``k`` nearest models (old or new):
   ``v_j = exp(-(d_j - ρ) / σ)`` with ρ the nearest non-zero distance and σ set so that
   ``Σ v_j = log2 k`` (as ``umap.umap_.smooth_knn_dist`` does);
2. starts at the membership-weighted mean of its old neighbours (what ``UMAP.transform`` does);
3. minimises UMAP's cross-entropy restricted to the new points, old points fixed:
   attraction ``v_j · log(1 + a·(d² + ε)ᵇ)`` to its neighbours and the repulsion that negative
   sampling applies on average, ``r · log(1 + 1/(a·(d² + ε)ᵇ))`` to every other model with
   ``r = negative_sample_rate · Σv / N`` — by L-BFGS with analytic gradients (BLAS limited to
   one thread: the problem is tiny and thread start-up would dominate).

``a, b`` come from ``min_dist`` exactly as in umap-learn (a curve fit), without importing umap.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["ab_params", "fuzzy_memberships", "place_local"]

NEGATIVE_SAMPLE_RATE = 5.0
EPS = 1e-3  # added to d², as UMAP does in its repulsive gradient
REPULSION_SAMPLE = 512


@lru_cache(maxsize=8)
def ab_params(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """UMAP's low-dimensional curve ``1 / (1 + a·x^(2b))`` fitted for ``min_dist``."""
    from scipy.optimize import curve_fit

    def curve(x: FloatArray, a: float, b: float) -> FloatArray:
        out: FloatArray = 1.0 / (1.0 + a * x ** (2 * b))
        return out

    xv = np.linspace(0, spread * 3, 300)
    yv = np.where(xv < min_dist, 1.0, np.exp(-(xv - min_dist) / spread))
    params, _ = curve_fit(curve, xv, yv)
    return float(params[0]), float(params[1])


def fuzzy_memberships(knn_dists: FloatArray, iters: int = 64) -> FloatArray:
    """Row-wise UMAP memberships for sorted-or-not neighbour distances (k ≥ 1 per row)."""
    k = knn_dists.shape[1]
    target = np.log2(max(k, 2))
    positive = np.where(knn_dists > 0, knn_dists, np.inf)
    rho = positive.min(axis=1, keepdims=True)
    rho[~np.isfinite(rho)] = 0.0
    gap = np.maximum(knn_dists - rho, 0.0)
    lo = np.zeros((knn_dists.shape[0], 1))
    hi = np.full_like(lo, np.inf)
    sigma = np.ones_like(lo)
    for _ in range(iters):
        total = np.exp(-gap / sigma).sum(axis=1, keepdims=True)
        too_big = total > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isfinite(hi), 0.5 * (lo + hi), 2.0 * sigma)
    sigma = np.maximum(sigma, 1e-3 * np.maximum(gap.mean(axis=1, keepdims=True), 1e-12))
    out: FloatArray = np.exp(-gap / sigma)
    return out


def _objective(
    flat: FloatArray,
    old: FloatArray,
    idx: NDArray[np.intp],
    v: FloatArray,
    rep_old: FloatArray,
    w_rep_old: FloatArray,
    w_rep_new: FloatArray,
    a: float,
    b: float,
) -> tuple[float, FloatArray]:
    """Attraction to each new point's neighbours ``idx`` (into old + new, memberships ``v``),
    repulsion from the sampled old points ``rep_old`` and from the other new points."""
    k, n = w_rep_new.shape[0], old.shape[0]
    x = flat.reshape(k, 2)
    moving = idx >= n  # neighbours that are new points (they move, and feel the pull back)
    neighbours = old[np.where(moving, 0, idx)]
    neighbours[moving] = x[idx[moving] - n]
    value = 0.0
    grad = np.zeros((k, 2))

    def term(diff: FloatArray, w_att: FloatArray | None, w_rep: FloatArray) -> FloatArray:
        """Adds a term's value; returns the pull on the first end (−pull on the other)."""
        nonlocal value
        d2 = np.einsum("ijk,ijk->ij", diff, diff) + EPS
        p = a * d2**b  # a·(d² + ε)^b, shared by both terms
        log1p = np.log1p(p)
        value += float(np.einsum("ij,ij->", w_rep, log1p - np.log(p)))
        # d/d(d²): attraction b·p/((d²+ε)(1+p)); repulsion −b/((d²+ε)(1+p))
        coef = -w_rep
        if w_att is not None:
            value += float(np.einsum("ij,ij->", w_att, log1p))
            coef = coef + w_att * p
        out: FloatArray = 2.0 * (coef * (b / (d2 * (1.0 + p))))[:, :, None] * diff
        return out

    pull = term(x[:, None, :] - neighbours, v, np.zeros_like(v))
    grad += pull.sum(axis=1)
    if moving.any():
        rows = (idx[moving] - n).astype(np.intp)
        np.add.at(grad, rows, -pull[moving])
    grad += term(x[:, None, :] - rep_old[None, :, :], None, w_rep_old).sum(axis=1)
    pull = term(x[:, None, :] - x[None, :, :], None, w_rep_new)
    grad += pull.sum(axis=1) - pull.sum(axis=0)
    return value, grad.ravel()


def place_local(
    old: FloatArray,
    cross: FloatArray,
    block: FloatArray,
    n_neighbors: int,
    min_dist: float = 0.1,
    max_iter: int = 200,
    repulsion_sample: int = REPULSION_SAMPLE,
    seed: int = 0,
) -> FloatArray:
    """Positions (k×2) for k new models (none at distance 0 from an old one) in a UMAP layout.

    Repulsion from old points uses all of them up to ``repulsion_sample`` old points, else a
    seeded sample of that many with weights scaled up to stand for all (UMAP's own negative
    sampling does the same), so placing 100 models into 10,000 costs milliseconds per step.
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    k, n = cross.shape
    combined = np.hstack([cross, block + np.diag(np.full(k, np.inf))])
    kk = max(1, min(n_neighbors, n + k - 1))
    idx = np.argpartition(combined, kk - 1, axis=1)[:, :kk]
    v = fuzzy_memberships(np.take_along_axis(combined, idx, axis=1))
    # Start: membership-weighted mean of the old neighbours (nearest old one if none).
    w_old = np.zeros((k, n))
    np.put_along_axis(w_old, np.where(idx < n, idx, 0), np.where(idx < n, v, 0.0), axis=1)
    none = w_old.sum(axis=1) == 0
    w_old[none, np.argmin(cross[none], axis=1)] = 1.0
    start = (w_old @ old) / w_old.sum(axis=1, keepdims=True)
    strength = NEGATIVE_SAMPLE_RATE * v.sum(axis=1, keepdims=True) / (n + k)
    if n > repulsion_sample:
        pick = np.random.default_rng(seed).choice(n, repulsion_sample, replace=False)
        rep_old, w_rep_old = (
            old[np.sort(pick)],
            np.tile(strength * n / repulsion_sample, (1, repulsion_sample)),
        )
    else:
        rep_old, w_rep_old = old, np.tile(strength, (1, n))
    w_rep_new = np.tile(strength, (1, k))
    np.fill_diagonal(w_rep_new, 0.0)
    a, b = ab_params(float(min_dist))
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            _objective,
            start.ravel(),
            args=(old, idx, v, rep_old, w_rep_old, w_rep_new, a, b),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter},
        )
    x: FloatArray = np.asarray(result.x, dtype=np.float64).reshape(k, 2)
    return x if np.isfinite(x).all() else start
