"""Real training through the language server (tiny models, 1×8×8 synthetic data, worker
processes started by the server): notifications and ``$/progress`` during a run, cancelling
a running job, cancelling the progress (pauses the queue), and a server killed with SIGKILL
mid-training whose restart resumes the queue with every job finished exactly once."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_fixtures.harness import Client, small_spec, start, stop, wait_for, write_npz
from lsprotocol import types as t

pytestmark = pytest.mark.asyncio(loop_scope="module")
LONG = 250  # epochs of a job that runs for a few seconds


class Env:
    def __init__(self, client: Client, root: Path, data: Path) -> None:
        self.client, self.root, self.data = client, root, data

    async def add(self, filters: int, train: bool = False) -> int:
        result = await self.client.request(
            "remap/generate", {"kind": "spec", "spec": small_spec(filters), "train": train}
        )
        return int((result["created"] + result["existing"])[0])

    async def jobs(self) -> dict[int, dict[str, Any]]:
        state = await self.client.request("remap/queue", {"action": "list"})
        return {job["id"]: job for job in state["jobs"]}

    async def job_state(self, job_id: int) -> str:
        return str((await self.jobs())[job_id]["state"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    root = tmp_path_factory.mktemp("training")
    data = write_npz(root / "data.npz")
    client, _ = await start(root, {"dataset": str(data), "epochs": 2, "device": "cpu"})
    yield Env(client, root, data)
    await stop(client)


async def test_notifications_and_progress_during_training(env: Env) -> None:
    c = env.client
    c.notes.clear()
    # Add both models first and queue them in one request, so the progress of this busy
    # period counts two models from its first report on.
    first = await c.request(
        "remap/generate", {"kind": "spec", "spec": small_spec(3), "train": False}
    )
    second = await c.request(
        "remap/generate", {"kind": "spec", "spec": small_spec(5), "train": False}
    )
    ids = first["created"] + second["created"]
    jobs = (await c.request("remap/train", {"modelIds": ids}))["jobs"]
    assert len(ids) == 2 and len(jobs) == 2

    def idle() -> bool:  # the watcher's last word: sent after the epochs of the same poll
        return any(
            q["summary"]["done"] >= 2 and q["summary"]["running"] + q["summary"]["queued"] == 0
            for q in c.of("remap/queueChanged")
        )

    await wait_for(idle, timeout=90, interval=0.2)
    states = await env.jobs()
    assert all(states[j]["state"] == "done" for j in jobs)
    rows = {r["id"]: r for r in (await c.request("remap/listModels", {}))["models"]}
    assert all(rows[i]["state"] == "trained" and rows[i]["epochs"] == 2 for i in ids)

    epochs = c.of("remap/epoch")
    for job_id, model_id in zip(jobs, ids, strict=True):
        mine = [e for e in epochs if e["jobId"] == job_id]
        assert mine and all(e["modelId"] == model_id and e["epochs"] == 2 for e in mine)
        assert max(e["epoch"]["epoch"] for e in mine) == 2
        assert 0.0 <= mine[-1]["epoch"]["valAcc"] <= 1.0 and "trainLoss" in mine[-1]["epoch"]
    queue = c.of("remap/queueChanged")
    assert any(q["summary"]["running"] == 1 for q in queue)
    assert queue[-1]["summary"]["running"] == 0 and queue[-1]["jobs"] == []
    assert all(job["state"] in ("queued", "running") for q in queue for job in q["jobs"])
    changed = c.of("remap/modelsChanged")
    touched = {i for n in changed for i in n["added"] + n["updated"]}
    assert set(ids) <= touched

    await wait_for(lambda: any(_ended(r) for r in c.progress_reports.values()), timeout=10)
    (reports,) = [r for r in c.progress_reports.values() if r]
    begin, *middle, end = reports
    assert isinstance(begin, t.WorkDoneProgressBegin) and begin.title == "REMAP: training"
    assert begin.cancellable is True
    assert isinstance(end, t.WorkDoneProgressEnd)
    messages = [begin.message] + [r.message for r in middle]
    assert all(m and "/2 models" in m for m in messages)
    percents = [begin.percentage] + [r.percentage for r in middle]
    assert all(p is not None and 0 <= p <= 100 for p in percents)


def _ended(reports: list[Any]) -> bool:
    return bool(reports) and isinstance(reports[-1], t.WorkDoneProgressEnd)


async def test_cancel_a_running_job(env: Env) -> None:
    c = env.client
    model = await env.add(7)
    (job,) = (await c.request("remap/train", {"modelIds": [model], "epochs": LONG}))["jobs"]
    await wait_for(lambda: any(e["jobId"] == job for e in c.of("remap/epoch")), timeout=60)
    state = await c.request("remap/queue", {"action": "cancel", "jobId": job})
    assert {j["id"]: j for j in state["jobs"]}[job]["cancelRequested"] is True

    async def cancelled() -> bool:
        return await env.job_state(job) == "cancelled"

    await wait_for(cancelled, timeout=30, interval=0.2)
    rows = {r["id"]: r for r in (await c.request("remap/listModels", {}))["models"]}
    assert rows[model]["state"] == "cancelled"
    epochs = [e["epoch"]["epoch"] for e in c.of("remap/epoch") if e["jobId"] == job]
    assert max(epochs) < LONG


async def test_cancelling_the_progress_pauses_the_queue(env: Env) -> None:
    c = env.client
    c.messages.clear()
    models = [await env.add(9), await env.add(10)]
    jobs = (await c.request("remap/train", {"modelIds": models, "epochs": LONG}))["jobs"]
    token = await wait_for(  # the progress in course (it may go on from the previous test)
        lambda: next((k for k, r in c.progress_reports.items() if r and not _ended(r)), None),
        timeout=60,
    )
    await wait_for(lambda: any(e["jobId"] == jobs[0] for e in c.of("remap/epoch")), timeout=60)
    c.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    await wait_for(lambda: any("paused" in m.message for m in c.messages), timeout=10)

    async def paused() -> bool:
        return bool((await c.request("remap/status", {}))["queue"]["paused"])

    await wait_for(paused, timeout=10)
    await wait_for(lambda: _ended(c.progress_reports[token]), timeout=10)
    assert await env.job_state(jobs[1]) == "queued"  # not started while paused
    for job in jobs:
        if await env.job_state(job) in ("queued", "running"):
            await c.request("remap/queue", {"action": "cancel", "jobId": job})
    await c.request("remap/queue", {"action": "resume"})


async def test_killed_server_then_restarted_resumes_the_queue(tmp_path: Path) -> None:
    from remap.store import Store

    root = tmp_path
    data = write_npz(root / "data.npz")
    settings = {"dataset": str(data), "device": "cpu"}
    first, _ = await start(root, settings)
    try:
        ids = []
        for filters in (3, 4):
            created = await first.request(
                "remap/generate", {"kind": "spec", "spec": small_spec(filters), "train": False}
            )
            ids += created["created"]
        jobs = [
            *(await first.request("remap/train", {"modelIds": ids[:1], "epochs": 1000}))[
                "jobs"
            ],  # long enough to be mid-run
            *(await first.request("remap/train", {"modelIds": ids[1:], "epochs": 2}))["jobs"],
        ]
        await wait_for(lambda: first.of("remap/epoch"), timeout=60)
        workers = (await first.request("remap/status", {}))["workers"]
        pids = [w["pid"] for w in workers if w["alive"]]
        assert pids
        assert first._server is not None
        os.kill(first._server.pid, signal.SIGKILL)
        await first._server.wait()
    finally:
        await first.stop()
    await wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=30)

    second, _ = await start(root, settings)
    try:

        async def finished() -> bool:
            state = await second.request("remap/queue", {"action": "list"})
            return all(j["state"] == "done" for j in state["jobs"])

        await wait_for(finished, timeout=120, interval=0.5)
    finally:
        await stop(second)

    with Store.open(root / ".remap" / "remap.db") as store:
        assert store.integrity_check() == "ok"
        for model_id, job_id in zip(ids, jobs, strict=True):
            runs = store.list_runs(model_id)
            assert [r.state for r in runs].count("finished") == 1
            assert store.get_job(job_id).state == "done"
        interrupted = [r for m in ids for r in store.list_runs(m) if r.state != "finished"]
        assert interrupted and all("interrupted" in (r.error or "") for r in interrupted)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its dead parent's reaper) counts as gone
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
