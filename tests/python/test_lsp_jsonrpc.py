"""Framing and JSON-RPC errors of the real server (``python -m remap serve``) driven by a raw
client over pipes: every malformed message that carries (or might carry) an id gets exactly
one error response with the JSON-RPC code for it, and the server stays up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_fixtures.harness import add_trained, small_spec, write_npz
from lsp_fixtures.raw_client import RawServer, error_of, frame

from remap.arch import ArchSpec


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    root = tmp_path_factory.mktemp("jsonrpc")
    data = write_npz(root / "data.npz")
    add_trained(root / ".remap" / "remap.db", data, [ArchSpec.from_dict(_snake())], [0.8])
    raw = RawServer(root)
    assert "capabilities" in raw.initialize({"dataset": str(data), "autoTrain": False})["result"]
    yield raw
    raw.close()


def _snake() -> dict[str, object]:
    from remap.lsp.protocol import to_snake

    return to_snake(small_spec())  # type: ignore[no-any-return]


def _still_up(server: RawServer) -> None:
    answer = server.call("remap/status", {})
    assert answer["result"]["version"], answer
    assert server.alive


def test_invalid_json_gets_parse_error_with_null_id(server: RawServer) -> None:
    for body in (b'{"jsonrpc": "2.0", "id": 5, "method": ', b"\xff\xfe", b"NaN", b""):
        server.write(frame(body))
        code, message = error_of(server.answer(None))
        assert code == -32700 and message.startswith("Parse error"), (body, message)
    _still_up(server)


def test_nesting_the_parser_cannot_take_is_answered(server: RawServer) -> None:
    server.write(frame(b"[" * 100_000))
    code, message = error_of(server.answer(None))
    assert code == -32700 and "nested too deeply" in message
    deep = '{"jsonrpc":"2.0","id":"deep","method":"remap/getModel","params":{"modelId":'
    server.send(deep + "[" * 50_000 + "]" * 50_000 + "}}")
    assert error_of(server.answer(None))[0] == -32700
    _still_up(server)


def test_not_a_request_object_is_invalid_request(server: RawServer) -> None:
    for body in ("[]", '[{"jsonrpc":"2.0","id":1,"method":"remap/status"}]', "42", '"x"'):
        server.send(body)
        code, message = error_of(server.answer(None))
        assert code == -32600 and "expected an object" in message, (body, message)
    for bad_id in (1.5, {"a": 1}, [1], True):
        server.send({"jsonrpc": "2.0", "id": bad_id, "method": "remap/status"})
        code, message = error_of(server.answer(None))
        assert code == -32600 and "id must be" in message
    server.send({"jsonrpc": "1.0", "id": "old", "method": "remap/status"})
    assert error_of(server.answer("old"))[0] == -32600
    server.send({"jsonrpc": "2.0", "id": "m", "method": 7})
    assert error_of(server.answer("m"))[0] == -32600
    _still_up(server)


def test_notification_sent_with_an_id_is_an_error(server: RawServer) -> None:
    for method in ("initialized", "textDocument/didOpen", "exit", "$/cancelRequest"):
        msg_id = server.request(method, {})
        code, message = error_of(server.answer(msg_id))
        assert code == -32600 and method in message and "notification" in message
    _still_up(server)


def test_unknown_method_is_method_not_found(server: RawServer) -> None:
    for method in ("remap/nope", "textDocument/nope", "$/nope"):
        assert error_of(server.answer(server.request(method, {})))[0] == -32601
    _still_up(server)


@pytest.mark.parametrize(
    ("method", "params", "field"),
    [
        ("remap/getModel", {"modelId": 2**63}, "modelId"),
        ("remap/getModel", {"modelId": 10**30}, "modelId"),
        ("remap/getModel", {"modelId": -(2**64)}, "modelId"),
        ("remap/getModel", {"modelId": 1e300}, "modelId"),
        ("remap/getModel", {"modelId": -1}, "modelId"),
        ("remap/train", {"modelIds": [1, 2**64]}, "modelIds[1]"),
        ("remap/queue", {"action": "cancel", "jobId": 2**63}, "jobId"),
        ("remap/queue", {"action": "reorder", "order": [9 * 10**18, 10**19]}, "order[1]"),
        ("remap/generate", {"kind": "sample", "count": 1, "seed": 2**64}, "seed"),
        ("remap/generate", {"kind": "ablate", "modelId": 2**64}, "modelId"),
        ("remap/export", {"modelId": 2**70}, "modelId"),
    ],
)
def test_numbers_out_of_the_store_range_name_the_field(
    server: RawServer, method: str, params: dict[str, object], field: str
) -> None:
    code, message = error_of(server.call(method, params))
    assert code == -32602 and message.startswith(f"{field}:"), message


def test_huge_request_ids_are_echoed(server: RawServer) -> None:
    for msg_id in (2**70, -(2**63) - 1, "x" * 1000, 0):
        assert server.answer(server.request("remap/status", {}, msg_id))["result"]


def test_frames_with_extra_headers_and_bad_lengths(server: RawServer) -> None:
    body = b'{"jsonrpc":"2.0","id":"ct","method":"remap/status","params":{}}'
    server.write(
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
        + b"content-length: %d\r\n\r\n" % len(body)
        + body
    )
    assert server.answer("ct")["result"]
    server.write(b"\r\n\r\nGarbage-Header\r\n\r\n")  # blank lines without a length: skipped
    _still_up(server)


def test_requests_after_shutdown_are_invalid_requests(tmp_path: Path) -> None:
    raw = RawServer(tmp_path)
    try:
        raw.initialize({"autoTrain": False})
        assert raw.answer(raw.request("shutdown"))["result"] is None
        for method in ("remap/status", "shutdown", "textDocument/codeLens"):
            code, message = error_of(raw.answer(raw.request(method, {})))
            assert code == -32600 and "shutting down" in message
        raw.notify("exit")
        assert raw.proc.wait(timeout=30) == 0
    finally:
        raw.close()
