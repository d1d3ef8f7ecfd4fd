"""Landmark MDS: a 2-D layout of N models from their distances to L ≪ N landmarks.

Owns ``maxmin_landmarks`` (farthest-point sampling: each next landmark is the model farthest
from those chosen so far, so L rows of N distances are all it reads), ``LandmarkFrame`` and
``landmark_mds`` (de Silva & Tenenbaum 2004, "Sparse multidimensional scaling using landmark
points"): classical MDS of the L×L landmark distances, then every model is triangulated from
its squared distances to the landmarks, ``x = −½ L# (δ_x − δ_μ)`` with ``L#`` the landmarks'
pseudo-inverse embedding and ``δ_μ`` the mean squared landmark distances. The same formula
places a model added later from its L landmark distances alone, without moving anything
(``LandmarkFrame.place``). On landmarks the result equals classical MDS of the landmarks; for
the other models it is classical MDS's answer when the distances are Euclidean, an
approximation otherwise (``quality`` measures how close on real OTMANN matrices; the tests
hold it against the exact classical MDS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
RowFn = Callable[[Sequence[int]], ArrayLike]  # positions → len × N distances

__all__ = ["LandmarkFrame", "landmark_mds", "maxmin_landmarks"]


def maxmin_landmarks(
    n: int, count: int, row_fn: RowFn, seed: int = 0, batch: int = 1
) -> tuple[NDArray[np.int64], FloatArray]:
    """Up to ``count`` landmark positions among ``n`` models, chosen by maxmin, and their
    rows (landmarks × n). ``row_fn(positions)`` gives those models' distances to all ``n``.
    The first landmark is a seeded random model; ``batch`` > 1 adds that many at a time
    (each the farthest from the chosen ones and from the earlier picks of its batch by
    position only: fewer, larger ``row_fn`` calls). Stops early when every model is at
    distance 0 from a landmark (fewer distinct models than ``count``)."""
    if n <= 0 or count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, max(n, 0)))
    count = min(count, n)
    picked: list[int] = [int(np.random.default_rng(seed).integers(n))]
    rows = [np.asarray(row_fn(picked), dtype=np.float64).reshape(1, n)]
    nearest = rows[0][0].copy()
    while len(picked) < count:
        want: list[int] = []
        gap = nearest.copy()
        gap[picked] = -1.0
        for _ in range(min(batch, count - len(picked))):
            far = int(np.argmax(gap))
            if gap[far] <= 0.0:
                break
            want.append(far)
            gap[far] = -1.0
        if not want:
            break
        block = np.asarray(row_fn(want), dtype=np.float64).reshape(len(want), n)
        picked += want
        rows.append(block)
        nearest = np.minimum(nearest, block.min(axis=0))
    return np.asarray(picked, dtype=np.int64), np.vstack(rows)


@dataclass(frozen=True)
class LandmarkFrame:
    """What places a model from its distances to the landmarks: ``pinv`` (2×L) and
    ``mean_sq`` (L, the landmarks' mean squared distance to each other landmark)."""

    pinv: FloatArray
    mean_sq: FloatArray

    @property
    def size(self) -> int:
        return int(self.mean_sq.shape[0])

    def place(self, to_landmarks: ArrayLike) -> FloatArray:
        """k×2 positions of k models from their k×L distances to the landmarks."""
        d = np.asarray(to_landmarks, dtype=np.float64).reshape(-1, self.size)
        out: FloatArray = -0.5 * (d * d - self.mean_sq[None, :]) @ self.pinv.T
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"pinv": self.pinv.tolist(), "mean_sq": self.mean_sq.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LandmarkFrame:
        pinv = np.asarray(data["pinv"], dtype=np.float64).reshape(2, -1)
        return cls(pinv, np.asarray(data["mean_sq"], dtype=np.float64).reshape(-1))


def landmark_mds(
    landmark_rows: ArrayLike, landmarks: ArrayLike
) -> tuple[FloatArray, LandmarkFrame]:
    """(N×2 coordinates, frame) from the landmarks' rows (L×N distances to every model) and
    their positions among the N. With fewer than two usable dimensions in the landmarks'
    geometry the missing axis is 0."""
    rows = np.asarray(landmark_rows, dtype=np.float64)
    idx = np.asarray(landmarks, dtype=np.int64).reshape(-1)
    if rows.ndim != 2 or rows.shape[0] != idx.size:
        raise ValueError(f"landmark_mds: {idx.size} landmarks but rows of shape {rows.shape}")
    sub = rows[:, idx]
    sub = 0.5 * (sub + sub.T)
    sq = sub * sub
    mean_sq = sq.mean(axis=1)
    centred = sq - mean_sq[None, :] - mean_sq[:, None] + mean_sq.mean()
    values, vectors = np.linalg.eigh(-0.5 * centred)
    top = np.argsort(values)[::-1][:2]
    pinv = np.zeros((2, idx.size))
    for axis, k in enumerate(top):
        if values[k] > 1e-12 * max(float(values.max()), 1e-300):
            vec = vectors[:, k]
            vec = vec if vec[np.argmax(np.abs(vec))] >= 0 else -vec  # deterministic sign
            pinv[axis] = vec / np.sqrt(values[k])
    frame = LandmarkFrame(pinv, mean_sq)
    return frame.place(rows.T), frame
