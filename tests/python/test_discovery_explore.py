"""The explore autopilot and the suggestions through the service, with real worker
processes training real (tiny, 1-epoch) models: it spends exactly its budget, stops when
asked and resumes with what is left, resumes after its process is killed, evolution mutates
its tournament winners, and every suggestion on the trained workspace makes a valid child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from service_helpers import tiny_workspace

from remap.service import Workspace
from remap.service import discovery as disc

PYTHON_SERVER = Path(__file__).resolve().parents[2] / "python_server"


@pytest.fixture(scope="module")
def explored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explore")
    with tiny_workspace(root, epochs=1, threads=1) as ws:
        state = disc.explore(ws, 3, "random", seed=1, workers=1)
        assert state.spent == 3 and state.pending_job is None and state.owner is None
    return root


def _explore_jobs(ws: Workspace, state: disc.ExploreState) -> list[int]:
    models = {m for m, _ in state.history}
    return [j.id for j in ws.store.list_jobs() if j.model_id in models]


def test_explore_spends_exactly_its_budget(explored: Path) -> None:
    with Workspace.open(explored) as ws:
        state = disc.load_session(ws, "random-1")
        assert state is not None and state.spent == 3 and len(state.history) == 3
        assert len({m for m, _ in state.history}) == 3
        assert len(_explore_jobs(ws, state)) == 3  # one training per step, none extra
        assert all(ws.store.get_job(j).state == "done" for j in _explore_jobs(ws, state))
        again = disc.explore(ws, 3, "random", seed=1, workers=1)  # budget already spent
        assert again.spent == 3 and len(ws.store.list_models()) == 3


def test_explore_stops_when_asked_and_resumes(explored: Path) -> None:
    with Workspace.open(explored) as ws:
        steps: list[int] = []
        state = disc.explore(
            ws, 3, "guided", seed=2, workers=1,
            progress=lambda s: steps.append(s.spent), should_stop=lambda: len(steps) >= 1,
        )  # fmt: skip
        assert state.spent == 1 and steps == [1]
        state = disc.explore(ws, 3, "guided", seed=2, workers=1)
        assert state.spent == 3 and len(state.history) == 3
        guided = {m for m, _ in state.history}
        assert len(guided) == 3 and all(a is not None for _, a in state.history)


def test_evolution_mutates_tournament_winners(explored: Path) -> None:
    with Workspace.open(explored) as ws:
        state = disc.explore(ws, 3, "evolution", seed=3, workers=1, population=2, sample_size=1)
        assert state.spent == 3
        first, second, third = (ws.store.get_model(m) for m, _ in state.history)
        assert first.origin == second.origin == "sampled"
        assert third.origin == "variation" and third.parent_id in (first.id, second.id)
        assert state.evolution is not None
        assert [m for m, _ in state.evolution["members"]] == [second.id, third.id]  # aged out


def test_suggestions_on_the_trained_workspace_make_valid_children(explored: Path) -> None:
    with Workspace.open(explored) as ws:
        found = disc.suggestions(ws, 6, seed=4)
        assert [s.to_dict() for s in found] == [
            s.to_dict() for s in disc.suggestions(ws, 6, seed=4)
        ]
        ids = {m.id for m in ws.store.list_models()}
        assert {s.kind for s in found} >= {"ablate", "vary"}
        for s in found:
            assert s.parent is None or s.parent in ids
            result = disc.apply_suggestion(ws, s.kind, s.parent, s.changes, train=False)
            assert len(result.created) == 1, (s.to_dict(), result.to_dict())
            child = ws.store.get_model(result.created[0])
            assert child.parent_id == s.parent
            if s.preview:
                assert child.changes == s.preview
        disc.dismiss(ws, found[0].key)
    with Workspace.open(explored) as ws:  # remembered in the store
        assert found[0].key in disc.dismissed(ws)
        assert found[0].key not in {s.key for s in disc.suggestions(ws, 6, seed=4)}


def test_explore_resumes_after_its_process_is_killed(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path, epochs=1, threads=1):
        pass
    cmd = [sys.executable, "-m", "remap", "explore", "-w", str(tmp_path), "--budget", "3",
           "--strategy", "random", "--seed", "5", "--workers", "1"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PYTHON_SERVER)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with Workspace.open(tmp_path) as ws:
                state = disc.load_session(ws, "random-5")
            if state is not None and state.spent >= 1 and state.pending_job is not None:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        else:
            pytest.fail("explore did not reach its second training")
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-way: the second training is queued or running
        proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "resuming explore session 'random-5'" in done.stdout
    with Workspace.open(tmp_path) as ws:
        state = disc.load_session(ws, "random-5")
        assert state is not None and state.spent == 3 and len(state.history) == 3
        assert len(ws.store.list_models()) == 3  # the interrupted training was not re-drawn
        assert len(_explore_jobs(ws, state)) == 3


def test_cli_suggest_prints_json(explored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from remap.cli.main import main

    assert main(["suggest", "-w", str(explored), "--n", "3", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 3
    assert all({"kind", "parent", "changes", "reason", "cost"} <= set(s) for s in found)
    assert main(["suggest", "-w", str(explored), "--n", "2"]) == 0
    assert "cost:" in capsys.readouterr().out


def test_explore_stops_with_the_reason_when_every_worker_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remap.service import ServiceError

    # workers inherit this environment: each dies at start (no such Python home)
    monkeypatch.setenv("PYTHONHOME", str(tmp_path / "no-such-python"))
    with tiny_workspace(tmp_path, epochs=1, threads=1) as ws:
        with pytest.raises(ServiceError, match="every training worker died right after starting"):
            disc.explore(ws, 2, "random", seed=6, workers=1, poll=0.05)
        state = disc.load_session(ws, "random-6")
        assert state is not None and state.spent == 0 and state.owner is None
        assert state.pending_job is not None  # kept for a resume with working workers
        assert ws.store.get_job(state.pending_job).state == "queued"
    monkeypatch.delenv("PYTHONHOME")
    with Workspace.open(tmp_path) as ws:
        state = disc.explore(ws, 1, "random", seed=6, workers=1)
        assert state.spent == 1 and len(ws.store.list_models()) == 1


def test_explore_on_a_paused_queue_says_so_and_keeps_its_budget(explored: Path) -> None:
    # No worker claims a job while the queue is paused: explore used to wait forever (in the
    # CLI and behind the editor's progress bar alike).
    with Workspace.open(explored) as ws:
        ws.store.set_paused(True)
        try:
            with pytest.raises(disc.ServiceError, match="training queue is paused") as err:
                disc.explore(ws, 2, "random", seed=9, workers=1, poll=0.05)
            assert "0 of 2 trainings spent" in str(err.value) and err.value.field == "queue"
            state = disc.load_session(ws, "random-9")
            assert state is not None and state.spent == 0 and state.owner is None
            queued = state.pending_job
            assert queued is not None and ws.store.get_job(queued).state == "queued"
        finally:
            ws.store.set_paused(False)
        state = disc.explore(ws, 2, "random", seed=9, workers=1)  # resumed: the same job
        assert state.spent == 2 and ws.store.get_job(queued).state == "done"
