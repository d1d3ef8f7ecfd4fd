"""The experiment store: one SQLite database holding models (spec, hash, lineage), the job
queue with worker leases, training runs with per-epoch metrics and result blobs, cached
distance matrices and layouts, settings, and a change feed. It is the single source of truth
shared by the language server, the CLI and the training workers."""

from remap.store.errors import (
    JobStateError,
    LeaseLostError,
    StoreError,
    StoreLostError,
    StoreUnusableError,
    StoreVersionError,
    UnknownJobError,
    UnknownModelError,
    UnknownRunError,
)
from remap.store.jobs import DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_KEY
from remap.store.records import Event, JobRecord, ModelRecord, RunRecord
from remap.store.schema import JOB_STATES, ORIGINS, RUN_STATES, schema_version
from remap.store.store import Store

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "JOB_STATES",
    "MAX_ATTEMPTS_KEY",
    "ORIGINS",
    "RUN_STATES",
    "Event",
    "JobRecord",
    "JobStateError",
    "LeaseLostError",
    "ModelRecord",
    "RunRecord",
    "Store",
    "StoreError",
    "StoreLostError",
    "StoreUnusableError",
    "StoreVersionError",
    "UnknownJobError",
    "UnknownModelError",
    "UnknownRunError",
    "schema_version",
]
