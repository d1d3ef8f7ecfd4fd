"""Stable layouts without UMAP fits: Procrustes, place_new, refit, should_refit, views."""

from __future__ import annotations

import numpy as np
import pytest

from remap.analysis.layout import (
    Layout,
    accuracy_params_layout,
    fit_layout,
    place_new,
    refit,
    should_refit,
)
from remap.analysis.layout_align import SimilarityTransform, extent, procrustes_align
from remap.analysis.proj_checks import DistanceMatrixError


def pairwise(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    b = a if b is None else b
    diff = a[:, None, :] - b[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def clustered(n: int, dim: int = 6, clusters: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(clusters, dim))
    return centres[np.arange(n) % clusters] + rng.normal(size=(n, dim))


def ids(n: int, prefix: str = "m") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def rotation(theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


# --- Procrustes -------------------------------------------------------------------------------


@pytest.mark.parametrize("reflect", [False, True])
def test_procrustes_recovers_similarity_exactly(reflect: bool) -> None:
    src = np.random.default_rng(0).normal(size=(25, 2))
    rot = rotation(0.7) @ (np.diag([1.0, -1.0]) if reflect else np.eye(2))
    dst = 2.5 * src @ rot + np.array([3.0, -7.0])
    t = procrustes_align(src, dst)
    assert t.scale == pytest.approx(2.5, rel=1e-12)
    assert np.allclose(t.rotation, rot, atol=1e-12)
    assert np.allclose(t.translation, [3.0, -7.0], atol=1e-12)
    assert t.reflects == reflect
    assert np.allclose(t.apply(src), dst, atol=1e-12)


def test_procrustes_without_reflection_is_a_rotation() -> None:
    src = np.random.default_rng(1).normal(size=(10, 2))
    dst = src @ np.diag([1.0, -1.0])
    t = procrustes_align(src, dst, allow_reflection=False)
    assert not t.reflects
    assert np.linalg.det(t.rotation) == pytest.approx(1.0)


def test_procrustes_degenerate_cases() -> None:
    assert np.allclose(procrustes_align(np.zeros((0, 2)), np.zeros((0, 2))).rotation, np.eye(2))
    one = procrustes_align([[1.0, 2.0]], [[4.0, 6.0]])
    assert np.allclose(one.apply([[1.0, 2.0]]), [[4.0, 6.0]]) and one.scale == 1.0
    with pytest.raises(ValueError, match="source"):
        procrustes_align(np.zeros((3, 2)), np.zeros((2, 2)))


# --- place_new ----------------------------------------------------------------------------------


def test_place_new_mds_keeps_old_points_and_recovers_planar_truth() -> None:
    truth = np.random.default_rng(2).uniform(-10, 10, size=(60, 2))
    d = pairwise(truth)
    old = fit_layout(ids(55), d[:55, :55], "mds")
    assert old.method == "mds" and old.scale == pytest.approx(1.0, rel=1e-3)
    before = old.coords.copy()
    new, report = place_new(old, d[55:, :55], d[55:, 55:], ids(5, "n"))
    assert np.array_equal(new.coords[:55], before)
    assert np.array_equal(old.coords, before)
    assert report.mean_move == 0.0 and report.max_move == 0.0
    assert report.kind == "place_new" and report.n_new == 5 and report.n_kept == 55
    assert new.ids[55:] == tuple(ids(5, "n")) and new.fitted_n == 55
    # The old layout is the truth up to a rigid motion; the new points must follow it.
    t = procrustes_align(truth[:55], old.coords)
    assert np.allclose(new.coords[55:], t.apply(truth[55:]), atol=1e-3 * old.extent)


def test_place_new_duplicate_of_old_model_lands_on_it() -> None:
    pts = clustered(50, seed=3)
    d = pairwise(pts)
    old = fit_layout(ids(50), d, "mds")
    dup = pts[[17]]
    other = pts[[30]] + 0.3
    new_pts = np.vstack([dup, other])
    new, _ = place_new(old, pairwise(new_pts, pts), pairwise(new_pts), ["dup", "other"])
    assert np.array_equal(new.position("dup"), old.position("m17"))
    placed = np.asarray(new.position("other"))
    nearest_old = int(np.argmin(np.linalg.norm(old.coords - placed, axis=1)))
    true_nearest = np.argsort(pairwise(pts[[30]] + 0.3, pts)[0])[:5]
    assert nearest_old in true_nearest


def test_place_new_local_mode_for_umap_like_layouts() -> None:
    # A hand-made "UMAP" layout: two tight, far-apart clusters whose layout distances are not
    # proportional to the input distances. Local placement must put a new member of cluster B
    # inside cluster B, and a duplicate exactly on its twin.
    rng = np.random.default_rng(4)
    pts = np.vstack([rng.normal(size=(20, 5)), rng.normal(size=(20, 5)) + 50.0])
    coords = np.vstack([rng.normal(size=(20, 2)) * 0.5, rng.normal(size=(20, 2)) * 0.5 + 8.0])
    layout = Layout(
        ids=tuple(ids(40)), coords=coords, method="umap", fitted_n=40, scale=0.15, n_neighbors=8
    )
    assert layout.placement_neighbors == 8
    new_pts = np.vstack([pts[25:26] + 0.2, pts[3:4]])
    new, report = place_new(layout, pairwise(new_pts, pts), pairwise(new_pts), ["b", "a3"])
    assert report.max_move == 0.0
    assert np.linalg.norm(np.asarray(new.position("b")) - coords[20:].mean(axis=0)) < 2.0
    assert np.array_equal(new.position("a3"), coords[3])


@pytest.mark.parametrize("units", [1e-3, 1.0, 1e5])
def test_place_new_local_mode_lands_new_models_by_their_neighbours_in_any_layout_units(
    units: float,
) -> None:
    # A stored UMAP layout is in whatever units its fit and alignment left (a prediction
    # map's tenths, OTMANN's tens of thousands). A batch of new models nearer to each other
    # than to any old one (variations of one model) must still land by their nearest old
    # models, inside the map: in tiny units the repulsion used to fling all of them many
    # extents away, and with only each other as neighbours they drifted off together.
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 0.0], [0.0, 30.0, 0.0], [30.0, 30.0, 0.0]])
    old_pts = np.vstack([c + rng.normal(size=(150, 3)) for c in centres])
    plane = np.vstack([c[:2] / 3 + rng.normal(size=(150, 2)) * 0.3 for c in centres])
    layout = Layout(
        ids=tuple(ids(600)), coords=plane * units, method="umap", fitted_n=600, n_neighbors=15
    )
    home = centres[3] + np.array([2.5, 0.0, 0.0])  # just off cluster 3, the batch in a clump
    new_pts = home + rng.normal(size=(40, 3)) * 0.05
    new, report = place_new(
        layout, pairwise(new_pts, old_pts), pairwise(new_pts), ids(40, prefix="n")
    )
    assert report.max_move == 0.0
    placed = np.array([new.position(f"n{i}") for i in range(40)]) / units
    cluster = plane[450:]
    low, high = plane.min(axis=0), plane.max(axis=0)
    assert np.all((placed > low - 1.0) & (placed < high + 1.0)), "placed off the map"
    to_own = np.linalg.norm(placed - cluster.mean(axis=0), axis=1)
    to_others = [np.linalg.norm(placed - plane[i * 150 : (i + 1) * 150].mean(axis=0), axis=1)
                 for i in range(3)]  # fmt: skip
    assert np.all(to_own < np.min(to_others, axis=0)), "a new model left its neighbours"


