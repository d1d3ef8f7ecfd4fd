"""The REMAP language server's custom requests against the real server process (one server
for the module; autoTrain off, so nothing trains): initialisation, every ``remap/*`` method
on its happy path, and bad params answered with -32602 naming the field or id."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_fixtures.harness import (
    FIXTURES,
    Client,
    add_trained,
    small_spec,
    start,
    stop,
    wait_for,
    write_npz,
)
from lsprotocol import types as t

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool

pytestmark = pytest.mark.asyncio(loop_scope="module")


def spec_with(filters: int, units: int = 12) -> ArchSpec:
    return ArchSpec(
        (1, 8, 8),
        3,
        (Conv2D(3, filters), Activation("relu"), MaxPool(2), Flatten(), Dense(units), Dense(3)),
    )


class Server:
    def __init__(self, client: Client, root: Path, init: t.InitializeResult, trained: list[int]):
        self.client, self.root, self.init, self.trained = client, root, init, trained


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    root = tmp_path_factory.mktemp("ws")
    data = write_npz(root / "data.npz")
    trained = add_trained(
        root / ".remap" / "remap.db",
        data,
        [spec_with(4), spec_with(6), spec_with(8)],
        [0.5, 0.9, 0.7],
    )
    client, init = await start(root, {"dataset": str(data), "epochs": 2, "autoTrain": False})
    yield Server(client, root, init, trained)
    await stop(client)


async def invalid(server: Server, method: str, params: Any, *needles: str) -> str:
    exc = await server.client.rejected(method, params)
    assert exc.code == -32602, (method, params, exc.code, exc.message)
    for needle in needles:
        assert needle in exc.message, (needle, exc.message)
    return exc.message


# -- initialisation ----------------------------------------------------------------------------
async def test_initialize_capabilities_and_info(server: Server) -> None:
    caps = server.init.capabilities
    assert server.init.server_info is not None
    assert server.init.server_info.name == "remap"
    assert server.init.server_info.version
    assert caps.code_lens_provider is not None
    assert caps.code_action_provider
    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {
        "remap.server.showOnMap",
        "remap.server.ablate",
        "remap.server.vary",
        "remap.server.train",
        "remap.server.exportVariant",
    }
    assert caps.text_document_sync is not None


async def test_status(server: Server) -> None:
    status = await server.client.request("remap/status", {})
    assert status["workspace"] == str(server.root)
    assert status["storePath"].endswith("remap.db")
    assert status["dataset"]["inputShape"] == [1, 8, 8]
    assert status["dataset"]["classes"] == ["0", "1", "2"]
    assert status["dataset"]["train"] == 120 and status["dataset"]["heldOut"] == 30
    assert status["datasetError"] is None
    assert status["warmup"]["umap"] in ("cold", "warming", "ready", "failed")
    assert status["settings"]["epochs"] == 2 and status["settings"]["autoTrain"] is False
    assert set(status["queue"]) == {"queued", "running", "done", "failed", "cancelled", "paused"}


async def test_status_accepts_no_params(server: Server) -> None:
    status = await server.client.request("remap/status", None)
    assert status["version"]
    await invalid(server, "remap/status", [1, 2], "params", "expected an object")


# -- models ------------------------------------------------------------------------------------
async def test_list_and_get_model(server: Server) -> None:
    rows = (await server.client.request("remap/listModels", {}))["models"]
    by_id = {row["id"]: row for row in rows}
    best = server.trained[1]
    assert by_id[best]["state"] == "trained"
    assert by_id[best]["valAcc"] > by_id[server.trained[0]]["valAcc"]
    assert by_id[best]["layers"].startswith("Conv2D 3×3/6")
    details = await server.client.request("remap/getModel", {"modelId": best})
    assert details["model"]["id"] == best
    assert details["spec"]["inputShape"] == [1, 8, 8]
    assert details["spec"]["layers"][0]["kernelSize"] == 3
    assert details["layers"][0]["output"] == [6, 6, 6]
    assert details["run"]["perClassAcc"] and len(details["run"]["confusion"]) == 3
    assert details["classes"] == ["0", "1", "2"]


async def test_per_class_accuracy_of_every_model_in_one_request(server: Server) -> None:
    answer = await server.client.request("remap/perClassAccuracy", {})
    assert answer["classes"] == ["0", "1", "2"]
    assert set(server.trained) <= set(answer["ids"])
    for model_id, acc in zip(answer["ids"], answer["perClassAcc"], strict=True):
        details = await server.client.request("remap/getModel", {"modelId": model_id})
        assert acc == details["run"]["perClassAcc"]


async def test_get_model_bad_params(server: Server) -> None:
    await invalid(server, "remap/getModel", {"modelId": 987}, "modelId", "unknown model id 987")
    await invalid(server, "remap/getModel", {}, "modelId", "missing")
    await invalid(server, "remap/getModel", {"modelId": "1"}, "modelId", "integer")
    await invalid(server, "remap/getModel", {"modelId": True}, "modelId")


# -- validate ----------------------------------------------------------------------------------
async def test_validate(server: Server) -> None:
    ok = await server.client.request("remap/validate", {"spec": small_spec()})
    assert ok["ok"] is True and ok["error"] is None
    assert ok["params"] == 4 * 9 + 4 + 36 * 3 + 3
    assert [layer["output"] for layer in ok["layers"]][:3] == [[4, 6, 6], [4, 6, 6], [4, 3, 3]]
    bad = small_spec()
    bad["layers"].insert(3, {"type": "conv2d", "kernelSize": 5, "filters": 2})
    result = await server.client.request("remap/validate", {"spec": bad})
    assert result["ok"] is False
    assert result["error"]["index"] == 3
    assert "kernel 5" in result["error"]["message"]
    assert len(result["layers"]) == 3  # up to the first error


async def test_validate_bad_spec(server: Server) -> None:
    await invalid(server, "remap/validate", {}, "spec", "missing")
    await invalid(server, "remap/validate", {"spec": 3}, "spec")
    bad = small_spec()
    bad["layers"][0]["kernelSize"] = "three"
    await invalid(server, "remap/validate", {"spec": bad}, "spec.layers[0].kernelSize")
    bad = small_spec()
    bad["layers"][1] = {"type": "lstm"}
    await invalid(server, "remap/validate", {"spec": bad}, "spec.layers[1]")


# -- generate ----------------------------------------------------------------------------------
async def test_generate_each_kind(server: Server) -> None:
    c = server.client
    sampled = await c.request(
        "remap/generate", {"kind": "sample", "count": 3, "seed": 5, "train": False}
    )
    assert len(sampled["created"]) == 3 and sampled["jobs"] == []
    parent = server.trained[2]
    ablated = await c.request(
        "remap/generate", {"kind": "ablate", "modelId": parent, "layers": [1], "train": False}
    )
    assert len(ablated["created"]) + len(ablated["existing"]) == 1
    varied = await c.request(
        "remap/generate",
        {"kind": "vary", "modelId": parent, "count": 2, "maxChanges": 1, "seed": 3, "train": False},
    )
    assert len(varied["created"]) + len(varied["skipped"]) == 2
    crafted = await c.request(
        "remap/generate",
        {
            "kind": "handcraft",
            "modelId": parent,
            "train": False,
            "edits": [{"op": "set", "index": 0, "field": "filters", "value": 11}],
        },
    )
    (child,) = crafted["created"]
    details = await c.request("remap/getModel", {"modelId": child})
    assert details["model"]["parentId"] == parent and details["model"]["origin"] == "handcrafted"
    assert details["spec"]["layers"][0]["filters"] == 11
    spec = await c.request(
        "remap/generate", {"kind": "spec", "spec": small_spec(5), "name": "mine", "train": False}
    )
    (mine,) = spec["created"]
    rows = {r["id"]: r for r in (await c.request("remap/listModels", {}))["models"]}
    assert rows[mine]["name"] == "mine" and rows[mine]["state"] == "untrained"


async def test_generate_bad_params(server: Server) -> None:
    parent = server.trained[0]
    await invalid(server, "remap/generate", {}, "kind", "missing")
    await invalid(server, "remap/generate", {"kind": "grow"}, "kind", "sample")
    await invalid(server, "remap/generate", {"kind": "sample", "count": 0}, "count")
    await invalid(server, "remap/generate", {"kind": "sample", "count": "3"}, "count")
    await invalid(server, "remap/generate", {"kind": "ablate", "modelId": 4242}, "4242")
    await invalid(
        server, "remap/generate", {"kind": "ablate", "modelId": parent, "layers": [99]}, "layers"
    )
    await invalid(
        server, "remap/generate", {"kind": "vary", "modelId": parent, "count": 21}, "count"
    )
    await invalid(
        server,
        "remap/generate",
        {"kind": "vary", "modelId": parent, "enabled": [[0, "grow"]]},
        "enabled[0][1]",
    )
    await invalid(
        server,
        "remap/generate",
        {"kind": "handcraft", "modelId": parent, "edits": [{"op": "remove", "index": 40}]},
        "edits[0].index",
    )
    await invalid(
        server, "remap/generate", {"kind": "spec", "spec": small_spec(), "train": "yes"}, "train"
    )
    wrong = small_spec()
    wrong["inputShape"] = [3, 8, 8]
    await invalid(server, "remap/generate", {"kind": "spec", "spec": wrong}, "spec", "3×8×8")


# -- train and queue ---------------------------------------------------------------------------
async def test_train_and_queue_actions(server: Server) -> None:
    c = server.client
    ids = server.trained
    jobs = (await c.request("remap/train", {"modelIds": ids, "epochs": 3}))["jobs"]
    assert len(jobs) == 3
    state = await c.request("remap/queue", {"action": "list"})
    queued = [j["id"] for j in state["jobs"] if j["state"] == "queued"]
    assert set(jobs) <= set(queued) and state["summary"]["queued"] >= 3
    job = next(j for j in state["jobs"] if j["id"] == jobs[0])
    assert job["epochs"] == 3 and job["modelId"] == ids[0]
    state = await c.request("remap/queue", {"action": "reorder", "order": [jobs[2]]})
    first = min((j for j in state["jobs"] if j["state"] == "queued"), key=lambda j: j["position"])
    assert first["id"] == jobs[2]
    state = await c.request("remap/queue", {"action": "cancel", "jobId": jobs[1]})
    assert next(j for j in state["jobs"] if j["id"] == jobs[1])["state"] == "cancelled"
    assert (await c.request("remap/queue", {"action": "pause"}))["summary"]["paused"] is True
    assert (await c.request("remap/queue", {"action": "resume"}))["summary"]["paused"] is False
    await invalid(
        server, "remap/queue", {"action": "cancel", "jobId": jobs[1]}, "jobId", "already cancelled"
    )
    for job_id in (jobs[0], jobs[2]):
        await c.request("remap/queue", {"action": "cancel", "jobId": job_id})


async def test_train_and_queue_bad_params(server: Server) -> None:
    await invalid(server, "remap/train", {"modelIds": []}, "modelIds")
    await invalid(
        server,
        "remap/train",
        {"modelIds": [server.trained[0], 555]},
        "modelIds[1]",
        "unknown model id 555",
    )
    await invalid(server, "remap/train", {"modelIds": [1], "epochs": 0}, "epochs")
    await invalid(server, "remap/queue", {"action": "explode"}, "action")
    await invalid(server, "remap/queue", {"action": "cancel"}, "jobId", "missing")
    await invalid(
        server, "remap/queue", {"action": "cancel", "jobId": 9999}, "jobId", "unknown job id 9999"
    )
    await invalid(server, "remap/queue", {"action": "reorder", "order": [9999]}, "order", "9999")


# -- export and import -------------------------------------------------------------------------
async def test_export(server: Server) -> None:
    c = server.client
    model_id = server.trained[1]
    out = await c.request(
        "remap/export", {"modelId": model_id, "path": "out/best.py", "className": "BestNet"}
    )
    path = Path(out["path"])
    assert path == server.root / "out" / "best.py" and out["uri"] == path.as_uri()
    text = path.read_text()
    assert "class BestNet(nn.Module):" in text
    await invalid(
        server,
        "remap/export",
        {"modelId": model_id, "path": "out/best.py"},
        "path",
        "already exists",
    )
    again = await c.request(
        "remap/export", {"modelId": model_id, "path": "out/best.py", "overwrite": True}
    )
    assert Path(again["path"]) == path
    default = await c.request("remap/export", {"modelId": model_id})
    assert Path(default["path"]).parent == server.root / "remap_models"
    await invalid(server, "remap/export", {"modelId": 31337}, "modelId", "31337")
    await invalid(server, "remap/export", {"modelId": model_id, "overwrite": 1}, "overwrite")


async def test_import_file(server: Server) -> None:
    target = server.root / "mine.py"
    target.write_text((FIXTURES / "exported_model.py").read_text())
    result = await server.client.request(
        "remap/importFile", {"uri": target.as_uri(), "train": False}
    )
    assert len(result["created"]) + len(result["existing"]) == 1
    model_id = (result["created"] + result["existing"])[0]
    details = await server.client.request("remap/getModel", {"modelId": model_id})
    assert details["model"]["origin"] == "imported" and details["model"]["name"] == "SmallNet"
    assert details["source"] == f"{target}:20"
    residual = server.root / "residual.py"
    residual.write_text((FIXTURES / "residual.py").read_text())
    skipped = await server.client.request("remap/importFile", {"uri": residual.as_uri()})
    assert skipped["created"] == [] and "skip connection (`x + " in skipped["skipped"][0]
    await invalid(server, "remap/importFile", {"uri": "http://example.com/x.py"}, "uri", "file:")
    await invalid(server, "remap/importFile", {"uri": (server.root / "nope.py").as_uri()}, "uri")
    fifo = server.root / "pipe.py"  # a FIFO nobody writes: an open() would wait forever
    os.mkfifo(fifo)
    await invalid(server, "remap/importFile", {"uri": fifo.as_uri()}, "pipe.py", "not a regular")
    await invalid(server, "remap/importFile", {"uri": server.root.as_uri()}, "is a folder")
    assert (await server.client.request("remap/status", {}))["workspace"]  # still answering
    await invalid(
        server,
        "remap/importFile",
        {"uri": target.as_uri(), "className": "Nope"},
        "className",
        "Nope",
    )


# -- data set and maps -------------------------------------------------------------------------
async def test_dataset(server: Server) -> None:
    summary = await server.client.request("remap/dataset", {"perClass": 2})
    assert summary["inputShape"] == [1, 8, 8]
    assert [c["name"] for c in summary["classes"]] == ["0", "1", "2"]
    first = summary["classes"][0]
    assert first["train"] + first["heldOut"] == 50
    assert len(first["examples"]) == 2
    assert base64.b64decode(first["examples"][0]).startswith(b"\x89PNG")
    none = await server.client.request("remap/dataset", {})
    assert len(none["classes"][0]["examples"]) == 4
    await invalid(server, "remap/dataset", {"perClass": 17}, "perClass")
    await invalid(server, "remap/dataset", {"perClass": -1}, "perClass")


async def test_get_map(server: Server) -> None:
    c = server.client
    arch = await c.request("remap/getMap", {"view": "architecture", "method": "mds"})
    assert arch["view"] == "architecture"
    ids = {p["id"] for p in arch["points"]}
    assert set(server.trained) <= ids
    assert all(isinstance(p["x"], float) and isinstance(p["y"], float) for p in arch["points"])
    accuracy = await c.request("remap/getMap", {"view": "accuracy"})
    assert {p["id"] for p in accuracy["points"]} == set(server.trained)
    prediction = await c.request("remap/getMap", {"view": "prediction", "method": "mds"})
    assert {p["id"] for p in prediction["points"]} <= set(server.trained)
    await invalid(server, "remap/getMap", {"view": "galaxy"}, "view")
    await invalid(server, "remap/getMap", {"view": "architecture", "method": "tsne"}, "method")


# -- settings ----------------------------------------------------------------------------------
async def test_settings_change_and_bad_values(server: Server) -> None:
    c = server.client
    c.messages.clear()
    c.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"remap": {"epochs": 0, "maxParams": 1000}})
    )
    await wait_for(lambda: c.messages, timeout=20)
    assert any("remap.epochs" in m.message and "keeping 2" in m.message for m in c.messages)
    status = await c.request("remap/status", {})
    assert status["settings"]["epochs"] == 2 and status["settings"]["maxParams"] == 1000
    big = await c.request("remap/validate", {"spec": small_spec(filters=64, units=3)})
    # remap.maxParams bounds sampling only: a model the user builds may exceed it.
    assert big["ok"] is True and big["params"] > 1000
    c.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"epochs": 4}))
    status = await c.request("remap/status", {})
    assert status["settings"]["epochs"] == 4
    c.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"maxParams": 1_000_000, "autoTrain": "no"})
    )
    await wait_for(lambda: any("remap.autoTrain" in m.message for m in c.messages), timeout=20)
    status = await c.request("remap/status", {})
    assert status["settings"]["autoTrain"] is False and status["settings"]["maxParams"] == 10**6
