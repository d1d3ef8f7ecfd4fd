"""The one error type the service raises for bad requests; adapters (LSP, CLI) turn it into
a JSON-RPC error or one line on stderr. ``field`` names the parameter at fault. Also which
of the engine's own errors mean a bad request, and about which field (``request_field``),
so that an adapter maps errors knowing the service alone."""

from __future__ import annotations

import sys


class ServiceError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


def request_field(exc: Exception) -> str | None:
    """The request field (snake_case) an engine error that means a bad request is about:
    an unknown model (``model_id``), an unknown job or one in the wrong state (``job_id``), a
    malformed or impossible spec (``spec``), an unusable data set (``dataset``); None for
    anything else. Looks only at modules already loaded, so it never imports the engine."""
    store = sys.modules.get("remap.store.errors")
    if store is not None:
        if isinstance(exc, store.UnknownModelError):
            return "model_id"
        if isinstance(exc, (store.UnknownJobError, store.JobStateError)):
            return "job_id"
    arch = sys.modules.get("remap.arch.errors")
    if arch is not None and isinstance(exc, (arch.SpecFormatError, arch.ArchError)):
        return "spec"
    data = sys.modules.get("remap.data.dataset")
    if data is not None and isinstance(exc, data.DataError):
        return "dataset"
    return None