def test_place_new_new_duplicates_share_a_spot_and_empty_inputs() -> None:
    pts = clustered(30, seed=5)
    d = pairwise(pts)
    old = fit_layout(ids(30), d, "mds")
    twin = pts[[4]] + np.array([[5.0, 0, 0, 0, 0, 0]])
    new_pts = np.vstack([twin, twin])
    new, _ = place_new(old, pairwise(new_pts, pts), pairwise(new_pts), ["t1", "t2"])
    assert np.array_equal(new.position("t1"), new.position("t2"))
    same, rep = place_new(old, np.zeros((0, 30)), np.zeros((0, 0)), [])
    assert same.n == 30 and rep.n_new == 0
    empty = Layout(ids=(), coords=np.zeros((0, 2)), method="mds", fitted_n=0)
    grown, rep = place_new(empty, np.zeros((2, 0)), np.array([[0, 3.0], [3.0, 0]]), ["a", "b"])
    assert grown.n == 2 and "empty layout" in rep.note
    assert np.linalg.norm(grown.coords[0] - grown.coords[1]) == pytest.approx(3.0)


def test_place_new_rejects_bad_input() -> None:
    old = fit_layout(ids(10), pairwise(clustered(10)), "mds")
    with pytest.raises(DistanceMatrixError, match="already in the layout"):
        place_new(old, np.ones((1, 10)), np.zeros((1, 1)), ["m3"])
    with pytest.raises(DistanceMatrixError, match=r"cross_distances: matrix is 1×9, expected 1×10"):
        place_new(old, np.ones((1, 9)), np.zeros((1, 1)), ["x"])
    with pytest.raises(DistanceMatrixError, match=r"new_block: matrix is 3×3, expected 2×2"):
        place_new(old, np.ones((2, 10)), np.zeros((3, 3)), ["x", "y"])
    with pytest.raises(DistanceMatrixError, match=r"cross_distances\[0, 2\]"):
        place_new(old, np.array([[1, 1, np.inf, 1, 1, 1, 1, 1, 1, 1.0]]), np.zeros((1, 1)), ["x"])
    with pytest.raises(DistanceMatrixError, match="more than once"):
        place_new(old, np.ones((2, 10)), np.array([[0, 1.0], [1.0, 0]]), ["x", "x"])


