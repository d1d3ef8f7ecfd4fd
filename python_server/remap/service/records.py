"""The store's records and errors and the training executor, re-exported for the adapters
(language server, CLI) so that they import only ``remap.service``. Loads the store (numpy):
adapters import it lazily or for type checking only."""

from __future__ import annotations

from remap.jobs.executor import LocalExecutor
from remap.jobs.executors import Executor
from remap.store import (
    Event,
    JobRecord,
    JobStateError,
    Store,
    StoreError,
    UnknownJobError,
    UnknownModelError,
)

__all__ = [
    "Event",
    "Executor",
    "JobRecord",
    "JobStateError",
    "LocalExecutor",
    "Store",
    "StoreError",
    "UnknownJobError",
    "UnknownModelError",
]
