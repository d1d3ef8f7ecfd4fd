"""The architecture map of a large set (issue 13) without the full OTMANN matrix up front,
exercised on a small set with the size thresholds lowered: the first layout comes from
landmarks and says it is approximate; a background job completes the matrix and its exact
layout replaces the approximate one; models added meanwhile are placed from their landmark
distances, and models added to an exact layout from their landmarks and candidate
neighbours — neither moves an old point; while another completion of the matrix holds it,
a map request neither waits for it nor computes the matrix itself. Jobs are held back by
holding the matrix's lock (states, not timing, decide what each request sees)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch.sampling import sample_architectures
from remap.service import Workspace, distances, map_background, map_landmarks, map_layouts, maps


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(map_layouts, "APPROX_MIN_PAIRS", 0)
    monkeypatch.setattr(map_layouts, "PLACE_EXACT_PAIRS", 0)
    monkeypatch.setattr(map_landmarks, "LANDMARKS", 16)
    monkeypatch.setattr(map_landmarks, "CANDIDATES", 12)
    yield
    assert map_background.wait_idle(600)
    map_background.forget()
    map_landmarks.clear_cache()
    distances.clear_cache()


def add(ws: Workspace, n: int, seed: int) -> list[int]:
    known = frozenset(m.content_hash for m in ws.store.model_summaries())
    specs = sample_architectures(n, TINY_SHAPE, 4, seed=seed, max_params=20_000, exclude=known)
    return [ws.store.add_model(spec, origin="sampled")[0] for spec in specs]


def positions(result: dict[str, Any]) -> dict[int, tuple[float, float]]:
    return {p["id"]: (p["x"], p["y"]) for p in result["points"]}


def matrix_held(ws: Workspace) -> threading.Lock:
    return distances.matrix_lock(ws, "otmann", "default")


def in_thread(fn: Any) -> Any:
    """``fn()`` in another thread; fails (instead of hanging) if it waits on a lock the test
    holds."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(300)
    assert out, "the map request waited for the matrix held by another completion"
    return out[0]


def test_first_map_is_landmark_mds_then_the_exact_layout_replaces_it(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        ids = add(ws, 80, seed=1)
        lock = matrix_held(ws)
        with lock:  # the background completion cannot start yet
            first = in_thread(lambda: maps.get_map(ws, "architecture", "mds"))
            assert "approximate layout (landmark MDS, 16 landmarks)" in first["note"]
            assert sorted(positions(first)) == sorted(ids) and first["trustworthiness"] is None
            assert ws.store.matrix_rows_extent("otmann", "default")[0] == 0
            job = map_background.running((str(ws.store.path), "architecture", "mds:otmann"))
            assert job is not None
            more = add(ws, 10, seed=2)
            placed = in_thread(lambda: maps.get_map(ws, "architecture", "mds"))
            assert placed["movement"]["max"] == 0.0 and placed["movement"]["kind"] == "place_new"
            after = positions(placed)
            before = positions(first)
            assert all(after[i] == before[i] for i in ids) and set(more) <= set(after)
            assert "approximate" in placed["note"]
        replaced = map_background.replaced()
        assert map_background.wait_idle(600)
        assert job.phase == "done" and map_background.replaced() == replaced + 1
        exact = maps.get_map(ws, "architecture", "mds")
        assert "approximate" not in (exact["note"] or "")
        assert exact["trustworthiness"] is not None
        assert sorted(positions(exact)) == sorted(ids + more)
        assert map_background.wait_idle(600)  # rows of models placed meanwhile, if any
        assert ws.store.matrix_rows_extent("otmann", "default")[0] == 90


def test_models_added_to_an_exact_layout_are_placed_from_candidates_without_waiting(
    tmp_path: Path,
) -> None:
    with tiny_workspace(tmp_path) as ws:
        ids = add(ws, 70, seed=3)
        maps.get_map(ws, "architecture", "mds")
        assert map_background.wait_idle(600)
        exact = maps.get_map(ws, "architecture", "mds")
        assert "approximate" not in (exact["note"] or "")
        new = add(ws, 6, seed=4)
        with matrix_held(ws):  # a long completion elsewhere: the request must not wait
            placed = in_thread(lambda: maps.get_map(ws, "architecture", "mds"))
        before, after = positions(exact), positions(placed)
        assert all(after[i] == before[i] for i in ids) and set(new) <= set(after)
        assert placed["movement"]["max"] == 0.0
        assert map_background.wait_idle(600)  # the new rows are completed in the background
        assert ws.store.matrix_rows_extent("otmann", "default")[0] == 76
        # each new model lands nearer to its nearest model than a typical pair is apart
        d, order = maps.distance_matrix(ws)[1], maps.distance_matrix(ws)[0]
        xy = np.array([after[i] for i in order])
        span = np.median(np.linalg.norm(xy[:, None] - xy[None], axis=-1))
        for m in new:
            r = order.index(m)
            row = d[r].copy()
            row[r] = np.inf
            nearest = int(np.argmin(row))
            assert np.linalg.norm(xy[r] - xy[nearest]) < span


def test_a_large_refit_runs_in_the_background_and_replaces_the_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_layouts, "APPROX_MIN_PAIRS", 10**9)  # exact from the start
    monkeypatch.setattr(map_layouts, "BACKGROUND_FIT_MIN", 0)
    with tiny_workspace(tmp_path) as ws:
        ids = add(ws, 40, seed=5)
        first = maps.get_map(ws, "architecture", "mds")  # small: fitted in the request
        assert first["note"] is None or "approximate" not in first["note"]
        more = add(ws, 30, seed=6)  # grew by 75 %: a re-fit is due
        with matrix_held(ws):
            shown = in_thread(lambda: maps.get_map(ws, "architecture", "mds"))
            assert "re-fit queued" in shown["note"] or "exact distances" in shown["note"]
            assert all(positions(shown)[i] == positions(first)[i] for i in ids)
            assert set(more) <= set(positions(shown))
        assert map_background.wait_idle(600)
        layout = ws.store.get_layout("architecture", "mds:otmann")
        assert layout is not None and layout[2]["layout"]["fitted_n"] == 70
        again = maps.get_map(ws, "architecture", "mds")
        assert again["movement"] is None and "queued" not in (again["note"] or "")


