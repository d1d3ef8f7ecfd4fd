"""The names of REMAP's custom LSP methods, notifications and server commands (mirrored by the
TypeScript protocol module; see docs/protocol.md), and the camelCase ⇄ snake_case key
conversion between the wire (camelCase) and the service layer (snake_case)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

SERVER_NAME = "remap"

# -- requests (client → server) ---------------------------------------------------------------
STATUS = "remap/status"
LIST_MODELS = "remap/listModels"
GET_MODEL = "remap/getModel"
GET_MAP = "remap/getMap"
GENERATE = "remap/generate"
VALIDATE = "remap/validate"
TRAIN = "remap/train"
QUEUE = "remap/queue"
EXPORT = "remap/export"
IMPORT_FILE = "remap/importFile"
DATASET = "remap/dataset"

REQUESTS = (
    STATUS,
    LIST_MODELS,
    GET_MODEL,
    GET_MAP,
    GENERATE,
    VALIDATE,
    TRAIN,
    QUEUE,
    EXPORT,
    IMPORT_FILE,
    DATASET,
)

# -- notifications (server → client) -----------------------------------------------------------
MODELS_CHANGED = "remap/modelsChanged"
QUEUE_CHANGED = "remap/queueChanged"
EPOCH = "remap/epoch"
WARMUP = "remap/warmup"

NOTIFICATIONS = (MODELS_CHANGED, QUEUE_CHANGED, EPOCH, WARMUP)

# -- server commands (workspace/executeCommand) -----------------------------------------------
CMD_SHOW_ON_MAP = "remap.server.showOnMap"
CMD_ABLATE = "remap.server.ablate"
CMD_VARY = "remap.server.vary"
CMD_TRAIN = "remap.server.train"
CMD_EXPORT_VARIANT = "remap.server.exportVariant"

COMMANDS = (CMD_SHOW_ON_MAP, CMD_ABLATE, CMD_VARY, CMD_TRAIN, CMD_EXPORT_VARIANT)

PROGRESS_TITLE = "REMAP: training"
DIAGNOSTIC_SOURCE = "REMAP"

# -- key conversion -------------------------------------------------------------------------------
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


class Wire(dict[str, Any]):
    """An answer already in wire form (camelCase JSON); :func:`to_wire` passes it through."""


@lru_cache(maxsize=4096)
def camel(name: str) -> str:
    """``per_class_acc`` → ``perClassAcc`` (names without underscores are unchanged)."""
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``perClassAcc`` → ``per_class_acc`` (names already in snake_case are unchanged)."""
    return _CAMEL_BOUNDARY.sub(lambda m: "_" + m.group(1).lower(), name)


def to_camel(value: Any) -> Any:
    """A copy of JSON data with every object key in camelCase (lists and tuples become lists)."""
    if isinstance(value, Mapping):
        return {camel(str(k)): to_camel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_camel(v) for v in value]
    return value


def to_snake(value: Any) -> Any:
    """A copy of JSON data with every object key in snake_case."""
    if isinstance(value, Mapping):
        return {snake(str(k)): to_snake(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_snake(v) for v in value]
    return value


def camel_path(path: str) -> str:
    """A field path from the engine (``layers[3].kernel_size``) in wire spelling
    (``layers[3].kernelSize``)."""
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: camel(m.group(0)), path)


def to_wire(value: Any) -> Any:
    """JSON data for the client: camelCase keys, numpy scalars and arrays as plain numbers
    and lists, non-finite floats as null (JSON has no NaN)."""
    if isinstance(value, Wire):
        return value
    if isinstance(value, Mapping):
        return {camel(str(k)): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return to_wire(tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
