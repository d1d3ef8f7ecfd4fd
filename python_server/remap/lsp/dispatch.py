"""The table of custom requests and server commands, and how every request is run: params
validated, the handler run in the service thread (``remap/validate`` inline), the answer
converted to camelCase, and every failure turned into a JSON-RPC error — -32602 naming the
field or id for bad params, -32603 with one line for anything else (the traceback goes to the
server log on stderr, never to the client)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams

from remap.lsp import handlers_commands as hc
from remap.lsp import handlers_discovery as hd
from remap.lsp import handlers_experiments as he
from remap.lsp import handlers_files as hf
from remap.lsp import handlers_models as hm
from remap.lsp import handlers_queue as hq
from remap.lsp import protocol as P
from remap.lsp.params import ParamError, Params
from remap.lsp.protocol import Wire, camel, to_wire
from remap.lsp.runtime import Runtime, WorkspaceUnavailable

log = logging.getLogger("remap.lsp")


@dataclass(frozen=True)
class Handler:
    fn: Callable[[Runtime, Params], dict[str, Any]]
    inline: bool = False  # pure and fast: runs on the event loop, not the service thread


HANDLERS: dict[str, Handler] = {
    P.STATUS: Handler(hm.status),
    P.LIST_MODELS: Handler(hm.list_models),
    P.GET_MODEL: Handler(hm.get_model),
    P.GET_MAP: Handler(hm.get_map),
    P.GENERATE: Handler(he.generate),
    P.VALIDATE: Handler(he.validate, inline=True),
    P.TRAIN: Handler(he.train),
    P.QUEUE: Handler(hq.queue),
    P.EXPORT: Handler(hf.export),
    P.IMPORT_FILE: Handler(hf.import_file),
    P.DATASET: Handler(hm.dataset),
    P.PER_CLASS_ACCURACY: Handler(hm.per_class_accuracy),
    P.SUGGEST: Handler(hd.suggest),
    P.APPLY_SUGGESTION: Handler(hd.apply_suggestion),
    P.DISMISS_SUGGESTION: Handler(hd.dismiss_suggestion),
    P.EXPLORE: Handler(hd.explore),
    P.STOP_EXPLORE: Handler(hd.stop_explore),
}

CommandFn = Callable[[Runtime, hc.Target, str | None], dict[str, Any]]
COMMANDS: dict[str, tuple[CommandFn, bool]] = {  # name → (function, takes a model id)
    P.CMD_SHOW_ON_MAP: (hc.show_on_map, False),
    P.CMD_ABLATE: (hc.ablate, False),
    P.CMD_VARY: (hc.vary, False),
    P.CMD_TRAIN: (hc.train, False),
    P.CMD_EXPORT_VARIANT: (hc.export_variant, True),
}


async def run_request(
    rt: Runtime, method: str, raw: Any, text_of: Callable[[str], str | None]
) -> Any:
    handler = HANDLERS[method]
    try:
        params = Params(raw)
        if handler.inline:
            return _wired(handler.fn, rt, params)
        if method == P.IMPORT_FILE and isinstance(params.raw.get("uri"), str):
            text = text_of(params.raw["uri"])
            return await rt.call(_wired, hf.import_file, rt, params, text)
        return await rt.call(_wired, handler.fn, rt, params)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise translate(exc, method) from None


async def run_command(
    rt: Runtime, name: str, args: Sequence[Any], text_of: Callable[[str], str | None]
) -> Any:
    fn, with_model = COMMANDS[name]
    try:
        target = hc.parse_args(list(args), with_model)
        return await rt.call(_wired, fn, rt, target, text_of(target.uri))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise translate(exc, name) from None


def _wired(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a handler and convert its answer to wire form, both in the service thread."""
    result = to_wire(fn(*args))
    return Wire(result) if isinstance(result, dict) and not isinstance(result, Wire) else result


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"


def translate(exc: Exception, what: str) -> JsonRpcException:
    """The JSON-RPC error for an exception raised while handling ``what``."""
    if isinstance(exc, ParamError):
        return JsonRpcInvalidParams(_one_line(exc))
    if isinstance(exc, JsonRpcException):
        return exc
    store = sys.modules.get("remap.store.errors")
    if store is not None and isinstance(exc, (store.StoreLostError, store.StoreUnusableError)):
        return JsonRpcInternalError(f"REMAP store: {_one_line(exc)}")
    if isinstance(exc, WorkspaceUnavailable):
        text = _one_line(exc)
        return JsonRpcInternalError(text if text.startswith("REMAP") else f"REMAP: {text}")
    if getattr(exc, "field", None) == "dataset":  # the data set setting, not the params
        return JsonRpcInternalError(_one_line(exc))
    invalid = _invalid_params_message(exc)
    if invalid is not None:
        return JsonRpcInvalidParams(invalid)
    log.error("%s failed", what, exc_info=exc)
    return JsonRpcInternalError(f"{what} failed: {type(exc).__name__}: {_one_line(exc)}")


def _invalid_params_message(exc: Exception) -> str | None:
    """The -32602 message for the engine's "bad request" errors (modules already loaded)."""
    service = sys.modules.get("remap.service.errors")
    if service is not None and isinstance(exc, service.ServiceError):
        field = getattr(exc, "field", None)
        text = _one_line(exc)
        if field and text.startswith(f"{field}: "):
            return f"{camel(field)}: {text[len(field) + 2 :]}"
        return text
    from remap.service.errors import request_field

    field = request_field(exc)
    if field is not None:
        return f"{camel(field)}: {_one_line(exc)}"
    return None