# --- refit -------------------------------------------------------------------------------------


def test_refit_aligns_to_a_rotated_old_layout() -> None:
    d = pairwise(clustered(60, seed=6))
    base = fit_layout(ids(60), d, "mds")
    moved = 3.0 * base.coords @ rotation(1.1) + np.array([10.0, 4.0])
    old = Layout(ids=base.ids, coords=moved, method="mds", fitted_n=60, requested_method="mds")
    # A cold refit reproduces the same MDS fit; Procrustes must map it back exactly.
    new, report = refit(old, d, warm_start=False)
    assert report.kind == "refit" and report.n_kept == 60 and report.n_new == 0
    assert report.max_move_frac < 1e-6
    assert np.allclose(new.coords, moved, atol=1e-6 * old.extent)
    # A warm start from the shown positions stays close too.
    _, warm_report = refit(old, d)
    assert warm_report.max_move_frac < 0.01


def test_refit_warm_start_moves_old_points_less_than_cold() -> None:
    pts = clustered(150, seed=8)
    d = pairwise(pts)
    names = ids(150)
    # A shown layout that is a good but different local optimum: MDS of the first 100,
    # then 50 placed models.
    shown = fit_layout(names[:100], d[:100, :100], "mds")
    shown, _ = place_new(shown, d[100:, :100], d[100:, 100:], names[100:])
    _, warm = refit(shown, d, ids=names)
    _, cold = refit(shown, d, ids=names, warm_start=False)
    assert warm.mean_move <= cold.mean_move + 1e-12
    assert warm.mean_move_frac < 0.05


