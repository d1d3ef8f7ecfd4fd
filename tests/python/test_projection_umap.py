"""UMAP projections and layouts (real fits, few and small; numba compiles once per run).

numba's on-disk cache goes to the repo's ``.remap-cache/numba`` unless NUMBA_CACHE_DIR is set,
so pynndescent's kernels are reused across runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".remap-cache" / "numba")
)

import numpy as np
import pytest

from remap.analysis.layout import fit_layout, place_new, refit
from remap.analysis.projection import project
from remap.analysis.quality import trustworthiness_of
from remap.analysis.warmup import UmapWarmup


def pairwise(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    b = a if b is None else b
    diff = a[:, None, :] - b[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def clustered(n: int, dim: int = 8, clusters: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(clusters, dim))
    return centres[np.arange(n) % clusters] + rng.normal(size=(n, dim))


def latent_l1(n: int, seed: int = 0, dim: int = 10, clusters: int = 12) -> np.ndarray:
    """L1 distances between clustered latent points (clusters of unequal size and spread).

    With n = 250 UMAP's neighbour graph has 5 components — the case where umap-learn's own
    spectral start is not reproducible.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(clusters, dim))
    weights = rng.dirichlet(np.full(clusters, 1.5))
    spread = rng.uniform(0.5, 2.0, size=clusters)
    label = rng.choice(clusters, size=n, p=weights)
    pts = centres[label] + rng.normal(size=(n, dim)) * spread[label, None]
    return np.abs(pts[:, None, :] - pts[None, :, :]).sum(axis=2)


@pytest.fixture(scope="module")
def warm() -> Iterator[UmapWarmup]:
    warmup = UmapWarmup().start()
    assert warmup.state in ("warming", "ready")
    assert warmup.wait(300), f"UMAP warm-up did not finish: {warmup.state} {warmup.error}"
    yield warmup


def test_warmup_reaches_ready(warm: UmapWarmup) -> None:
    assert warm.state == "ready" and warm.error is None
    assert os.environ["NUMBA_CACHE_DIR"]


def test_umap_is_reproducible_per_seed(warm: UmapWarmup) -> None:
    d = latent_l1(250)
    a = project(d, "umap", warmup=warm, seed=0)
    b = project(d, "umap", warmup=warm, seed=0)
    c = project(d, "umap", warmup=warm, seed=1)
    assert a.method_used == "umap" and a.note == ""
    assert a.coords.shape == (250, 2) and a.coords.dtype == np.float64
    assert np.array_equal(a.coords, b.coords)
    assert not np.allclose(a.coords, c.coords)
    bad = np.random.default_rng(0).normal(size=(250, 2))
    t_umap = trustworthiness_of(a.coords, d, n_neighbors=10)
    assert t_umap > 0.85
    assert t_umap > trustworthiness_of(bad, d, n_neighbors=10) + 0.2


def test_umap_duplicates_share_a_spot(warm: UmapWarmup) -> None:
    pts = clustered(60, seed=2)
    pts[40:45] = pts[7]
    res = project(pairwise(pts), "umap", warmup=warm)
    assert res.method_used == "umap" and res.n_unique == 55
    assert np.allclose(res.coords[40:45], res.coords[7])


def test_umap_layout_place_new_then_refit(warm: UmapWarmup) -> None:
    pts = clustered(130, seed=3)
    d = pairwise(pts)
    names = [f"m{i}" for i in range(130)]
    old = fit_layout(names[:120], d[:120, :120], "umap", warmup=warm)
    assert old.method == "umap" and old.placement_neighbors == 15 and old.scale > 0
    before = old.coords.copy()
    # Model 120 is new; "dup" duplicates old model 11.
    new_d = np.vstack([d[120:121], d[11:12]])
    cross = new_d[:, :120]
    block = pairwise(np.vstack([pts[120:121], pts[11:12]]))
    grown, report = place_new(old, cross, block, ["m120", "dup"])
    assert np.array_equal(grown.coords[:120], before)
    assert report.max_move == 0.0 and report.seconds >= 0.0
    assert np.array_equal(grown.position("dup"), old.position("m11"))
    # The new model lands among its own cluster (clusters are i mod 5).
    placed = np.asarray(grown.position("m120"))
    near = np.argsort(np.linalg.norm(before - placed, axis=1))[:5]
    assert np.mean(near % 5 == 120 % 5) >= 0.6

    full, refit_report = refit(grown, _full(d, 121, 11), "umap", warmup=warm)
    assert full.method == "umap" and full.fitted_n == 122
    assert refit_report.n_kept == 122 and refit_report.n_new == 0
    assert refit_report.mean_move > 0.0
    assert 0.0 < refit_report.mean_move_frac < 0.5


def _full(d: np.ndarray, n_first: int, dup_of: int) -> np.ndarray:
    """Distances for ids m0…m{n_first-1} followed by a duplicate of model ``dup_of``."""
    order = [*range(n_first), dup_of]
    return d[np.ix_(order, order)]
