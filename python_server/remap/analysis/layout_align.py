"""Alignment and movement measures for 2-D layouts.

Owns ``SimilarityTransform`` and ``procrustes_align`` (orthogonal Procrustes with uniform scale
and translation: the least-squares map of one point set onto another), plus ``extent`` (the
diagonal of the bounding box, the unit in which movement is reported) and ``displacements``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = ["SimilarityTransform", "displacements", "extent", "procrustes_align"]


@dataclass(frozen=True, eq=False)
class SimilarityTransform:
    """``x ↦ scale · x @ rotation + translation`` (rotation may include a reflection)."""

    scale: float
    rotation: FloatArray
    translation: FloatArray

    @classmethod
    def identity(cls, dim: int = 2) -> SimilarityTransform:
        return cls(1.0, np.eye(dim), np.zeros(dim))

    @property
    def reflects(self) -> bool:
        return bool(np.linalg.det(self.rotation) < 0)

    def apply(self, points: ArrayLike) -> FloatArray:
        pts = np.asarray(points, dtype=np.float64)
        out: FloatArray = self.scale * (pts @ self.rotation) + self.translation
        return out


def procrustes_align(
    source: ArrayLike, target: ArrayLike, *, allow_reflection: bool = True
) -> SimilarityTransform:
    """The similarity transform that best maps ``source`` rows onto ``target`` rows.

    Minimises ``Σ‖s·xᵢR + t − yᵢ‖²`` over rotation/reflection R, scale s > 0 and translation t
    (Umeyama's closed form). Degenerate cases: no pairs → identity; a single pair or a source
    whose points all coincide → translation only.
    """
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2:
        raise ValueError(
            f"procrustes_align: source {src.shape} and target {dst.shape} must be equal m×d"
        )
    m, dim = src.shape
    if m == 0:
        return SimilarityTransform.identity(dim)
    mu_s = src.mean(axis=0)
    mu_d = dst.mean(axis=0)
    a = src - mu_s
    b = dst - mu_d
    norm_a = float(np.einsum("ij,ij->", a, a))
    scale_ref = max(float(np.abs(src).max()), float(np.abs(dst).max()), 1.0)
    if m == 1 or norm_a <= (1e-12 * scale_ref) ** 2:
        return SimilarityTransform(1.0, np.eye(dim), mu_d - mu_s)
    u, sing, vt = np.linalg.svd(a.T @ b)
    signs = np.ones(dim)
    if not allow_reflection and np.linalg.det(u @ vt) < 0:
        signs[-1] = -1.0
    rotation = (u * signs) @ vt
    scale = float(np.sum(sing * signs)) / norm_a
    if scale <= 0:
        scale = 1.0
    translation = mu_d - scale * (mu_s @ rotation)
    return SimilarityTransform(scale, rotation, translation)


def extent(coords: ArrayLike) -> float:
    """Diagonal of the bounding box of the points (0 for fewer than two distinct points)."""
    pts = np.asarray(coords, dtype=np.float64)
    if pts.shape[0] == 0:
        return 0.0
    return float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0)))


def displacements(before: ArrayLike, after: ArrayLike) -> FloatArray:
    """Euclidean distance each point moved between two m×2 arrays."""
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    out: FloatArray = np.linalg.norm(b - a, axis=1) if a.size else np.zeros(a.shape[0])
    return out
