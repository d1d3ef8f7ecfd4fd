"""Out-of-sample placement of new models into a fixed 2-D layout.

Owns ``calibrate_scale`` (layout units per input-distance unit, measured on the fitted layout)
and ``place_points``: exact duplicates snap onto their twins; the other new models are placed
with the old points fixed — for MDS layouts by stress majorisation against all old points
(start: kernel-weighted mean of the nearest), for UMAP layouts by UMAP's own objective over
each new model's neighbourhood (``layout_local``). See ``layout`` for how these are used.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .layout_local import place_local
from .proj_checks import duplicate_groups, row_blocks
from .proj_smacof import place_free_points

FloatArray = NDArray[np.float64]

__all__ = ["INIT_NEIGHBORS", "calibrate_scale", "kernel_start", "place_points"]

INIT_NEIGHBORS = 10


def calibrate_scale(coords: FloatArray, distances: FloatArray) -> float:
    """Layout units per distance unit: the least-squares ratio over all pairs (≈ 1 for MDS).

    Used by global (MDS) placement; recorded but unused for UMAP layouts, which are placed by
    their own objective. Computed in row blocks (no N×N temporary).
    """
    from scipy.spatial.distance import cdist

    num = den = 0.0
    for rows in row_blocks(distances.shape[0]):
        block = distances[rows]
        num += float(np.einsum("ij,ij->", block, cdist(coords[rows], coords)))
        den += float(np.einsum("ij,ij->", block, block))
    return num / den if den > 0 and num > 0 else 1.0


def kernel_start(old: FloatArray, cross: FloatArray) -> FloatArray:
    """Each row: a mean of the nearest old points, weighted by exp(-(d - d_min) / σ)."""
    k, n = cross.shape
    m = min(INIT_NEIGHBORS, n)
    idx = np.argpartition(cross, m - 1, axis=1)[:, :m] if m < n else np.tile(np.arange(n), (k, 1))
    d = np.take_along_axis(cross, idx, axis=1)
    gap = d - d.min(axis=1, keepdims=True)
    sigma = np.maximum(gap.mean(axis=1, keepdims=True), 1e-12)
    w = np.exp(-gap / sigma)
    w /= w.sum(axis=1, keepdims=True)
    out: FloatArray = np.einsum("kj,kjd->kd", w, old[idx])
    return out


def place_points(
    old: FloatArray,
    cross: FloatArray,
    block: FloatArray,
    scale: float,
    neighbors: int,
    known: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Coordinates (k×2) for k new models; ``old`` (N×2, N ≥ 1) is not modified.

    A new model at distance 0 from old models sits at their mean position; new models at
    distance 0 from each other share a position. ``known`` (k×N, optional) marks the cross
    distances that were computed (a new model's landmarks and candidate neighbours): the
    others are ignored — never neighbours, no weight in the stress.
    """
    k = cross.shape[0]
    out = np.zeros((k, 2))
    if k == 0:
        return out
    if known is None:
        known = np.ones(cross.shape, dtype=bool)
    zero = (cross <= 0.0) & known
    snapped: NDArray[np.bool_] = np.asarray(zero.any(axis=1), dtype=bool)
    for i in np.flatnonzero(snapped):
        out[i] = old[zero[i]].mean(axis=0)
    free = np.flatnonzero(~snapped)
    if free.size:
        snap = np.flatnonzero(snapped)
        fixed = np.vstack([old, out[snap]])
        cross_f = np.hstack([cross[free], block[np.ix_(free, snap)]])
        weight_f = np.hstack([known[free], np.ones((free.size, snap.size), dtype=bool)])
        block_f = block[np.ix_(free, free)]
        if neighbors > 0:
            unknown_inf = np.where(weight_f, cross_f, np.inf)
            out[free] = place_local(fixed, unknown_inf, block_f, neighbors)
        else:
            block_w = np.ones_like(block_f)
            np.fill_diagonal(block_w, 0.0)
            start = kernel_start(old, np.where(known[free], cross[free], np.inf))
            out[free] = place_free_points(
                fixed,
                scale * np.where(weight_f, cross_f, 0.0),
                weight_f.astype(np.float64),
                scale * block_f,
                block_w,
                start,
            )
    reps, group_of = duplicate_groups(block)
    if len(reps) < k:
        for g in range(len(reps)):
            members = np.flatnonzero(group_of == g)
            if members.size > 1:
                anchored = members[snapped[members]]
                out[members] = (out[anchored] if anchored.size else out[members]).mean(axis=0)
    return out
