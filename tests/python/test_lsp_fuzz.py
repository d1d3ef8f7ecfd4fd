"""Property-based robustness of the language server: random JSON params (random values,
random objects with protocol keys, and valid params with one field mutated or dropped) sent
to every custom method and server command (``remap.lsp.protocol`` lists them; a method
missing here fails the test). Every answer must be a result or an InvalidParams error
(-32602: the engine never fails on bad input), and the server must stay up (a final
``remap/status`` works).

Nothing trains: autoTrain is off and the queue is paused, so a fuzzed ``remap/explore`` that
starts queues one model and waits; it is stopped (and waited for) before the next example."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
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
from pygls.exceptions import JsonRpcException

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool
from remap.lsp import protocol

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXAMPLES = 200
KEYS = (
    "modelId",
    "modelIds",
    "view",
    "method",
    "kind",
    "count",
    "seed",
    "layers",
    "maxChanges",
    "enabled",
    "edits",
    "spec",
    "name",
    "train",
    "epochs",
    "action",
    "jobId",
    "order",
    "path",
    "className",
    "overwrite",
    "uri",
    "perClass",
    "budget",
    "strategy",
    "n",
    "parent",
    "changes",
    "key",
)
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_characters="/\\.\x00"), max_size=10)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.sampled_from([2**31, -(2**40), 10**20])
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | SAFE_TEXT
    | st.sampled_from(["architecture", "accuracy", "mds", "sample", "list", "cancel", "conv2d"])
    | st.sampled_from(["random", "guided", "evolution"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | SAFE_TEXT, inner, max_size=4)
    ),
    max_leaves=8,
)


def valid_params(model: int, job: int, uri: str) -> dict[str, list[Any]]:
    """Valid params (and command arguments) per method, to mutate."""
    return {
        "remap/status": [{}],
        "remap/listModels": [{}],
        "remap/getModel": [{"modelId": model}],
        "remap/getMap": [{"view": "accuracy"}, {"view": "architecture", "method": "mds"}],
        "remap/generate": [
            {"kind": "sample", "count": 1, "seed": 1, "train": False},
            {"kind": "ablate", "modelId": model, "layers": [0], "train": False},
            {"kind": "vary", "modelId": model, "count": 1, "maxChanges": 1, "train": False},
            {
                "kind": "handcraft",
                "modelId": model,
                "train": False,
                "edits": [{"op": "set", "index": 0, "field": "filters", "value": 5}],
            },
            {"kind": "spec", "spec": small_spec(), "train": False},
        ],
        "remap/validate": [{"spec": small_spec()}],
        "remap/train": [{"modelIds": [model], "epochs": 1}],
        "remap/queue": [
            {"action": "list"},
            {"action": "cancel", "jobId": job},
            {"action": "reorder", "order": [job]},
        ],
        "remap/export": [
            {"modelId": model, "path": "fuzz", "className": "Fuzz", "overwrite": True}
        ],
        "remap/importFile": [{"uri": uri, "className": "SmallNet", "train": False}],
        "remap/dataset": [{"perClass": 1}],
        "remap/perClassAccuracy": [{}],
        "remap/suggest": [{"n": 2, "seed": 1}],
        "remap/applySuggestion": [
            {
                "kind": "ablate",
                "parent": model,
                "changes": [{"op": "remove", "index": 0}],
                "train": False,
            },
            {
                "kind": "vary",
                "parent": model,
                "changes": [{"op": "vary", "seed": 1, "maxChanges": 1}],
                "train": False,
            },
        ],
        "remap/dismissSuggestion": [{"key": "sample:1"}],
        "remap/explore": [
            {"budget": 1, "strategy": "random"},
            {"budget": 2, "strategy": "guided", "seed": 1},
            {"budget": 2, "strategy": "evolution"},
        ],
        "remap/stopExplore": [{}],
        "remap.server.showOnMap": [[uri, "SmallNet"]],
        "remap.server.ablate": [[uri, "SmallNet"]],
        "remap.server.vary": [[uri, "SmallNet"]],
        "remap.server.train": [[uri, "SmallNet"]],
        "remap.server.exportVariant": [[uri, "SmallNet", model]],
    }


class Env:
    def __init__(self, client: Client, valid: dict[str, list[Any]]) -> None:
        self.client, self.valid = client, valid


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    root = tmp_path_factory.mktemp("fuzz")
    data = write_npz(root / "data.npz")
    spec = ArchSpec(
        (1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3))
    )
    (model,) = add_trained(root / ".remap" / "remap.db", data, [spec], [0.8])
    (root / "net.py").write_text((FIXTURES / "exported_model.py").read_text())
    client, _ = await start(root, {"dataset": str(data), "autoTrain": False})
    # a paused queue hands out no job: an explore's own workers train nothing
    await client.request("remap/queue", {"action": "pause"})
    job = (await client.request("remap/train", {"modelIds": [model]}))["jobs"][0]
    yield Env(client, valid_params(model, job, (root / "net.py").as_uri()))
    await stop(client)


@st.composite
def calls(draw: st.DrawFn, valid: dict[str, list[Any]]) -> tuple[str, Any]:
    method = draw(st.sampled_from(sorted(valid)))
    how = draw(st.sampled_from(["random", "keys", "mutate", "mutate", "drop"]))
    if how == "random":
        return method, draw(JSON)
    if how == "keys":
        return method, draw(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=5))
    base = draw(st.sampled_from(valid[method]))
    if isinstance(base, list):  # command arguments
        params = list(base)
        if params and how == "drop":
            params.pop(draw(st.integers(0, len(params) - 1)))
        elif params:
            params[draw(st.integers(0, len(params) - 1))] = draw(JSON)
        return method, params
    params = dict(base)
    if params and how == "drop":
        params.pop(draw(st.sampled_from(sorted(params))))
    else:
        params[draw(st.sampled_from(sorted(params) or list(KEYS)))] = draw(JSON)
    return method, params


async def send(client: Client, method: str, params: Any) -> Any:
    if method.startswith("remap.server."):
        args = params if isinstance(params, list) else [params]
        return await client.command(method, *args)
    try:
        return await client.request(method, params)
    finally:
        if method == protocol.EXPLORE:
            await stop_explore(client)


async def stop_explore(client: Client) -> None:
    """Stop the explore a fuzzed ``remap/explore`` may have started, and wait until it ended."""

    async def stopped() -> bool:
        answer = await client.request(protocol.STOP_EXPLORE, {})
        return answer["stopping"] is False

    await wait_for(stopped, timeout=120)


async def test_every_method_and_command_is_fuzzed() -> None:
    valid = valid_params(1, 1, "file:///net.py")
    assert sorted(valid) == sorted(protocol.REQUESTS + protocol.COMMANDS)


async def test_random_params_never_break_the_server(env: Env) -> None:
    loop = asyncio.get_running_loop()
    seen: dict[str, int] = {}
    queue = (await env.client.request("remap/queue", {"action": "list"}))["summary"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=calls(env.valid))
    # explores that start (mutated ones rarely do): each is stopped before the next example
    @example(call=(protocol.EXPLORE, env.valid[protocol.EXPLORE][0]))
    @example(call=(protocol.EXPLORE, {**env.valid[protocol.EXPLORE][1], "modelId": []}))
    @example(call=(protocol.EXPLORE, env.valid[protocol.EXPLORE][2]))
    def check(call: tuple[str, Any]) -> None:
        method, params = call
        future = asyncio.run_coroutine_threadsafe(send(env.client, method, params), loop)
        try:
            future.result(timeout=120)
        except JsonRpcException as exc:
            assert exc.code == -32602, (method, params, exc.code, exc.message)
            assert exc.message and "\n" not in exc.message
            seen[method] = seen.get(method, 0) + 1

    await asyncio.to_thread(check)
    status = await env.client.request("remap/status", {})
    assert status["version"] and status["datasetError"] is None
    idle = await env.client.request(protocol.STOP_EXPLORE, {})
    assert idle["stopping"] is False  # no explore left running
    now = (await env.client.request("remap/queue", {"action": "list"}))["summary"]
    assert now["paused"] and now["running"] == 0 and now["done"] == queue["done"]  # no training
    assert len(seen) >= 10  # bad params reached (nearly) every method
    assert env.client._server is not None and env.client._server.returncode is None


async def test_non_object_params_are_named(env: Env) -> None:
    for method in ("remap/getModel", "remap/queue", "remap/generate"):
        for params in ([], "x", 3):
            with pytest.raises(JsonRpcException) as info:
                await env.client.request(method, params)
            assert info.value.code == -32602 and info.value.message.startswith("params:")
