"""The names of REMAP's custom LSP methods, notifications and server commands (mirrored by the
TypeScript protocol module; see docs/protocol.md), and the camelCase ⇄ snake_case key
conversion between the wire (camelCase) and the service layer (snake_case)."""

from __future__ import annotations

import re

from remap.service.wire import Wire as Wire
from remap.service.wire import camel as camel
from remap.service.wire import snake as snake
from remap.service.wire import to_camel as to_camel
from remap.service.wire import to_snake as to_snake
from remap.service.wire import to_wire as to_wire

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
PER_CLASS_ACCURACY = "remap/perClassAccuracy"
SUGGEST = "remap/suggest"
APPLY_SUGGESTION = "remap/applySuggestion"
DISMISS_SUGGESTION = "remap/dismissSuggestion"
EXPLORE = "remap/explore"
STOP_EXPLORE = "remap/stopExplore"

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
    PER_CLASS_ACCURACY,
    SUGGEST,
    APPLY_SUGGESTION,
    DISMISS_SUGGESTION,
    EXPLORE,
    STOP_EXPLORE,
)

# -- notifications (server → client) -----------------------------------------------------------
MODELS_CHANGED = "remap/modelsChanged"
QUEUE_CHANGED = "remap/queueChanged"
EPOCH = "remap/epoch"
WARMUP = "remap/warmup"
EXPLORE_PROGRESS = "remap/exploreProgress"

NOTIFICATIONS = (MODELS_CHANGED, QUEUE_CHANGED, EPOCH, WARMUP, EXPLORE_PROGRESS)

# -- server commands (workspace/executeCommand) -----------------------------------------------
CMD_SHOW_ON_MAP = "remap.server.showOnMap"
CMD_ABLATE = "remap.server.ablate"
CMD_VARY = "remap.server.vary"
CMD_TRAIN = "remap.server.train"
CMD_EXPORT_VARIANT = "remap.server.exportVariant"

COMMANDS = (CMD_SHOW_ON_MAP, CMD_ABLATE, CMD_VARY, CMD_TRAIN, CMD_EXPORT_VARIANT)

PROGRESS_TITLE = "REMAP: training"
DIAGNOSTIC_SOURCE = "REMAP"

# -- key conversion: one implementation in remap.service.wire, shared with the HTML report --


def camel_path(path: str) -> str:
    """A field path from the engine (``layers[3].kernel_size``) in wire spelling
    (``layers[3].kernelSize``)."""
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: camel(m.group(0)), path)
