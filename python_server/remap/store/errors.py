"""Errors raised by the experiment store; each message names the id, state or file at fault."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store cannot do what was asked (bad file, closed store, invalid argument)."""


class StoreLostError(StoreError):
    """The store file was deleted or replaced while open: writes to the open file would be
    acknowledged and then lost, so none are accepted any more."""


class StoreUnusableError(StoreError):
    """The store cannot be opened or written for a reason outside REMAP (permission denied,
    a read-only file system, a full disk); the message says which and names the path."""


class StoreVersionError(StoreError):
    """The database was written by a newer REMAP whose schema this code does not know."""


MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger number cannot name any record


def storable_id(record_id: object) -> bool:
    """Whether ``record_id`` could name a stored record (an int SQLite can bind)."""
    return (
        isinstance(record_id, int) and not isinstance(record_id, bool) and 1 <= record_id <= MAX_ID
    )


class _UnknownId(KeyError):
    """A lookup by id found nothing. A ``KeyError`` (so ``except KeyError`` works) whose
    ``str()`` is the plain message rather than its quoted repr."""

    kind = "record"

    def __init__(self, record_id: int | str) -> None:
        self.id = record_id
        super().__init__(f"unknown {self.kind} id {record_id}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownModelError(_UnknownId):
    kind = "model"


class UnknownJobError(_UnknownId):
    kind = "job"


class UnknownRunError(_UnknownId):
    kind = "run"


class JobStateError(StoreError):
    """An operation does not apply to a job in its current state (e.g. cancelling a job that
    is already done, or reordering a running job)."""


class LeaseLostError(JobStateError):
    """A worker acted on a job it no longer holds (its lease expired and the job was
    re-queued, or the job was cancelled and reclaimed)."""
