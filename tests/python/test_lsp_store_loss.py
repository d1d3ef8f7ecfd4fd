"""The store is never lost silently: when the workspace's database file is deleted or replaced
under a running server (real server over stdio, raw client), writes are refused with -32603
saying so (instead of being acknowledged into the unlinked file), the user is told with a
``window/showMessageRequest`` offering "Recreate store", and choosing it opens a store that
keeps what is written next."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from lsp_fixtures.harness import small_spec, write_npz
from lsp_fixtures.raw_client import RawServer, error_of


def _generate(server: RawServer, filters: int) -> dict[str, Any]:
    params = {"kind": "spec", "spec": small_spec(filters=filters), "train": False}
    return server.call("remap/generate", params)


def _message_request(server: RawServer, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.notifications("window/showMessageRequest")  # moves the inbox into ``seen``
        for message in server.seen:
            if message.get("method") == "window/showMessageRequest" and "id" in message:
                server.seen.remove(message)
                return message
        time.sleep(0.1)
    raise AssertionError("no window/showMessageRequest")


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _started(root: Path) -> RawServer:
    """A server on a workspace with one model written through it."""
    data = write_npz(root / "data.npz")
    server = RawServer(root)
    server.initialize({"dataset": str(data), "autoTrain": False})
    assert _generate(server, 4)["result"]["created"]
    return server


def test_deleted_store_refuses_writes_tells_the_user_and_recreates(tmp_path: Path) -> None:
    db = tmp_path / ".remap" / "remap.db"
    server = _started(tmp_path)
    try:
        _remove_db(db)
        code, message = error_of(_generate(server, 5))
        assert code == -32603 and "deleted" in message and str(db) in message, message
        request = _message_request(server)
        assert "deleted" in request["params"]["message"]
        assert request["params"]["actions"] == [{"title": "Recreate store"}]
        server.send({"jsonrpc": "2.0", "id": request["id"], "result": {"title": "Recreate store"}})
        server.wait_message("using the store")
        created = _generate(server, 6)["result"]["created"]
        assert created and db.is_file()
        listed = server.call("remap/listModels", {})["result"]
        assert [m["id"] for m in listed["models"]] == created
    finally:
        server.close()


def test_replaced_store_refuses_writes(tmp_path: Path) -> None:
    db = tmp_path / ".remap" / "remap.db"
    server = _started(tmp_path)
    try:
        copy = tmp_path / "copy.db"
        shutil.copyfile(db, copy)
        os.replace(copy, db)  # another file at the same path
        code, message = error_of(_generate(server, 5))
        assert code == -32603 and "replaced" in message, message
        assert "replaced" in _message_request(server)["params"]["message"]
    finally:
        server.close()
