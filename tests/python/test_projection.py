"""Projection without UMAP fits: MDS, tiny N, duplicates, bad input, quality, non-blocking."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from remap.analysis import projection
from remap.analysis.proj_checks import DistanceMatrixError, duplicate_groups
from remap.analysis.proj_smacof import classical_mds, smacof
from remap.analysis.projection import UMAP_MIN_POINTS, project
from remap.analysis.quality import normalized_stress, trustworthiness_of
from remap.analysis.warmup import UmapWarmup, cache_dir, configure_numba_cache, shared_warmup


def pairwise(points: np.ndarray) -> np.ndarray:
    diff = points[:, None, :] - points[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def clustered(n: int, dim: int = 6, clusters: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(clusters, dim))
    return centres[np.arange(n) % clusters] + rng.normal(size=(n, dim))


class ForcedWarmup:
    """A warm-up whose state is whatever the test says."""

    def __init__(self, state: str, error: str | None = None) -> None:
        self.state = state
        self.error = error

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@pytest.fixture
def no_umap(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("UMAP must not run here")

    monkeypatch.setattr(projection, "umap_embed", fail)


def test_mds_is_reproducible_and_seed_independent_of_call_order() -> None:
    d = pairwise(clustered(80))
    a = project(d, "mds", seed=3)
    b = project(d, "mds", seed=3)
    assert a.method_used == "mds" and a.note == ""
    assert np.array_equal(a.coords, b.coords)
    assert a.coords.shape == (80, 2) and a.coords.dtype == np.float64


def test_mds_recovers_planar_configuration_exactly() -> None:
    pts = np.random.default_rng(1).uniform(-5, 5, size=(40, 2))
    d = pairwise(pts)
    res = project(d, "mds")
    assert normalized_stress(res.coords, d) < 1e-6
    assert np.allclose(pairwise(res.coords), d, atol=1e-5)


def test_smacof_stress_not_worse_than_sklearn_mds() -> None:
    from sklearn.manifold import MDS

    d = pairwise(clustered(60, seed=2))
    ours = smacof(d, rel_tol=1e-6)
    sk = MDS(
        n_components=2, metric="precomputed", init="classical_mds", n_init=1, random_state=0
    ).fit_transform(d)
    assert ours.converged
    assert normalized_stress(ours.coords, d) <= normalized_stress(sk, d) + 1e-3
    assert abs(ours.stress1 - normalized_stress(ours.coords, d)) < 1e-3


def test_classical_mds_sign_convention_is_deterministic() -> None:
    d = pairwise(clustered(100, seed=4))
    a, b = classical_mds(d, seed=0), classical_mds(d, seed=5)
    assert np.allclose(a, b, atol=1e-8)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_n_falls_back_to_exact_mds(n: int, no_umap: None) -> None:
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])[:n]
    d = pairwise(pts) if n else np.zeros((0, 0))
    res = project(d, "umap")
    assert res.coords.shape == (n, 2)
    assert res.requested == "umap"
    if n:
        assert res.method_used == "mds"
        assert "UMAP needs at least" in res.note
        assert np.allclose(pairwise(res.coords), d, atol=1e-6)


def test_fewer_distinct_models_than_umap_minimum_uses_mds(no_umap: None) -> None:
    d = pairwise(clustered(UMAP_MIN_POINTS - 1))
    res = project(d, "umap", warmup=ForcedWarmup("ready"))
    assert res.method_used == "mds"
    assert f"have {UMAP_MIN_POINTS - 1}" in res.note


def test_duplicates_share_a_position() -> None:
    pts = clustered(30, seed=5)
    pts[10] = pts[3]
    pts[11] = pts[3]
    pts[20] = pts[7]
    d = pairwise(pts)
    res = project(d, "mds")
    assert res.n_unique == 27
    assert "3 model(s) duplicate" in res.note
    assert np.array_equal(res.coords[10], res.coords[3])
    assert np.array_equal(res.coords[11], res.coords[3])
    assert np.array_equal(res.coords[20], res.coords[7])
    assert not np.array_equal(res.coords[3], res.coords[7])


def test_all_identical_models() -> None:
    res = project(np.zeros((5, 5)), "mds")
    assert res.n_unique == 1
    assert np.allclose(res.coords, 0.0)


def test_duplicate_groups_are_transitive_and_ordered() -> None:
    d = np.array(
        [[0, 0, 2, 3], [0, 0, 2, 3], [2, 2, 0, 1], [3, 3, 1, 0]],
        dtype=float,
    )
    reps, group_of = duplicate_groups(d)
    assert reps.tolist() == [0, 2, 3]
    assert group_of.tolist() == [0, 0, 1, 2]


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        (np.zeros((3, 4)), "3×4"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), "[0, 1] = nan"),
        (np.array([[0.0, -1.0], [-1.0, 0.0]]), "negative"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), "not symmetric"),
        (np.array([[1.0, 1.0], [1.0, 0.0]]), "diagonal"),
        (np.zeros(4), "2-D"),
        ([["a", "b"], ["c", "d"]], "not a numeric matrix"),
    ],
)
def test_bad_matrices_are_named(matrix: object, fragment: str) -> None:
    with pytest.raises(DistanceMatrixError, match="distances") as info:
        project(matrix, "mds")  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="tsne"):
        project(np.zeros((2, 2)), "tsne")


def test_trustworthiness_real_layout_beats_random() -> None:
    d = pairwise(clustered(120, seed=6))
    good = project(d, "mds").coords
    bad = np.random.default_rng(0).normal(size=(120, 2))
    t_good = trustworthiness_of(good, d, n_neighbors=10)
    t_bad = trustworthiness_of(bad, d, n_neighbors=10)
    assert t_good > 0.85
    assert t_good > t_bad + 0.2
    assert normalized_stress(good, d) < normalized_stress(bad, d)


def test_trustworthiness_small_n_and_bad_shapes() -> None:
    d = pairwise(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]]))
    coords = project(d, "mds").coords
    assert trustworthiness_of(coords, d, n_neighbors=10) == pytest.approx(1.0)
    assert trustworthiness_of(coords[:2], d[:2, :2]) == 1.0
    with pytest.raises(DistanceMatrixError, match="layout_coords"):
        trustworthiness_of(coords[:3], d)


# --- non-blocking behaviour while UMAP warms up -------------------------------------------


@pytest.mark.parametrize("state", ["cold", "warming"])
def test_project_never_blocks_while_umap_is_not_ready(state: str, no_umap: None) -> None:
    d = pairwise(clustered(40))
    res = project(d, "umap", warmup=ForcedWarmup(state))
    assert res.method_used == "mds" and res.requested == "umap"
    assert "used MDS" in res.note
    assert ("warming up" in res.note) == (state == "warming")
    assert np.array_equal(res.coords, project(d, "mds").coords)


def test_failed_warmup_reports_the_error(no_umap: None) -> None:
    res = project(pairwise(clustered(40)), "umap", warmup=ForcedWarmup("failed", "boom"))
    assert res.method_used == "mds"
    assert "warm-up failed: boom" in res.note


def test_warmup_states_with_a_controlled_runner(no_umap: None) -> None:
    gate = threading.Event()
    warm = UmapWarmup(runner=lambda: gate.wait(10), numba_cache=None)
    assert warm.state == "cold" and not warm.wait(0.01)
    warm.start()
    assert warm.state == "warming" and not warm.ready
    t0 = time.perf_counter()
    res = project(pairwise(clustered(40)), "umap", warmup=warm)
    assert time.perf_counter() - t0 < 5.0
    assert res.method_used == "mds" and "warming up" in res.note
    assert not warm.wait(0.05)
    gate.set()
    assert warm.wait(10)
    assert warm.state == "ready" and warm.error is None
    assert warm.seconds is not None and warm.seconds >= 0.0
    assert warm.start() is warm  # idempotent


def test_warmup_failure_is_captured() -> None:
    def broken() -> None:
        raise RuntimeError("no compiler")

    warm = UmapWarmup(runner=broken).start()
    assert not warm.wait(10)
    assert warm.state == "failed"
    assert warm.error == "RuntimeError: no compiler"


def test_cache_dir_and_numba_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMAP_CACHE_DIR", str(tmp_path / "rc"))
    assert cache_dir() == tmp_path / "rc"
    monkeypatch.delenv("REMAP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "remap"
    # An explicit NUMBA_CACHE_DIR wins over the default.
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert configure_numba_cache() == tmp_path / "mine"
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        monkeypatch.setattr(numba_config, "CACHE_DIR", numba_config.CACHE_DIR)
    target = configure_numba_cache(tmp_path / "numba")
    assert target == tmp_path / "numba" and target.is_dir()
    import os

    assert os.environ["NUMBA_CACHE_DIR"] == str(target)


def test_bad_entries_beyond_the_first_block_are_located() -> None:
    d = pairwise(clustered(300, seed=9))
    asym = d.copy()
    asym[10, 290] += 1.0
    with pytest.raises(DistanceMatrixError, match=r"not symmetric: \[10, 290\]"):
        project(asym, "mds")
    nan = d.copy()
    nan[270, 3] = nan[3, 270] = np.nan
    with pytest.raises(DistanceMatrixError, match=r"distances\[3, 270\] = nan"):
        project(nan, "mds")
    tiny = d.copy()
    tiny[5, 280] += 1e-12  # rounding noise is averaged away, not an error
    res = project(tiny, "mds")
    assert np.isfinite(res.coords).all()


def test_shared_warmup_is_one_object() -> None:
    assert shared_warmup() is shared_warmup()
    assert shared_warmup().state in ("cold", "warming", "ready", "failed")