@pytest.mark.parametrize("distance", ["disagreement", "per_class"])
def test_prediction_maps_start_from_landmarks_and_place_new_runs_without_moving_old_ones(
    tmp_path: Path, distance: str
) -> None:
    """The prediction maps (run ids, disagreement or per-class gap) take the same path as the
    architecture map: landmark MDS first, runs trained meanwhile triangulated, the exact
    layout from the background, later runs placed from candidates."""
    from lsp_fixtures.harness import add_trained

    from remap.service.views import split_info

    def trained(n: int, seed: int) -> list[int]:
        known = frozenset(m.content_hash for m in ws.store.model_summaries())
        specs = sample_architectures(n, TINY_SHAPE, 4, seed=seed, max_params=20_000, exclude=known)
        accuracy = list(np.random.default_rng(seed).uniform(0.25, 0.95, len(specs)))
        return add_trained(ws.store.path, tmp_path / "tiny.npz", specs, accuracy, seed=seed)

    def prediction_map() -> dict[str, Any]:
        return in_thread(lambda: maps.get_map(ws, "prediction", "mds", distance=distance))

    with tiny_workspace(tmp_path) as ws:
        ids = trained(60, seed=11)
        fingerprint = split_info(ws).fingerprint
        with distances.matrix_lock(ws, distance, fingerprint):  # no completion can start
            first = prediction_map()
            assert "approximate layout (landmark MDS, 16 landmarks)" in first["note"]
            assert sorted(positions(first)) == sorted(ids) and first["trustworthiness"] is None
            assert ws.store.matrix_rows_extent(distance, fingerprint)[0] == 0
            meanwhile = trained(5, seed=12)
            placed = prediction_map()
            assert placed["movement"]["max"] == 0.0 and "approximate" in placed["note"]
            assert all(positions(placed)[i] == positions(first)[i] for i in ids)
            assert set(meanwhile) <= set(positions(placed))
        assert map_background.wait_idle(600)
        exact = prediction_map()
        assert "approximate" not in (exact["note"] or "") and exact["trustworthiness"] is not None
        assert sorted(positions(exact)) == sorted(ids + meanwhile)
        later = trained(4, seed=13)
        with distances.matrix_lock(ws, distance, fingerprint):
            placed = prediction_map()  # from landmarks and candidates: no full rows needed
        assert placed["movement"]["max"] == 0.0 and placed["movement"]["kind"] == "place_new"
        assert all(positions(placed)[i] == positions(exact)[i] for i in ids + meanwhile)
        assert set(later) <= set(positions(placed))
        assert map_background.wait_idle(600)
        assert ws.store.matrix_rows_extent(distance, fingerprint)[0] == 69


def test_background_jobs_leave_requests_a_core() -> None:
    """A distance kernel called in a request may use every core; in a background job one
    fewer, so a map request answered meanwhile is not starved by the job's threads."""
    import os

    cores = len(os.sched_getaffinity(0))
    seen: list[int | None] = []

    def work(job: map_background.Job) -> bool:
        seen.append(map_background.kernel_threads())
        return False

    assert map_background.kernel_threads() is None  # this (request) thread: all cores
    map_background.start(("test", "threads", "x"), work)
    assert map_background.wait_idle(60)
    assert seen == [max(1, cores - 1)]


def test_a_job_waiting_for_quiet_waits_while_a_map_request_is_answered() -> None:
    ran: list[bool] = []

    def work(job: map_background.Job) -> bool:
        map_background.wait_for_quiet(0.05)
        ran.append(True)
        return False

    with map_background.answering():
        job = map_background.start(("test", "quiet", "x"), work)
        assert not job.finished.wait(0.5) and not ran  # held for as long as the request runs
    assert map_background.wait_idle(60) and ran == [True]
