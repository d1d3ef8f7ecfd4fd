"""Settings that cannot work are refused where they are typed, and never strand a
workspace: numbers past their bounds name the setting; a saved value this version refuses
falls back alone (the data set and the rest are kept) with a warning; a device this machine
lacks stops `remap train` and the language server before any job is claimed, instead of
failing every queued job."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_fixtures.harness import small_spec, start, stop, wait_for, write_npz
from service_helpers import remap, write_tiny_npz

from remap.service import ServiceError, Workspace
from remap.service.settings import WorkspaceSettings
from remap.service.workspace import SETTINGS_KEY
from remap.store import Store

HUGE = 99999999999999999999


BOUNDS = {  # the largest value each accepts: 32-bit seeds, counts a machine can mean
    "workers": 256,
    "threads": 1024,
    "epochs": 100_000,
    "max_params": 10**12,
    "seed": 2**32 - 1,
    "data_seed": 2**32 - 1,
}


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_every_number_setting_refuses_values_past_its_bound(key: str) -> None:
    for bad in (HUGE, BOUNDS[key] + 1, -1, 2.5, True, "3"):
        with pytest.raises(ServiceError, match=rf"^{key}: expected an integer"):
            WorkspaceSettings().merged({key: bad})
    for good in (1, BOUNDS[key]):
        assert getattr(WorkspaceSettings().merged({key: good}), key) == good


def test_a_saved_value_out_of_bounds_falls_back_alone_and_settings_repairs_it(
    tmp_path: Path,
) -> None:
    data = write_tiny_npz(tmp_path)
    with Workspace.open(tmp_path, overrides={"dataset": str(data), "epochs": 3}) as ws:
        saved = ws.settings.to_dict()
        # as an earlier version, before the bound existed, could have saved it
        ws.store.set_setting(SETTINGS_KEY, {**saved, "workers": HUGE})
    with Workspace.open(tmp_path) as ws:
        assert ws.settings.dataset == str(data) and ws.settings.epochs == 3
        assert ws.settings.workers == 0
        (note,) = ws.settings_notes
        assert "workers" in note and str(HUGE) in note and "using 0" in note
    out = remap("list", "-w", tmp_path)
    assert out.returncode == 0 and "warning: saved setting workers" in out.stderr
    assert remap("settings", "workers=1", "-w", tmp_path).returncode == 0
    out = remap("list", "-w", tmp_path)
    assert out.returncode == 0 and out.stderr == ""


def test_train_with_a_device_this_machine_lacks_claims_no_job(tmp_path: Path) -> None:
    data = write_tiny_npz(tmp_path)
    setup = remap("settings", f"dataset={data}", "epochs=1", "max_params=20000", "-w", tmp_path)
    assert setup.returncode == 0, setup.stderr
    assert remap("sample", "2", "-w", tmp_path).returncode == 0
    assert remap("settings", "device=cuda:99", "-w", tmp_path).returncode == 0
    out = remap("train", "-w", tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("remap: error: device:") and "cuda:99" in out.stderr
    with Store.open(tmp_path / ".remap" / "remap.db") as store:
        jobs = store.list_jobs()
    assert [(j.state, j.attempts) for j in jobs] == [("queued", 0), ("queued", 0)]


@pytest.mark.asyncio
async def test_the_server_says_why_training_cannot_start_and_keeps_the_queue(
    tmp_path: Path,
) -> None:
    data = write_npz(tmp_path / "data.npz")
    client, _ = await start(tmp_path, {"dataset": str(data), "epochs": 1, "device": "cuda:99"})
    try:
        created = await client.request(
            "remap/generate", {"kind": "spec", "spec": small_spec(3), "train": True}
        )
        assert created["created"]

        def said() -> bool:
            return any("cannot start training" in m.message for m in client.messages)

        await wait_for(said, timeout=60)
        (message,) = [m for m in client.messages if "cannot start training" in m.message]
        assert "cuda:99" in message.message and "device" in message.message
        state = await client.request("remap/queue", {"action": "list"})
        assert [j["state"] for j in state["jobs"]] == ["queued"]
    finally:
        await stop(client)
