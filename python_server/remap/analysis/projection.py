"""2-D projections of a model-distance matrix: UMAP (default) or metric MDS, never blocking.

Owns ``project`` and ``ProjectionResult``, the UMAP and MDS embedders and the tiny fit that
``warmup.UmapWarmup`` runs. Rules:

- input is a symmetric N×N float64 distance matrix (checked; errors name the bad entry);
- exact duplicates (distance 0) are projected once and share a position;
- fewer than ``UMAP_MIN_POINTS`` distinct models → MDS (exact for 1–3 models), with a note;
- if a warm-up object is given and UMAP is not ready yet (or failed), the answer is MDS with a
  note — ``project`` never waits for numba to compile. Without a warm-up object the caller
  accepts a possible compile (CLI, benchmarks);
- both methods are seeded and reproducible: UMAP runs single-threaded with ``random_state``
  and starts from classical MDS (umap-learn's spectral start is not reproducible when the
  neighbour graph falls apart into several components); MDS is deterministic.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .jit import WarmupLike, configure_numba_cache
from .proj_checks import check_distances, duplicate_groups
from .proj_smacof import classical_mds, smacof

FloatArray = NDArray[np.float64]
Method = Literal["umap", "mds"]

__all__ = [
    "DEFAULT_MIN_DIST",
    "DEFAULT_N_NEIGHBORS",
    "METHODS",
    "SMACOF_MAX_POINTS",
    "UMAP_MIN_POINTS",
    "Method",
    "ProjectionResult",
    "check_method",
    "mds_embed",
    "project",
    "umap_embed",
    "warmup_fit",
]

METHODS: tuple[Method, ...] = ("umap", "mds")
UMAP_MIN_POINTS = 10
# Above this many distinct models MDS is classical (Torgerson) only: SMACOF holds two N×N
# float64 buffers and costs N² per iteration (10,000 models: 1.6 GB and minutes).
SMACOF_MAX_POINTS = 4000
DEFAULT_N_NEIGHBORS = 15
DEFAULT_MIN_DIST = 0.1

_log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ProjectionResult:
    """N×2 coordinates, the method that actually ran and a note saying why if it differs.

    ``note`` is empty when the requested method ran on all points without remarks.
    """

    coords: FloatArray
    method_used: Method
    note: str
    requested: Method
    n_unique: int
    seconds: float


def check_method(method: str) -> Method:
    """The method name, or a ``ValueError`` listing the valid ones."""
    if method == "umap":
        return "umap"
    if method == "mds":
        return "mds"
    raise ValueError(f"unknown projection method {method!r}; expected one of {', '.join(METHODS)}")


def mds_embed(
    distances: FloatArray,
    seed: int = 0,
    max_iter: int = 300,
    init: FloatArray | None = None,
) -> FloatArray:
    """Metric MDS (SMACOF from ``init`` or classical MDS); closed forms for one and two points."""
    n = distances.shape[0]
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        half = 0.5 * float(distances[0, 1])
        return np.array([[-half, 0.0], [half, 0.0]])
    return smacof(distances, init, max_iter=max_iter, seed=seed).coords


def umap_embed(
    distances: FloatArray,
    seed: int = 0,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    min_dist: float = DEFAULT_MIN_DIST,
    init: FloatArray | None = None,
) -> FloatArray:
    """UMAP on a precomputed distance matrix (N ≥ 3), seeded and single-threaded.

    UMAP starts from ``init`` (N×2) or, by default, from classical MDS of the distances
    rather than its spectral layout: umap-learn's spectral start is not reproducible when the
    neighbour graph has several components (its meta-layout of the components is random even
    with a fixed ``random_state``), and an MDS start keeps the global arrangement of
    clusters, which also makes refits move less. UMAP rescales the start to a 10×10 box.
    """
    configure_numba_cache()
    import umap

    warnings.filterwarnings("ignore", message="using precomputed metric", category=UserWarning)
    n = distances.shape[0]
    model = umap.UMAP(
        n_neighbors=max(2, min(n_neighbors, n - 1)),
        min_dist=min_dist,
        n_components=2,
        metric="precomputed",
        random_state=seed,
        n_jobs=1,
        transform_seed=seed,
        init=_umap_init(classical_mds(distances, seed=seed) if init is None else init),
    )
    coords = model.fit_transform(distances)
    return np.asarray(coords, dtype=np.float64)


def _umap_init(init: FloatArray) -> str | NDArray[np.float32]:
    """UMAP's ``init`` argument; a start with no spread along an axis cannot be rescaled, so
    it is replaced by UMAP's seeded random start."""
    if np.ptp(init, axis=0).min() <= 1e-12 * max(float(np.abs(init).max()), 1e-300):
        return "random"
    return np.asarray(init, dtype=np.float32)


