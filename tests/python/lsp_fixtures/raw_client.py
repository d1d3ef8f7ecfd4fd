"""A raw JSON-RPC client for the REMAP language server: ``python -m remap serve`` on
subprocess pipes, with bytes written as they are (``Content-Length`` frames built here or by
the test, malformed on purpose) and every frame the server writes collected by a reader
thread. For tests of framing, error codes and message storms, where pytest-lsp's client
would refuse to send what the tests need to send."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from lsp_fixtures.harness import server_env


def frame(body: bytes | str) -> bytes:
    data = body.encode() if isinstance(body, str) else body
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


class RawServer:
    """``python -m remap serve`` in ``workspace``; messages from the server land in
    :attr:`inbox` (parsed JSON), its stderr in ``workspace/server.log``."""

    def __init__(
        self,
        workspace: Path,
        env: dict[str, str] | None = None,
        prefix: list[str] | None = None,  # e.g. setpriv … to run as another user
        log_path: Path | None = None,
    ) -> None:
        self.workspace = workspace
        self.log_path = log_path or workspace / "server.log"
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*(prefix or []), sys.executable, "-m", "remap", "serve"],
            cwd=workspace,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env or server_env(workspace / ".cache"),
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []  # everything taken from the inbox so far
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0

    # -- wire ---------------------------------------------------------------------------------
    def _read(self) -> None:
        out: IO[bytes] = self.proc.stdout  # type: ignore[assignment]
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif line in (b"\r\n", b"\n") and length is not None:
                    break
            assert length is not None
            self.inbox.put(json.loads(out.read(length)))

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any] | bytes | str) -> None:
        """A message object (framed here) or a body of raw bytes/text (framed as it is)."""
        body = json.dumps(message) if isinstance(message, dict) else message
        self.write(frame(body))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Send a request; returns the id it was sent with."""
        msg_id = self.new_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    # -- waiting ----------------------------------------------------------------------------------
    def next_message(self, timeout: float = 60.0) -> dict[str, Any]:
        message = self.inbox.get(timeout=timeout)
        self.seen.append(message)
        return message

    def answer(self, msg_id: Any, timeout: float = 60.0) -> dict[str, Any]:
        """The response with ``msg_id`` (``None``: an error response with ``"id": null``);
        other messages are kept in :attr:`seen`."""
        for message in self.seen:
            if _is_answer(message, msg_id):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no answer to id {msg_id!r} within {timeout:.0f}s")
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if _is_answer(message, msg_id):
                return message
            self.seen.append(message)

    def call(self, method: str, params: Any = None, timeout: float = 60.0) -> dict[str, Any]:
        return self.answer(self.request(method, params), timeout)

    def notifications(self, method: str) -> list[Any]:
        while True:
            try:
                self.seen.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return [m.get("params") for m in self.seen if m.get("method") == method and "id" not in m]

    def wait_message(self, text: str, timeout: float = 30.0) -> str:
        """The first ``window/showMessage`` whose message contains ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for params in self.notifications("window/showMessage"):
                if text in params["message"]:
                    return str(params["message"])
            time.sleep(0.1)
        raise AssertionError(f"no window/showMessage with {text!r}")

    def initialize(self, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": self.workspace.as_uri(),
                "capabilities": {"window": {"workDoneProgress": False}},
                "initializationOptions": {"settings": settings or {}},
            },
        )
        self.notify("initialized", {})
        return answer

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive:
            try:
                msg_id = self.request("shutdown")
                self.answer(msg_id, timeout=30)
                self.notify("exit")
                self.proc.wait(timeout=30)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _is_answer(message: dict[str, Any], msg_id: Any) -> bool:
    return "method" not in message and "id" in message and message["id"] == msg_id


def error_of(message: dict[str, Any]) -> tuple[int, str]:
    assert "error" in message, f"expected an error, got {message!r}"
    return int(message["error"]["code"]), str(message["error"]["message"])
