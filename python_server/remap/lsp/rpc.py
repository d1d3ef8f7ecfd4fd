"""JSON-RPC hygiene under pygls: reading ``Content-Length`` frames and turning every message
into exactly one answer (requests) or none (notifications), whatever the client sends.

pygls parses each body with ``json.loads(..., object_hook=structure_message)`` and drops, with
only a log line, every message it cannot parse or structure; it drops requests that arrive
after ``shutdown``; and it keeps the future of every notification and every generator-run
sub-handler in ``_request_futures`` for ever (with the exception and traceback of those that
failed), which is what made memory creep under a message storm. :class:`StrictProtocol`
fixes these by overriding pygls' hooks, and :func:`serve_frames` replaces its read loop:

=========================================================  ======================================
what arrives                                               answer
=========================================================  ======================================
a body that is not JSON (or NaN/Infinity literals)         -32700, id null
JSON nested deeper than the parser can take                -32700, id null
not an object (a batch array, a number), a bad ``id``,     -32600, id null (or the id when it
``jsonrpc`` not ``"2.0"``, ``method`` not a string          could be read)
a notification method sent with an id (``initialized``)    -32600 naming the method
a request after ``shutdown`` (except ``exit``)             -32600
an unknown request method                                  -32601 (pygls)
params pygls cannot structure (standard LSP methods)       -32602 naming the method
a request method sent without an id                        ignored (nobody to answer), logged
=========================================================  ======================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import Future
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCProtocol

log = logging.getLogger("remap.lsp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

MAX_BODY_BYTES = 256 * 1024 * 1024  # larger frames are skipped and answered with -32600
_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE)
_CHUNK = 1 << 20


class _BadJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadJson(f"{name} is not JSON")


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def is_notification_method(method: str) -> bool:
    """A standard LSP method that is a notification (it has no response type)."""
    types = t.METHOD_TO_TYPES.get(method)
    return types is not None and types[1] is None


def is_request_method(method: str) -> bool:
    types = t.METHOD_TO_TYPES.get(method)
    return types is not None and types[1] is not None


class StrictProtocol(LanguageServerProtocol):
    """See the module docstring. ``custom_requests`` (``remap/*``) are requests too: sent
    without an id they are ignored like the standard ones."""

    custom_requests: frozenset[str] = frozenset()

    # -- answers ----------------------------------------------------------------------------
    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        """One error response; ``msg_id`` None is sent as ``"id": null``."""
        self._send_data(
            {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        )

    # -- one frame body -----------------------------------------------------------------------
    def receive(self, body: bytes) -> None:
        """Parse, check and handle one message; never raises."""
        try:
            data = json.loads(body, parse_constant=_reject_constant)
        except RecursionError:
            self.send_error(None, PARSE_ERROR, "Parse error: JSON nested too deeply")
            return
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, _BadJson
            self.send_error(None, PARSE_ERROR, f"Parse error: {_one_line(exc)}")
            return
        try:
            self._receive_object(data)
        except Exception as exc:  # a defect of ours or pygls': still answer once
            log.exception("unexpected failure handling a message")
            msg_id = data.get("id") if isinstance(data, dict) else None
            if isinstance(data, dict) and "method" in data and _is_id(msg_id):
                self.send_error(msg_id, INTERNAL_ERROR, f"internal error: {_one_line(exc)}")

    def _receive_object(self, data: Any) -> None:
        if not isinstance(data, dict):
            kind = "a batch (array)" if isinstance(data, list) else type(data).__name__
            self.send_error(
                None, INVALID_REQUEST, f"Invalid request: expected an object, got {kind}"
            )
            return
        has_id = "id" in data
        msg_id = data.get("id")
        method = data.get("method")
        is_response = "method" not in data and ("result" in data or "error" in data)
        if has_id and not _is_id(msg_id) and not (is_response and msg_id is None):
            self.send_error(
                None, INVALID_REQUEST, f"Invalid request: id must be a string or an integer, "
                f"got {_show(msg_id)}",
            )  # fmt: skip
            return
        answer_to = msg_id if has_id else None
        if data.get("jsonrpc") != JsonRPCProtocol.VERSION:
            if has_id:
                self.send_error(
                    answer_to, INVALID_REQUEST, 'Invalid request: jsonrpc must be "2.0"'
                )
            return
        if is_response:
            self._structure_and_handle(data, None)
            return
        if not isinstance(method, str) or not method:
            if has_id:
                self.send_error(
                    answer_to, INVALID_REQUEST, "Invalid request: method must be a string"
                )
            return
        if has_id and is_notification_method(method):
            self.send_error(
                answer_to, INVALID_REQUEST,
                f"Invalid request: {method} is a notification and must not have an id",
            )  # fmt: skip
            return
        if not has_id and (is_request_method(method) or method in self.custom_requests):
            log.warning("ignored %s sent without an id (a request needs one)", method)
            return
        if has_id and self._shutdown and method != t.EXIT:
            self.send_error(
                answer_to, INVALID_REQUEST, "Invalid request: the server is shutting down"
            )
            return
        self._structure_and_handle(data, answer_to if has_id else None)

    def _structure_and_handle(self, data: dict[str, Any], request_id: Any) -> None:
        # pygls structures every nested object that has a "jsonrpc" key; only the envelope is
        # a message, so it is structured alone.
        try:
            message = self.structure_message(data)
        except Exception as exc:
            if request_id is not None:
                code = exc.code if isinstance(exc, JsonRpcException) else INVALID_PARAMS
                code = INVALID_PARAMS if code == INTERNAL_ERROR else code
                reason = _one_line(exc.__cause__ or exc)
                self.send_error(request_id, code, f"params: invalid for {data['method']}: {reason}")
            else:
                log.warning("dropped %s: %s", data.get("method", "a response"), _one_line(exc))
            return
        self.handle_message(message)

    # -- pygls hooks --------------------------------------------------------------------------
    def handle_message(self, message: Any) -> None:
        msg_id = getattr(message, "id", None)
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != t.EXIT and _is_id(msg_id):
            self.send_error(msg_id, INVALID_REQUEST, "Invalid request: the server is shutting down")
            return
        super().handle_message(message)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls files the future of every handler it runs in ``_request_futures`` but only
        removes those of requests: drop each entry once its future is done."""

        def done(future: Future[Any]) -> None:
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _show(value: Any) -> str:
    text = json.dumps(value)[:40] if not isinstance(value, float) else repr(value)
    return text


async def serve_frames(reader: Any, protocol: StrictProtocol, stop: threading.Event) -> None:
    """Read ``Content-Length`` frames until EOF or ``stop``; each body goes to
    :meth:`StrictProtocol.receive`. Header lines other than ``Content-Length`` are ignored;
    a frame over :data:`MAX_BODY_BYTES` is read past and answered with -32600."""
    length: int | None = None
    while not stop.is_set():
        header = await reader.readline()
        if not header:
            return
        match = _CONTENT_LENGTH.match(header.strip())
        if match:
            length = int(match.group(1))
            continue
        if header.strip():
            continue  # Content-Type or anything else
        if length is None:
            continue  # a blank line without a length: nothing to read
        size, length = length, None
        if size > MAX_BODY_BYTES:
            while size > 0:
                chunk = await reader.readexactly(min(size, _CHUNK))
                if not chunk:
                    return
                size -= len(chunk)
            protocol.send_error(
                None, INVALID_REQUEST, f"Invalid request: message over {MAX_BODY_BYTES} bytes"
            )
            continue
        body = await reader.readexactly(size)
        if len(body) < size:
            return  # EOF in the middle of a frame
        protocol.receive(body)
        await asyncio.sleep(0)  # let answers and other tasks run between messages
