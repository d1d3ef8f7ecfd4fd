"""``remap/explore``, ``remap/stopExplore`` and ``remap/exploreProgress`` over the real server
(stdio, real store, real 1-epoch trainings by the server's own workers): a progress note per
training and one at the end, a stop that leaves the training in flight queued, a resume that
counts what was spent and re-uses that training, one explore at a time, bad params named.
Waits are on states (notifications, the queue), never on time: the queue is paused while an
explore has to be observed running (its notes then say it waits for the paused queue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsp_fixtures.harness import Client, start, stop, wait_for, write_npz

pytestmark = pytest.mark.asyncio
PROGRESS = "remap/exploreProgress"


def notes(client: Client, session: str) -> list[dict[str, Any]]:
    return [n for n in client.of(PROGRESS) if n["session"] == session]


async def ended(client: Client, session: str, count: int) -> dict[str, Any] | None:
    """The ``count``-th end note (state other than running) of ``session``, once it came."""
    ends = [n for n in notes(client, session) if n["state"] != "running"]
    return ends[count - 1] if len(ends) >= count else None


async def test_explore_progress_stop_and_resume(tmp_path: Path) -> None:
    data = write_npz(tmp_path / "data.npz")
    settings = {"dataset": str(data), "epochs": 1, "device": "cpu", "maxParams": 20_000}
    client, _ = await start(tmp_path, settings)
    try:
        first = await client.request("remap/explore", {"budget": 1, "strategy": "random"})
        assert first["session"] == "random-0" and first["spent"] == 0
        assert first["state"] == "running"
        end = await wait_for(lambda: ended(client, "random-0", 1), timeout=300)
        assert end["state"] == "done" and end["spent"] == 1 and end["error"] is None
        assert end["best"] is not None and end["lastModel"] == end["best"]["modelId"]
        assert [n["spent"] for n in notes(client, "random-0")] == [1, 1]  # one training, the end

        # paused queue: the next training stays queued, so the explore is seen running
        await client.request("remap/queue", {"action": "pause"})
        resumed = await client.request("remap/explore", {"budget": 3, "strategy": "random"})
        assert resumed["spent"] == 1 and resumed["budget"] == 3 and resumed["state"] == "running"

        async def queued() -> bool:
            q = await client.request("remap/queue", {"action": "list"})
            return bool(q["summary"]["queued"] == 1)

        await wait_for(queued, timeout=120)

        async def says_paused() -> bool:
            return any(n["paused"] and n["state"] == "running" for n in notes(client, "random-0"))

        await wait_for(says_paused, timeout=120)  # it says why it waits, it does not fail
        busy = await client.rejected("remap/explore", {"budget": 5, "strategy": "guided"})
        assert "already running" in str(busy)
        stopping = await client.request("remap/stopExplore", {})
        assert stopping["stopping"] is True
        end = await wait_for(lambda: ended(client, "random-0", 2), timeout=120)
        assert end["state"] == "stopped" and end["spent"] == 1 and end["paused"] is False
        q = await client.request("remap/queue", {"action": "list"})
        assert q["summary"]["queued"] == 1  # the training in flight waits for the resume
        models_before = len((await client.request("remap/listModels", {}))["models"])
        assert models_before == 2

        await client.request("remap/queue", {"action": "resume"})
        again = await client.request("remap/explore", {"budget": 3, "strategy": "random"})
        assert again["spent"] == 1
        end = await wait_for(lambda: ended(client, "random-0", 3), timeout=300)
        assert end["state"] == "done" and end["spent"] == 3
        assert end["paused"] is False
        models = (await client.request("remap/listModels", {}))["models"]
        assert len(models) == 3  # the stopped training was resumed, not drawn again
        assert all(m["state"] == "trained" for m in models)
        assert client.of("remap/modelsChanged")  # the maps and views hear of each model

        spent = await client.request("remap/explore", {"budget": 3, "strategy": "random"})
        assert spent["state"] == "done" and spent["spent"] == 3  # nothing left to spend
        idle = await client.request("remap/stopExplore", {})
        assert idle["stopping"] is False

        bad = await client.rejected("remap/explore", {"budget": 0, "strategy": "random"})
        assert "budget" in str(bad)
        bad = await client.rejected("remap/explore", {"budget": 2, "strategy": "greedy"})
        assert "strategy" in str(bad)
    finally:
        await stop(client)
