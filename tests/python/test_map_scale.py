"""The map at many models (issue 13) and start-up (issue 12), for correctness (the figures
are in bench/bench_map_scale.py and bench/bench_startup.py): distances stored compactly as
float32 row blocks round-trip; rows added incrementally equal a full recompute; a matrix
whose keys disappear is rewritten from the rows it keeps; new models are placed without
moving old points; the model list, details and per-class accuracy need no data set once its
fingerprint is known and equal what the full records give; the server and `remap list`
import nothing heavy before they answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lsp_fixtures.harness import add_trained
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.analysis.otmann import OtmannParams
from remap.analysis.otmann_fast import otmann_matrix
from remap.arch.sampling import sample_architectures
from remap.service import Workspace, distances, maps, views
from remap.service.wire import to_wire
from remap.store import Store, StoreError


def reference(n: int, seed: int = 0) -> np.ndarray:
    pts = np.random.default_rng(seed).normal(size=(n, 3))
    return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).astype(np.float32)


def condensed(d: np.ndarray, start: int, end: int) -> np.ndarray:
    return np.concatenate([d[i, :i] for i in range(start, end)] or [np.zeros(0)])


def test_row_matrix_gives_rows_and_squares_of_its_condensed_rows() -> None:
    d = reference(23)
    m = distances.RowMatrix()
    m.append(list(range(10, 17)), condensed(d, 0, 7))
    m.append(list(range(17, 33)), condensed(d, 7, 23))
    assert m.n == 23 and m.nbytes == 23 * 22 // 2 * 4
    assert np.array_equal(m.square(), d)
    assert np.array_equal(m.rows([0, 5, 22]), d[[0, 5, 22]])
    order = [4, 0, 22, 9]
    assert np.array_equal(m.square(order), d[np.ix_(order, order)])
    assert np.array_equal(m.condensed_rows(order), condensed(d[np.ix_(order, order)], 0, 4))
    assert m.position(14) == 4


def test_matrix_row_blocks_round_trip_as_float32(tmp_path: Path) -> None:
    d = reference(9)
    with Store.open(tmp_path / "remap.db") as store:
        assert store.matrix_rows_extent("otmann", "k") == (0, 0)
        store.append_matrix_rows("otmann", "k", 0, [5, 6, 7, 8], condensed(d, 0, 4))
        store.append_matrix_rows("otmann", "k", 4, [9, 10, 11, 12, 13], condensed(d, 4, 9))
        assert store.matrix_rows_extent("otmann", "k") == (9, 2)
        blocks = store.matrix_row_blocks("otmann", "k")
        assert [(s, ids) for s, ids, _ in blocks] == [(0, [5, 6, 7, 8]), (4, [9, 10, 11, 12, 13])]
        assert blocks[1][2].dtype == np.float32
        assert np.array_equal(np.concatenate([b[2] for b in blocks]), condensed(d, 0, 9))
        assert [s for s, _, _ in store.matrix_row_blocks("otmann", "k", from_row=4)] == [4]
        with pytest.raises(StoreError, match="has 9 rows stored, cannot append at row 4"):
            store.append_matrix_rows("otmann", "k", 4, [99], np.zeros(4))
        with pytest.raises(StoreError, match="needs 9 distances, got 3"):
            store.append_matrix_rows("otmann", "k", 9, [99], np.zeros(3))
        store.append_matrix_rows("otmann", "k", 0, [1, 2], [0.5])  # start 0 replaces it
        assert store.matrix_rows_extent("otmann", "k") == (2, 1)
        assert store.drop_matrix_rows("otmann") == 1
        assert store.matrix_rows_extent("otmann", "k") == (0, 0)


def test_complete_matrix_computes_only_missing_rows_and_drops_vanished_keys(
    tmp_path: Path,
) -> None:
    calls: list[tuple[int, int]] = []

    def pair(a: list[int], b: list[int]) -> np.ndarray:
        calls.append((len(a), len(b)))
        return np.abs(np.subtract.outer(np.asarray(a, float), np.asarray(b, float)))

    def square(a: list[int]) -> np.ndarray:
        return pair(a, a)

    distances.clear_cache()
    with Workspace.open(tmp_path) as ws:
        m = distances.complete_matrix(ws, "toy", "k", [3, 1, 4], pair, square, block_rows=2)
        assert calls == [(2, 2), (1, 2), (1, 1)]  # blocks of two rows: 3,1 then 4
        calls.clear()
        m = distances.complete_matrix(ws, "toy", "k", [3, 1, 4, 10], pair, square)
        assert calls == [(1, 3), (1, 1)]  # only the new row
        assert m.rows([m.position(10)])[0].tolist() == [7, 9, 6, 0]
        calls.clear()
        distances.clear_cache()  # a new process: the rows come from the store
        m = distances.complete_matrix(ws, "toy", "k", [1, 10, 3, 4], pair, square)
        assert calls == [] and sorted(m.ids) == [1, 3, 4, 10]
        m = distances.complete_matrix(ws, "toy", "k", [1, 10, 4], pair, square)
        assert calls == [] and m.ids == [1, 4, 10]  # 3 vanished: rewritten from kept rows
        assert ws.store.matrix_rows_extent("toy", "k") == (3, 1)
        order = [m.position(i) for i in (1, 4, 10)]
        assert m.square(order).tolist() == [[0, 3, 9], [3, 0, 6], [9, 6, 0]]


def test_otmann_rows_added_incrementally_equal_a_full_recompute(tmp_path: Path) -> None:
    specs = sample_architectures(30, TINY_SHAPE, 4, seed=5, max_params=20_000)
    distances.clear_cache()
    with tiny_workspace(tmp_path) as ws:
        for spec in specs[:18]:
            ws.store.add_model(spec, origin="sampled")
        maps.otmann_rows(ws)
        for spec in specs[18:]:
            ws.store.add_model(spec, origin="sampled")
        ids, got = maps.distance_matrix(ws)
        assert ids == ws.store.model_ids()
        assert ws.store.matrix_rows_extent("otmann", "default") == (30, 2)
        full = otmann_matrix(specs, OtmannParams.default())
        np.testing.assert_allclose(got, full, rtol=1e-6, atol=1e-7)  # float32 storage
        distances.clear_cache()
        _, again = maps.distance_matrix(ws)  # read back from the store
        assert np.array_equal(again, got)


def test_new_models_are_placed_without_moving_old_points(tmp_path: Path) -> None:
    specs = sample_architectures(16, TINY_SHAPE, 4, seed=8, max_params=20_000)
    with tiny_workspace(tmp_path, projection="mds") as ws:
        for spec in specs[:14]:
            ws.store.add_model(spec, origin="sampled")
        before = {p["id"]: (p["x"], p["y"]) for p in maps.get_map(ws, "architecture")["points"]}
        for spec in specs[14:]:
            ws.store.add_model(spec, origin="sampled")
        after = maps.get_map(ws, "architecture")
        assert after["movement"]["kind"] == "place_new" and after["movement"]["max"] == 0.0
        moved = {p["id"]: (p["x"], p["y"]) for p in after["points"]}
        assert len(moved) == 16 and all(moved[i] == before[i] for i in before)


def old_rows(ws: Workspace) -> list[views.ModelRow]:
    """The model list as it was computed from full records."""
    runs = {r.model_id: r for r in ws.store.finished_runs(ws.split().fingerprint)}
    jobs = views.latest_jobs(ws)
    return [views.model_row(m, runs.get(m.id), jobs.get(m.id)) for m in ws.store.list_models()]


def test_listing_reads_no_data_once_the_split_is_known_and_matches_the_full_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = sample_architectures(4, TINY_SHAPE, 4, seed=2, max_params=20_000)
    with tiny_workspace(tmp_path) as ws:
        data = Path(ws.settings.dataset)
        add_trained(ws.store.path, data, specs[:3], [0.5, 0.9, 0.7])
        ws.store.add_model(specs[3], origin="sampled")
        expected = [r.to_dict() for r in old_rows(ws)]
        assert [r.to_dict() for r in views.model_rows(ws)] == expected
        assert views.model_list_wire(ws)["models"] == to_wire(expected)
        pcs = views.per_class_accuracy(ws)
        assert views.per_class_accuracy_wire(ws) == to_wire(pcs)
        assert len(pcs["ids"]) == 3 and pcs["classes"] == list(ws.split().classes)
        for model_id, acc in zip(pcs["ids"], pcs["per_class_acc"], strict=True):
            assert acc == views.model_details(ws, model_id)["run"]["per_class_acc"]

    def no_data(ref: object) -> None:
        raise AssertionError("the data set was loaded")

    monkeypatch.setattr(views, "_infos", {})  # a new process: only the store remembers
    monkeypatch.setattr("remap.service.workspace.load_split_cached", no_data)
    with Workspace.open(tmp_path) as ws:
        assert [r.to_dict() for r in views.model_rows(ws)] == expected
        assert views.model_details(ws, 1)["classes"] == ["0", "1", "2", "3"]
        assert len(views.per_class_accuracy(ws)["ids"]) == 3
        data.write_bytes(data.read_bytes() + b"\0")  # the source changed: read it again
        with pytest.raises(AssertionError, match="the data set was loaded"):
            views.model_rows(ws)


def imported_after(code: str, cwd: Path) -> list[str]:
    """Module names loaded by ``code`` in a fresh interpreter."""
    script = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_server_module_loads_no_handlers_and_matches_the_dispatch_table(
    tmp_path: Path,
) -> None:
    from remap.lsp import dispatch
    from remap.lsp import protocol as P

    assert set(P.REQUESTS) == set(dispatch.HANDLERS)
    assert set(P.COMMANDS) == set(dispatch.COMMANDS)
    loaded = imported_after("import remap.lsp.server", tmp_path)
    heavy = ("remap.lsp.dispatch", "remap.lsp.editor", "remap.codegen", "remap.store", "numpy")
    assert not [m for m in loaded if m.startswith(heavy)]


def test_remap_list_imports_no_data_loader_codegen_or_torch(tmp_path: Path) -> None:
    specs = sample_architectures(2, TINY_SHAPE, 4, seed=2, max_params=20_000)
    with tiny_workspace(tmp_path) as ws:
        add_trained(ws.store.path, Path(ws.settings.dataset), specs, [0.5, 0.6])
        views.model_rows(ws)  # records the split's fingerprint
    run = (
        "import runpy\nsys.argv = ['remap', 'list']\n"
        "try:\n    runpy.run_module('remap', run_name='__main__')\nexcept SystemExit:\n    pass"
    )
    loaded = imported_after(run, tmp_path)
    assert "remap.service.views" in loaded
    heavy = ("sklearn", "torch", "remap.codegen", "remap.data.registry", "remap.analysis")
    assert not [m for m in loaded if m.startswith(heavy)]
