"""Out-of-sample placement into a UMAP layout: UMAP's own objective, new points only.

UMAP keeps neighbourhoods, not distances, so stress against target distances is the wrong
criterion there. For each new model this module:

1. computes UMAP's fuzzy membership to its ``k`` nearest old models, and to the new models
   nearer than the farthest of those: ``v_j = exp(-(d_j - ρ) / σ)`` with ρ the nearest
   non-zero distance and σ set so that ``Σ v_j = log2 k`` (as ``umap.umap_.smooth_knn_dist``
   does). The old neighbours are always kept (they are all ``UMAP.transform`` uses): a batch
   of new models nearer to each other than to any old one (a model's variations, or a
   metric whose candidates miss the true nearest) attracted only each other and drifted off
   the map together, pushed by the old points' repulsion;
2. starts at the membership-weighted mean of its old neighbours (what ``UMAP.transform`` does);
3. minimises UMAP's cross-entropy restricted to the new points, old points fixed:
   attraction ``v_j · log(1 + a·(d² + ε)ᵇ)`` to its neighbours and the repulsion that negative
   sampling applies on average, ``r · log(1 + 1/(a·(d² + ε)ᵇ))`` to every other model with
   ``r = negative_sample_rate · Σv / N`` — by L-BFGS with analytic gradients (BLAS limited to
   one thread: the problem is tiny and thread start-up would dominate).

``a, b`` come from ``min_dist`` exactly as in umap-learn (a curve fit), without importing umap.
The objective only means what it should in UMAP's own units, and a stored layout is in
whatever units its fit and alignment left (OTMANN's tens of thousands, or a prediction map's
tenths, where the repulsion then flung every new point many extents off the map): the old
points are rescaled so that their typical distance to their ``k``-th nearest old point is
what UMAP leaves it (``KNN_SPACING``), and the result scaled back.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["ab_params", "fuzzy_memberships", "place_local"]

NEGATIVE_SAMPLE_RATE = 5.0
EPS = 1e-3  # added to d², as UMAP does in its repulsive gradient
REPULSION_SAMPLE = 256
KNN_SPACING = 0.5  # median distance to the 15th neighbour in UMAP embeddings: 0.16–0.63
SPACING_SAMPLE = 2000


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


def fuzzy_memberships(knn_dists: FloatArray, iters: int = 64, k: int | None = None) -> FloatArray:
    """Row-wise UMAP memberships for sorted-or-not neighbour distances (k ≥ 1 per row); an
    infinite distance is no neighbour (membership 0). ``k``: the neighbour count the
    memberships sum to log2 of (default: the row width)."""
    k = k or knn_dists.shape[1]
    target = np.log2(max(k, 2))
    finite = np.isfinite(knn_dists)
    positive = np.where((knn_dists > 0) & finite, knn_dists, np.inf)
    rho = positive.min(axis=1, keepdims=True)
    rho[~np.isfinite(rho)] = 0.0
    gap = np.where(finite, np.maximum(knn_dists - rho, 0.0), np.inf)
    finite_mean = np.where(finite, gap, 0.0).sum(axis=1, keepdims=True) / np.maximum(
        finite.sum(axis=1, keepdims=True), 1
    )
    lo = np.zeros((knn_dists.shape[0], 1))
    hi = np.full_like(lo, np.inf)
    sigma = np.ones_like(lo)
    for _ in range(iters):
        total = np.exp(-gap / sigma).sum(axis=1, keepdims=True)
        too_big = total > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isfinite(hi), 0.5 * (lo + hi), 2.0 * sigma)
    sigma = np.maximum(sigma, 1e-3 * np.maximum(finite_mean, 1e-12))
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


def umap_units(old: FloatArray, n_neighbors: int, seed: int = 0) -> float:
    """The factor that takes ``old`` layout coordinates to UMAP's units (see the module
    docstring), measured on a seeded sample of at most ``SPACING_SAMPLE`` points."""
    from scipy.spatial import cKDTree

    n = old.shape[0]
    kth = min(n_neighbors, n - 1)
    if kth < 1:
        return 1.0
    rows = old
    if n > SPACING_SAMPLE:
        rows = old[np.random.default_rng(seed).choice(n, SPACING_SAMPLE, replace=False)]
    dists, _ = cKDTree(old).query(rows, kth + 1)
    spacing = float(np.median(dists[:, kth]))
    if not spacing > 0:  # most points share spots: the extent says the scale instead
        spacing = float(np.ptp(old, axis=0).max()) / 30.0
    return KNN_SPACING / spacing if spacing > 0 else 1.0


def _neighbours(
    cross: FloatArray, block: FloatArray, n_neighbors: int
) -> tuple[NDArray[np.intp], FloatArray]:
    """(indices into old + new, memberships) of each new model's neighbours: its
    ``n_neighbors`` nearest old models with UMAP's memberships (what ``UMAP.transform``
    uses), and the new models nearer than the farthest of those with memberships of their
    own — so the pull towards the old models stays whole however close the new ones are."""
    k, n = cross.shape
    k_old = max(1, min(n_neighbors, n))
    old_idx = np.argpartition(cross, k_old - 1, axis=1)[:, :k_old]
    old_d = np.take_along_axis(cross, old_idx, axis=1)
    old_v = fuzzy_memberships(old_d, k=n_neighbors)
    k_new = min(n_neighbors, k - 1)
    if k_new <= 0:
        return old_idx, old_v
    others = block + np.diag(np.full(k, np.inf))
    new_idx = np.argpartition(others, k_new - 1, axis=1)[:, :k_new]
    new_d = np.take_along_axis(others, new_idx, axis=1)
    new_d = np.where(new_d < old_d.max(axis=1, keepdims=True), new_d, np.inf)
    new_v = fuzzy_memberships(new_d, k=n_neighbors)
    return np.hstack([old_idx, new_idx + n]), np.hstack([old_v, new_v])


def place_local(
    old: FloatArray,
    cross: FloatArray,
    block: FloatArray,
    n_neighbors: int,
    min_dist: float = 0.1,
    max_iter: int = 100,
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
    units = umap_units(old, n_neighbors, seed)
    old = old * units
    idx, v = _neighbours(cross, block, n_neighbors)
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
    return (x if np.isfinite(x).all() else start) / units