def warmup_fit(n_points: int = 60, seed: int = 0) -> None:
    """One tiny UMAP fit through ``umap_embed`` so numba compiles the kernels real fits use."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(3, 5))
    points = centres[np.arange(n_points) % 3] + rng.normal(size=(n_points, 5))
    diff = points[:, None, :] - points[None, :, :]
    distances = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    umap_embed(distances, seed=seed)


def _as_float(distances: ArrayLike) -> FloatArray:
    """A valid matrix as it is if it is float32 or float64 (UMAP takes float32 without a
    copy; at 10,000 models a float64 copy is 800 MB), else as float64."""
    arr = np.asarray(distances)
    if arr.dtype in (np.float32, np.float64):
        return arr  # type: ignore[return-value]
    return np.asarray(arr, dtype=np.float64)


def _check_init(init: ArrayLike | None, n: int) -> FloatArray | None:
    if init is None:
        return None
    arr = np.asarray(init, dtype=np.float64)
    if arr.shape != (n, 2) or not np.isfinite(arr).all():
        raise ValueError(f"init: expected {n}×2 finite start positions, got shape {arr.shape}")
    return arr


def _umap_blocker(warmup: WarmupLike | None, n_unique: int) -> str:
    """Why UMAP cannot run now ("" if it can)."""
    if n_unique < UMAP_MIN_POINTS:
        return f"UMAP needs at least {UMAP_MIN_POINTS} distinct models (have {n_unique}); used MDS"
    if warmup is None:
        return ""
    state = warmup.state
    if state == "ready":
        return ""
    if state == "failed":
        return f"UMAP is unavailable (warm-up failed: {warmup.error}); used MDS"
    if state == "cold":
        return "UMAP has not been warmed up yet; used MDS"
    return "UMAP is still warming up (numba is compiling); used MDS"


def project(
    distances: ArrayLike,
    method: str = "umap",
    *,
    warmup: WarmupLike | None = None,
    seed: int = 0,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    min_dist: float = DEFAULT_MIN_DIST,
    mds_max_iter: int = 300,
    init: ArrayLike | None = None,
    assume_valid: bool = False,
) -> ProjectionResult:
    """Project an N×N distance matrix to N×2 coordinates.

    ``method`` is "umap" or "mds". With ``warmup`` given, UMAP runs only when it is ready;
    otherwise the answer is MDS and ``note`` says why. ``init`` (N×2, optional) starts either
    method from given positions (e.g. the layout being refitted) instead of its default start.
    Raises ``DistanceMatrixError`` for a bad matrix and ``ValueError`` for an unknown method or
    a badly shaped ``init``. ``assume_valid`` skips the matrix check (and its copy) for callers
    that pass the result of ``proj_checks.check_distances``.
    """
    requested = check_method(method)
    start = time.perf_counter()
    d = _as_float(distances) if assume_valid else check_distances(distances)
    n = d.shape[0]
    start_xy = _check_init(init, n)
    if n == 0:
        return ProjectionResult(np.zeros((0, 2)), requested, "no models", requested, 0, 0.0)
    reps, group_of = duplicate_groups(d)
    # A large matrix is not copied without its duplicates (400 MB at 10,000 models): all
    # points are fitted and each duplicate is then put on its representative.
    in_place = len(reps) == n or n > SMACOF_MAX_POINTS
    unique = d if in_place else d[np.ix_(reps, reps)]
    init_u = None if start_xy is None else (start_xy if in_place else start_xy[reps])
    notes: list[str] = []
    used: Method = requested
    if requested == "umap":
        blocker = _umap_blocker(warmup, len(reps))
        if blocker:
            notes.append(blocker)
            used = "mds"
    coords_u: FloatArray | None = None
    if used == "umap":
        try:
            coords_u = umap_embed(
                unique, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist, init=init_u
            )
        except Exception as exc:  # keep the map usable; the note tells the user why
            _log.warning("UMAP failed, falling back to MDS: %s", exc)
            notes.append(f"UMAP failed ({type(exc).__name__}: {exc}); used MDS")
            used = "mds"
    if coords_u is None and len(reps) > SMACOF_MAX_POINTS:
        coords_u = classical_mds(unique, seed=seed) if init_u is None else init_u
        notes.append(f"classical MDS only (more than {SMACOF_MAX_POINTS} models)")
    if coords_u is None:
        unique = np.asarray(unique, dtype=np.float64)  # SMACOF's buffers are float64
        coords_u = mds_embed(unique, seed=seed, max_iter=mds_max_iter, init=init_u)
    if len(reps) < n:
        notes.append(f"{n - len(reps)} model(s) duplicate another (distance 0) and share its spot")
    if len(reps) == n:
        coords = coords_u
    else:
        coords = coords_u[reps[group_of]] if in_place else coords_u[group_of]
    return ProjectionResult(
        coords=np.ascontiguousarray(coords, dtype=np.float64),
        method_used=used,
        note="; ".join(notes),
        requested=requested,
        n_unique=len(reps),
        seconds=time.perf_counter() - start,
    )
