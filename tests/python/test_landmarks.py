"""Landmark MDS (issue 13's first map at 10,000 models) and the pair-list OTMANN engine it
reads: landmark layouts are about as faithful as exact classical MDS on real OTMANN
distances of a few hundred sampled models, on Euclidean data they equal it, models placed
later from their landmark distances leave every other point where it was, and the pair-list
engine gives the all-pairs engine's distances."""

from __future__ import annotations

import numpy as np
import pytest

from remap.analysis.landmarks import LandmarkFrame, landmark_mds, maxmin_landmarks
from remap.analysis.otmann import OtmannParams, graphs
from remap.analysis.otmann_fast import PackedSet, otmann_graph_matrix, otmann_graph_pairs
from remap.analysis.proj_smacof import classical_mds
from remap.analysis.quality import normalized_stress, trustworthiness_of
from remap.arch.sampling import sample_architectures

PARAMS = OtmannParams.default()


@pytest.fixture(scope="module")
def otmann_300() -> tuple[PackedSet, np.ndarray]:
    gs = graphs(sample_architectures(300, (1, 28, 28), 10, seed=300), PARAMS)
    packed = PackedSet(gs, PARAMS)
    return packed, packed.rows(range(300))


def test_pair_list_engine_equals_the_all_pairs_engine() -> None:
    gs = graphs(sample_architectures(40, (1, 28, 28), 10, seed=4), PARAMS)
    packed = PackedSet(gs, PARAMS)
    exact = otmann_graph_matrix(gs, PARAMS)
    assert np.allclose(packed.rows(range(40)), exact, rtol=1e-9, atol=1e-12)
    for engine in ("python", "compiled"):
        got = packed.pairs([3, 5, 5, 39], [7, 5, 0, 1], workers=2, engine=engine)
        assert np.allclose(got, exact[[3, 5, 5, 39], [7, 5, 0, 1]], rtol=1e-9, atol=1e-12)
    cross = otmann_graph_pairs(gs[:6], gs[10:], PARAMS)
    assert np.allclose(packed.rows(range(6), range(10, 40)), cross, rtol=1e-9, atol=1e-12)
    with pytest.raises(IndexError, match="outside 0…39"):
        packed.pairs([0], [40])
    with pytest.raises(ValueError, match="2 first models but 1 second"):
        packed.pairs([0, 1], [2])


def test_maxmin_reads_only_landmark_rows_and_spreads_them(
    otmann_300: tuple[PackedSet, np.ndarray],
) -> None:
    _, d = otmann_300
    asked: list[int] = []

    def rows(pos: object) -> np.ndarray:
        picked = list(pos)  # type: ignore[call-overload]
        asked.extend(picked)
        return d[picked]

    idx, got = maxmin_landmarks(300, 40, rows, seed=1, batch=4)
    assert len(idx) == 40 and len(set(idx.tolist())) == 40 and sorted(asked) == sorted(idx)
    assert np.array_equal(got, d[idx])
    # maxmin covers the set: the farthest model from its nearest landmark is closer than
    # with 40 random landmarks
    rand = np.random.default_rng(1).choice(300, 40, replace=False)
    assert d[idx].min(axis=0).max() < d[rand].min(axis=0).max()


def test_landmark_layout_is_about_as_faithful_as_exact_classical_mds(
    otmann_300: tuple[PackedSet, np.ndarray],
) -> None:
    packed, d = otmann_300
    exact = classical_mds(d, seed=0)
    idx, rows = maxmin_landmarks(300, 50, lambda p: packed.rows(p), seed=0, batch=8)
    coords, _ = landmark_mds(rows, idx)
    t_exact, t_land = trustworthiness_of(exact, d), trustworthiness_of(coords, d)
    s_exact, s_land = normalized_stress(exact, d), normalized_stress(coords, d)
    assert t_land >= t_exact - 0.02, (t_land, t_exact)
    assert s_land <= s_exact + 0.05, (s_land, s_exact)
    # and clearly better than a layout that ignores the distances
    noise = np.random.default_rng(0).normal(size=(300, 2))
    assert t_land > trustworthiness_of(noise, d) + 0.1


def test_landmark_mds_is_exact_on_euclidean_points_and_places_without_moving() -> None:
    pts = np.random.default_rng(2).normal(size=(120, 2)) * [3.0, 1.0]
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    idx, rows = maxmin_landmarks(100, 12, lambda p: d[np.asarray(p)][:, :100], seed=0)
    coords, frame = landmark_mds(rows, idx)
    assert normalized_stress(coords, d[:100, :100]) < 1e-6
    later = frame.place(d[100:, :100][:, idx])  # 20 models added later
    assert normalized_stress(np.vstack([coords, later]), d) < 1e-6
    again = LandmarkFrame.from_dict(frame.to_dict())
    assert np.allclose(again.place(rows.T), coords)


def test_maxmin_stops_at_the_distinct_models() -> None:
    d = np.zeros((6, 6))
    d[:3, 3:] = d[3:, :3] = 1.0  # two groups of identical models
    idx, rows = maxmin_landmarks(6, 5, lambda p: d[np.asarray(p)], seed=0)
    assert len(idx) == 2 and rows.shape == (2, 6)
    coords, _ = landmark_mds(rows, idx)
    assert np.allclose(coords[:3], coords[0]) and np.allclose(coords[3:], coords[3])
