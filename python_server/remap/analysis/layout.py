"""Stable 2-D layouts of a growing model set: fit, place new models, refit with alignment.

Owns ``Layout`` (ids, N×2 coords and what out-of-sample placement needs), ``PlacementReport``
(how far old points moved, and how long it took), ``fit_layout``, ``place_new``, ``refit``,
``should_refit`` and ``accuracy_params_layout`` (the accuracy-vs-size view).

Placement never moves old points. A new model at distance 0 from an old one is put exactly
on it. Otherwise, in an MDS layout, a new model starts at a kernel-weighted mean of its
nearest old models and is refined by stress majorisation of the new points only, against all
old points held fixed (targets = input distances × the layout's calibrated ``scale``). In a
UMAP layout (which keeps neighbourhoods, not distances) the new points minimise UMAP's own
cross-entropy over their ``n_neighbors`` nearest models, old points fixed (``layout_local``).

``refit`` fits afresh (by default warm-started from the shown positions) and maps the new
layout onto the old one by orthogonal Procrustes (rotation/reflection, uniform scale,
translation) over the common ids before it is returned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .layout_align import displacements, extent, procrustes_align
from .layout_place import calibrate_scale, kernel_start, place_points
from .proj_checks import DistanceMatrixError, check_block, check_distances, check_ids
from .projection import DEFAULT_N_NEIGHBORS, Method, check_method, project
from .warmup import WarmupLike

FloatArray = NDArray[np.float64]

__all__ = [
    "Layout",
    "PlacementReport",
    "accuracy_params_layout",
    "fit_layout",
    "place_new",
    "refit",
    "should_refit",
]

REFIT_GROWTH = 0.5
REFIT_MAX_NEW = 250
REFIT_MIN_FITTED = 10


@dataclass(frozen=True, eq=False)
class Layout:
    """A shown layout: ``coords[i]`` is the position of ``ids[i]``.

    ``method`` is what produced the last full fit (``requested_method`` what was asked for;
    they differ after a fallback). ``fitted_n`` is the model count at that fit; models placed
    since then are counted by ``n - fitted_n``. ``scale`` maps input distances to layout units
    and ``n_neighbors`` is the neighbourhood used by UMAP and by local placement.
    """

    ids: tuple[str, ...]
    coords: FloatArray
    method: Method
    fitted_n: int
    requested_method: Method = "umap"
    seed: int = 0
    scale: float = 1.0
    n_neighbors: int = DEFAULT_N_NEIGHBORS
    note: str = ""

    def __post_init__(self) -> None:
        coords = np.array(self.coords, dtype=np.float64).reshape(-1, 2)
        if coords.shape[0] != len(self.ids):
            raise ValueError(f"Layout: {len(self.ids)} ids but {coords.shape[0]} coordinates")
        if not np.isfinite(coords).all():
            raise ValueError("Layout: coordinates must be finite")
        coords.flags.writeable = False
        object.__setattr__(self, "coords", coords)
        object.__setattr__(self, "ids", check_ids(self.ids, None, "Layout.ids"))

    def with_points(self, ids: Sequence[str], coords: FloatArray) -> Layout:
        """The same fit (method, scale, seed, note…) showing ``ids`` at ``coords``: what a
        placement that moves nothing and re-fits nothing produces."""
        return replace(self, ids=tuple(ids), coords=coords)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def extent(self) -> float:
        """Diagonal of the bounding box of all points."""
        return extent(self.coords)

    @property
    def placement_neighbors(self) -> int:
        """0 = place against all old points (MDS); k = against the k nearest (UMAP)."""
        return self.n_neighbors if self.method == "umap" else 0

    def index_of(self, model_id: str) -> int:
        try:
            return self.ids.index(model_id)
        except ValueError:
            raise KeyError(f"model {model_id!r} is not in the layout") from None

    def position(self, model_id: str) -> tuple[float, float]:
        x, y = self.coords[self.index_of(model_id)]
        return float(x), float(y)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (for the store's layout cache)."""
        return {
            "ids": list(self.ids),
            "coords": self.coords.tolist(),
            "method": self.method,
            "fitted_n": self.fitted_n,
            "requested_method": self.requested_method,
            "seed": self.seed,
            "scale": self.scale,
            "n_neighbors": self.n_neighbors,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        try:
            return cls(
                ids=tuple(data["ids"]),
                coords=np.asarray(data["coords"], dtype=np.float64).reshape(-1, 2),
                method=check_method(str(data["method"])),
                fitted_n=int(data["fitted_n"]),
                requested_method=check_method(str(data.get("requested_method", "umap"))),
                seed=int(data.get("seed", 0)),
                scale=float(data.get("scale", 1.0)),
                n_neighbors=int(data.get("n_neighbors", DEFAULT_N_NEIGHBORS)),
                note=str(data.get("note", "")),
            )
        except KeyError as exc:
            raise ValueError(f"layout data: missing field {exc.args[0]!r}") from None


@dataclass(frozen=True)
class PlacementReport:
    """How an update changed the layout: old-point movement (absolute and as a fraction of the
    old layout's extent), counts and timing."""

    kind: Literal["place_new", "refit"]
    method: Method
    n_kept: int
    n_new: int
    n_removed: int
    mean_move: float
    max_move: float
    extent: float
    seconds: float
    note: str = ""

    @property
    def mean_move_frac(self) -> float:
        return self.mean_move / self.extent if self.extent > 0 else 0.0

    @property
    def max_move_frac(self) -> float:
        return self.max_move / self.extent if self.extent > 0 else 0.0

    def summary(self) -> str:
        text = (
            f"{self.kind} ({self.method}): {self.n_kept} kept, {self.n_new} new, "
            f"{self.n_removed} removed; old points moved mean {self.mean_move:.4g} "
            f"({100 * self.mean_move_frac:.2f}% of extent), max {self.max_move:.4g} "
            f"({100 * self.max_move_frac:.2f}%); {1000 * self.seconds:.1f} ms"
        )
        return f"{text}; {self.note}" if self.note else text


def fit_layout(
    ids: Sequence[str],
    distances: ArrayLike,
    method: str = "umap",
    *,
    warmup: WarmupLike | None = None,
    seed: int = 0,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    init: ArrayLike | None = None,
    trusted: bool = False,
) -> Layout:
    """A fresh layout of all models (see ``projection.project`` for fallbacks and ``init``).
    ``trusted``: the matrix is known to be a valid distance matrix (computed, not supplied by a
    user), so it is used as it is — float32 stays float32, no N×N checked copy."""
    d = _distances(distances, "distances", trusted)
    id_tuple = check_ids(ids, d.shape[0])
    return _fit(id_tuple, d, method, warmup, seed, n_neighbors, init)


def _distances(values: ArrayLike, name: str, trusted: bool) -> FloatArray:
    """A checked float64 copy, or for a trusted float matrix the matrix itself."""
    if trusted:
        arr = np.asarray(values)
        if arr.dtype in (np.float32, np.float64) and arr.ndim == 2:
            return arr  # type: ignore[return-value]  # float32 is fine for every consumer
    return check_distances(values, name)


def _fit(
    ids: tuple[str, ...],
    d: FloatArray,
    method: str,
    warmup: WarmupLike | None,
    seed: int,
    n_neighbors: int,
    init: ArrayLike | None,
) -> Layout:
    """``fit_layout`` on an already checked matrix."""
    result = project(
        d,
        method,
        warmup=warmup,
        seed=seed,
        n_neighbors=n_neighbors,
        init=init,
        assume_valid=True,
    )
    return Layout(
        ids=ids,
        coords=result.coords,
        method=result.method_used,
        fitted_n=len(ids),
        requested_method=result.requested,
        seed=seed,
        scale=calibrate_scale(result.coords, d),
        n_neighbors=n_neighbors,
        note=result.note,
    )


def place_new(
    layout: Layout,
    cross_distances: ArrayLike,
    new_block: ArrayLike,
    new_ids: Sequence[str],
    known: ArrayLike | None = None,
) -> tuple[Layout, PlacementReport]:
    """Add k models to ``layout`` without moving its points.

    ``cross_distances`` is k×N (row i: new model i to each old model, in ``layout.ids`` order),
    ``new_block`` the k×k distances among the new models. ``known`` (k×N booleans, optional):
    only these cross distances were computed (the rest are ignored, whatever their value).
    """
    start = time.perf_counter()
    ids = check_ids(new_ids, None, "new_ids")
    k, n = len(ids), layout.n
    clash = sorted(set(ids) & set(layout.ids))
    if clash:
        raise DistanceMatrixError(f"new_ids: {clash[0]!r} is already in the layout")
    mask = None if known is None else np.asarray(known, dtype=bool).reshape(k, n)
    raw = np.asarray(cross_distances, dtype=np.float64)
    cross = check_block(raw if mask is None else np.where(mask, raw, 0.0), k, n, "cross_distances")
    block = check_distances(new_block, "new_block") if k else np.zeros((0, 0))
    if block.shape != (k, k):
        rows, cols = block.shape
        raise DistanceMatrixError(f"new_block: matrix is {rows}×{cols}, expected {k}×{k}")
    note = ""
    if n == 0:
        res = project(block, "mds", seed=layout.seed, assume_valid=True)
        new_coords, note = res.coords, "empty layout: new models laid out by MDS"
    else:
        new_coords = place_points(
            layout.coords, cross, block, layout.scale, layout.placement_neighbors, mask
        )
    coords = np.vstack([layout.coords, new_coords]) if k else layout.coords
    new_layout = layout.with_points(layout.ids + ids, coords)
    moved = displacements(layout.coords, new_layout.coords[:n])
    report = PlacementReport(
        kind="place_new",
        method=layout.method,
        n_kept=n,
        n_new=k,
        n_removed=0,
        mean_move=float(moved.mean()) if n else 0.0,
        max_move=float(moved.max()) if n else 0.0,
        extent=layout.extent,
        seconds=time.perf_counter() - start,
        note=note,
    )
    return new_layout, report


def refit(
    layout: Layout,
    full_distances: ArrayLike,
    method: str | None = None,
    *,
    ids: Sequence[str] | None = None,
    warmup: WarmupLike | None = None,
    seed: int | None = None,
    warm_start: bool = True,
    trusted: bool = False,
) -> tuple[Layout, PlacementReport]:
    """Fit all models afresh and align the result to ``layout`` over their common ids.

    ``full_distances`` is M×M in the order of ``ids`` (default: ``layout.ids``). ``method``
    defaults to the layout's requested method. Models missing from ``ids`` are dropped.
    With ``warm_start`` the fit starts from the shown positions (models not shown yet start
    near their nearest shown models), which keeps old points closer to where they were;
    without it the fit starts from scratch (classical MDS) and only Procrustes aligns it.
    ``trusted`` as for :func:`fit_layout`.
    """
    start = time.perf_counter()
    d = _distances(full_distances, "full_distances", trusted)
    if ids is None and d.shape[0] != layout.n:
        raise DistanceMatrixError(
            f"full_distances: {d.shape[0]} models but the layout has {layout.n}; "
            "pass ids= naming the matrix rows"
        )
    id_tuple = check_ids(layout.ids if ids is None else ids, d.shape[0], "ids")
    wanted = check_method(method) if method is not None else layout.requested_method
    fit_seed = layout.seed if seed is None else seed
    old_index = {model_id: i for i, model_id in enumerate(layout.ids)}
    common_new = [i for i, model_id in enumerate(id_tuple) if model_id in old_index]
    common_old = [old_index[id_tuple[i]] for i in common_new]
    init = _warm_start(layout, d, common_new, common_old) if warm_start else None
    fresh = _fit(id_tuple, d, wanted, warmup, fit_seed, layout.n_neighbors, init)
    transform = procrustes_align(fresh.coords[common_new], layout.coords[common_old])
    aligned = transform.apply(fresh.coords)
    new_layout = Layout(
        ids=id_tuple,
        coords=aligned,
        method=fresh.method,
        fitted_n=len(id_tuple),
        requested_method=wanted,
        seed=fit_seed,
        scale=calibrate_scale(aligned, d),
        n_neighbors=layout.n_neighbors,
        note=fresh.note,
    )
    moved = displacements(layout.coords[common_old], aligned[common_new])
    report = PlacementReport(
        kind="refit",
        method=fresh.method,
        n_kept=len(common_new),
        n_new=len(id_tuple) - len(common_new),
        n_removed=layout.n - len(common_new),
        mean_move=float(moved.mean()) if moved.size else 0.0,
        max_move=float(moved.max()) if moved.size else 0.0,
        extent=layout.extent,
        seconds=time.perf_counter() - start,
        note=fresh.note,
    )
    return new_layout, report


def _warm_start(
    layout: Layout, d: FloatArray, common_new: list[int], common_old: list[int]
) -> FloatArray | None:
    """Start positions for a refit: shown positions; models not shown yet start at a
    kernel-weighted mean of their nearest shown models (the fit itself refines them)."""
    if not common_new:
        return None
    init = np.zeros((d.shape[0], 2))
    init[common_new] = layout.coords[common_old]
    fresh = np.setdiff1d(np.arange(d.shape[0]), common_new)
    if fresh.size:
        init[fresh] = kernel_start(
            layout.coords[common_old], d[np.ix_(fresh, np.asarray(common_new))]
        )
    return init


def should_refit(
    layout: Layout,
    n_now: int,
    *,
    growth: float = REFIT_GROWTH,
    max_new: int = REFIT_MAX_NEW,
    warmup: WarmupLike | None = None,
) -> bool:
    """True when a full refit is due: the set grew by ≥ ``growth`` (fraction) or by
    ≥ max(``max_new``, 10 % of the fitted set) models since the last fit, the last fit was
    tiny (< 10 models) and the set has grown, or the last fit fell back from UMAP and the
    given warm-up is now ready. (At 10,000 models a re-fit costs minutes and 1 GB: it is
    not worth doing for every 250 newcomers.)"""
    added = n_now - layout.fitted_n
    if warmup is not None and warmup.ready and layout.method != layout.requested_method:
        return n_now >= REFIT_MIN_FITTED
    if added <= 0:
        return False
    if layout.fitted_n < REFIT_MIN_FITTED:
        return True
    return added >= growth * layout.fitted_n or added >= max(max_new, 0.1 * layout.fitted_n)


def accuracy_params_layout(acc: ArrayLike, params: ArrayLike) -> FloatArray:
    """The accuracy-vs-size view: x = validation accuracy, y = log10(parameter count).

    Accuracy must be finite (fraction or percent, shown as given); parameter counts ≥ 1.
    """
    a = np.asarray(acc, dtype=np.float64).reshape(-1)
    p = np.asarray(params, dtype=np.float64).reshape(-1)
    if a.shape != p.shape:
        raise ValueError(f"accuracy_params_layout: {a.size} accuracies but {p.size} param counts")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise ValueError(f"accuracy_params_layout: accuracy of model {bad[0]} is {a[bad[0]]}")
    bad = np.flatnonzero(~(p >= 1))
    if bad.size:
        raise ValueError(
            f"accuracy_params_layout: parameter count of model {bad[0]} is {p[bad[0]]} "
            "(must be ≥ 1)"
        )
    return np.column_stack([a, np.log10(p)])
