"""A message storm against the real server (raw client over pipes): a few thousand mixed
valid and invalid messages — requests, bad params, unknown methods, broken JSON, notifications
with ids, documents opened and closed, cancellations. Every request gets exactly one answer,
every unparseable frame one ``"id": null`` error, the server stays up, and its memory after a
warm-up stays bounded (pygls used to keep the future, exception and traceback of every
notification and command for ever: +230 MB over 10,500 messages)."""

from __future__ import annotations

import json
import queue
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lsp_fixtures.harness import FIXTURES, add_trained, write_npz
from lsp_fixtures.raw_client import RawServer, frame

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Flatten, MaxPool

WARM_UP = 600
STORM = 3000
BATCH = 150
MAX_GROWTH_MB = 40.0  # generous: the leak grew ~20 MB per 1,000 messages


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Storm:
    def __init__(self, server: RawServer, root: Path, model: int) -> None:
        self.server, self.root, self.model = server, root, model
        self.rng = random.Random(9)
        self.expected: set[Any] = set()
        self.null_errors = 0
        self.answers: Counter[Any] = Counter()
        self.null_answers = 0
        self.source = (FIXTURES / "exported_model.py").read_text()

    def _request(self, method: str, params: Any) -> None:
        msg_id = self.server.new_id()
        self.expected.add(msg_id)
        self.server.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})

    def one(self, i: int) -> None:
        uri = (self.root / f"doc{i % 50}.py").as_uri()
        kind = self.rng.randrange(12)
        if kind == 0:
            self._request("remap/status", {})
        elif kind == 1:
            self._request("remap/getModel", {"modelId": self.rng.choice([self.model, -1, "x"])})
        elif kind == 2:
            self._request("remap/listModels", {"sort": self.rng.choice(["accuracy", 7])})
        elif kind == 3:
            self._request(f"remap/nope{i % 3}", {})
        elif kind == 4:
            self.null_errors += 1
            self.server.write(frame(b'{"jsonrpc":"2.0","id":' + str(i).encode()))
        elif kind == 5:
            self._request("initialized", {})  # a notification with an id
        elif kind == 6:
            doc = {"uri": uri, "languageId": "python", "version": i, "text": self.source}
            self.server.notify("textDocument/didOpen", {"textDocument": doc})
        elif kind == 7:
            self.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        elif kind == 8:
            self._request("textDocument/codeLens", {"textDocument": {"uri": uri}})
        elif kind == 9:
            args = self.rng.choice([[uri, "SmallNet"], [uri], [3, "x"], [uri, "Nope", 2**70]])
            self._request(
                "workspace/executeCommand",
                {"command": "remap.server.showOnMap", "arguments": args},
            )
        elif kind == 10:
            self._request("remap/validate", {"spec": {"layers": self.rng.choice([[], 3])}})
        else:
            self.server.notify("$/cancelRequest", {"id": self.rng.randrange(1, i + 2)})

    def drain(self, timeout: float = 120.0) -> None:
        """Wait until every request sent so far has been answered."""
        deadline = time.monotonic() + timeout
        while len(self.answers) < len(self.expected) or self.null_answers < self.null_errors:
            left = deadline - time.monotonic()
            assert left > 0, f"{len(self.expected) - len(self.answers)} requests unanswered"
            try:
                message = self.server.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if "method" in message:
                continue  # a notification or a request from the server
            if message.get("id") is None:
                self.null_answers += 1
            else:
                assert message["id"] in self.expected, message
                self.answers[message["id"]] += 1

    def run(self, count: int, start: int) -> None:
        for i in range(start, start + count):
            self.one(i)
            if (i + 1) % BATCH == 0:
                self.drain()
        self.drain()


def test_message_storm_every_request_answered_once_memory_bounded(tmp_path: Path) -> None:
    data = write_npz(tmp_path / "data.npz")
    spec = ArchSpec(
        (1, 8, 8), 3, (Conv2D(3, 4), Activation("relu"), MaxPool(2), Flatten(), Dense(3))
    )
    (model,) = add_trained(tmp_path / ".remap" / "remap.db", data, [spec], [0.8])
    server = RawServer(tmp_path)
    try:
        server.initialize({"dataset": str(data), "autoTrain": False})
        storm = Storm(server, tmp_path, model)
        storm.run(WARM_UP, 0)
        before = rss_mb(server.proc.pid)
        storm.run(STORM, WARM_UP)
        after = rss_mb(server.proc.pid)
        print(f"RSS {before:.1f} -> {after:.1f} MB")
        time.sleep(0.5)  # any duplicate answer would arrive now
        while not server.inbox.empty():
            message = server.inbox.get()
            assert "method" in message, f"a second answer: {json.dumps(message)[:200]}"
        assert set(storm.answers) == storm.expected
        assert max(storm.answers.values()) == 1
        assert storm.null_answers == storm.null_errors
        assert server.alive and server.call("remap/status", {})["result"]["version"]
        assert after - before < MAX_GROWTH_MB, f"RSS {before:.0f} → {after:.0f} MB"
    finally:
        server.close()


async def test_handled_messages_leave_no_futures_behind(tmp_path: Path) -> None:
    """The root of the storm's creep, in process: pygls filed a future for every
    notification and command sub-handler in ``_request_futures`` and never removed it."""
    import asyncio

    from remap.lsp.server import create_server

    class Sink:
        def __init__(self) -> None:
            self.frames: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.frames.append(data)

        def close(self) -> None:
            pass

    server = create_server()
    protocol = server.protocol
    sink = Sink()
    protocol.set_writer(sink)
    receive = protocol.receive  # type: ignore[attr-defined]
    init = {"capabilities": {}, "rootUri": tmp_path.as_uri()}
    receive(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}))
    uri = (tmp_path / "a.py").as_uri()
    for i in range(200):
        doc = {"uri": uri, "languageId": "python", "version": i, "text": "x = 1\n"}
        for method, params in (
            ("textDocument/didOpen", {"textDocument": doc}),
            ("textDocument/didClose", {"textDocument": {"uri": uri}}),
        ):
            receive(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}))
        command = {"command": "remap.server.showOnMap", "arguments": [uri]}
        request = {"jsonrpc": "2.0", "id": f"c{i}", "method": "workspace/executeCommand"}
        receive(json.dumps({**request, "params": command}))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(sink.frames) >= 201:
            break
    await asyncio.sleep(0.05)
    assert len(sink.frames) >= 201  # initialize + one error per command
    assert protocol._request_futures == {}
    server.runtime.close()