def test_refit_reports_movement_for_grown_and_shrunk_sets() -> None:
    pts = clustered(90, seed=7)
    d = pairwise(pts)
    old = fit_layout(ids(60), d[:60, :60], "mds")
    grown_ids = [*ids(60)[5:], *ids(30, "n")]
    order = [*range(5, 60), *range(60, 90)]
    new, report = refit(old, d[np.ix_(order, order)], "mds", ids=grown_ids)
    assert (report.n_kept, report.n_new, report.n_removed) == (55, 30, 5)
    assert report.mean_move > 0.0 and report.max_move >= report.mean_move
    assert report.extent == pytest.approx(old.extent)
    assert report.mean_move_frac == pytest.approx(report.mean_move / old.extent)
    assert report.mean_move_frac < 0.2
    assert new.fitted_n == 85 and new.ids == tuple(grown_ids)
    assert "refit (mds)" in report.summary()
    with pytest.raises(DistanceMatrixError, match="ids: 3 ids"):
        refit(old, d[:4, :4], ids=["a", "b", "c"])
    with pytest.raises(DistanceMatrixError, match="layout has 60; pass ids="):
        refit(old, d)


def test_should_refit_thresholds() -> None:
    layout = Layout(ids=tuple(ids(100)), coords=np.zeros((100, 2)), method="mds", fitted_n=100)
    assert not should_refit(layout, 100)
    assert not should_refit(layout, 149)
    assert should_refit(layout, 150)
    assert should_refit(layout, 10_000)
    big = Layout(ids=tuple(ids(1000)), coords=np.zeros((1000, 2)), method="mds", fitted_n=1000)
    assert not should_refit(big, 1249) and should_refit(big, 1250)
    tiny = Layout(ids=tuple(ids(3)), coords=np.zeros((3, 2)), method="mds", fitted_n=3)
    assert should_refit(tiny, 4)

    class Ready:
        state, ready, error = "ready", True, None

    fallback = Layout(
        ids=tuple(ids(50)),
        coords=np.zeros((50, 2)),
        method="mds",
        fitted_n=50,
        requested_method="umap",
    )
    assert not should_refit(fallback, 50)
    assert should_refit(fallback, 50, warmup=Ready())


# --- Layout object and the accuracy view -------------------------------------------------------


def test_layout_round_trip_and_validation() -> None:
    layout = fit_layout(ids(12), pairwise(clustered(12)), "mds", seed=4)
    back = Layout.from_dict(layout.to_dict())
    assert back.ids == layout.ids and np.array_equal(back.coords, layout.coords)
    assert (back.method, back.fitted_n, back.seed, back.scale) == (
        layout.method,
        layout.fitted_n,
        4,
        layout.scale,
    )
    assert not layout.coords.flags.writeable
    with pytest.raises(ValueError, match="missing field 'coords'"):
        Layout.from_dict({"ids": ["a"], "method": "mds", "fitted_n": 1})
    with pytest.raises(ValueError, match="2 ids but 3"):
        Layout(ids=("a", "b"), coords=np.zeros((3, 2)), method="mds", fitted_n=2)
    with pytest.raises(KeyError, match="nope"):
        layout.position("nope")
    assert extent(np.array([[0.0, 0.0], [3.0, 4.0]])) == 5.0


def test_fit_layout_umap_request_on_tiny_set_falls_back() -> None:
    layout = fit_layout(ids(4), pairwise(clustered(4)), "umap")
    assert layout.method == "mds" and layout.requested_method == "umap"
    assert "UMAP needs at least" in layout.note


def test_accuracy_params_layout() -> None:
    xy = accuracy_params_layout([0.5, 0.91], [1000, 123456])
    assert np.allclose(xy, [[0.5, 3.0], [0.91, np.log10(123456)]])
    with pytest.raises(ValueError, match="model 1 is 0"):
        accuracy_params_layout([0.5, 0.6], [10, 0])
    with pytest.raises(ValueError, match="accuracy of model 0"):
        accuracy_params_layout([np.nan], [10])
    with pytest.raises(ValueError, match="2 accuracies but 1"):
        accuracy_params_layout([0.1, 0.2], [10])


def test_similarity_transform_identity() -> None:
    pts = np.arange(6.0).reshape(3, 2)
    assert np.array_equal(SimilarityTransform.identity().apply(pts), pts)
