"""The connection, transactions, settings and change feed shared by every part of the store.

Each :class:`StoreBase` owns one SQLite connection in autocommit mode and runs every
operation as one short explicit transaction: writes use ``BEGIN IMMEDIATE`` (take the write
lock up front, so a read never has to be upgraded and ``busy_timeout`` covers all waiting),
multi-statement reads use a deferred ``BEGIN`` for a consistent snapshot. An internal lock
serialises calls, so one object may be shared by threads of a process; separate processes
(the language server, each worker) open their own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from remap.store.errors import StoreError, StoreLostError, StoreUnusableError
from remap.store.records import Event, event_from_row

Clock = Callable[[], float]
BUSY_TIMEOUT_S = 30.0


def dumps(value: Any) -> str:
    """Compact JSON for the store; only JSON data (no NaN) is accepted."""
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"value is not storable as JSON: {exc}") from None


class StoreBase:
    """Connection handling, settings and events (see the module docstring)."""

    path: Path

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        clock: Clock = time.time,
        *,
        readonly: bool = False,
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.readonly = readonly  # opened read-only: every write raises StoreUnusableError
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._identity = _identity(path)  # (st_dev, st_ino) of the file opened
        self.lost: str | None = None  # why the store is lost (see check_file), once it is

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store {self.path} is closed")
        return self._conn

    def now(self) -> float:
        return self._clock()

    def check_file(self) -> str | None:
        """Whether the open file is still the file at :attr:`path`: None if so, else the
        reason (deleted, replaced). Once lost, a store stays lost and refuses every write
        with :class:`StoreLostError` (SQLite would write on into the unlinked file and the
        data would vanish on close)."""
        if self.lost is None and self._identity is not None:
            now = _identity(self.path)
            if now is None:
                self.lost = f"the store file {self.path} was deleted while REMAP had it open"
            elif now != self._identity:
                self.lost = f"the store file {self.path} was replaced while REMAP had it open"
        return self.lost

    # -- transactions --------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back if the block raises."""
        with self._lock:
            conn = self._connection()
            lost = self.check_file()
            if lost is not None:
                raise StoreLostError(f"{lost}; nothing more is written to it")
            if self.readonly:
                raise StoreUnusableError(
                    f"the store {self.path} is read-only here (the folder or file is not "
                    "writable): it can be read, not changed"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    if isinstance(exc, OverflowError):  # a number SQLite cannot bind
                        raise StoreError(f"a number is out of the store's range: {exc}") from None
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                outside = unusable(exc, self.path, "write to")
                if isinstance(outside, StoreUnusableError):
                    raise outside from exc
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (a consistent snapshot for several queries)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                yield conn
            except OverflowError as exc:  # a number SQLite cannot bind (64-bit)
                raise StoreError(f"a number is out of the store's range: {exc}") from None
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def _emit(
        self,
        conn: sqlite3.Connection,
        kind: str,
        /,
        *,
        model_id: int | None = None,
        job_id: int | None = None,
        **payload: Any,
    ) -> None:
        conn.execute(
            "INSERT INTO events (kind, model_id, job_id, payload, created_at) VALUES (?,?,?,?,?)",
            (kind, model_id, job_id, dumps(payload), self.now()),
        )

    # -- settings --------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_setting(self, key: str, value: Any) -> None:
        text = dumps(value)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, text),
            )
            self._emit(conn, "setting_changed", key=key, value=value)

    def _setting_in(self, conn: sqlite3.Connection, key: str, default: Any) -> Any:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    # -- change feed -------------------------------------------------------------------------
    def events_since(self, seq: int, limit: int | None = None) -> list[Event]:
        """Events with ``seq`` greater than the given one, oldest first."""
        sql = "SELECT * FROM events WHERE seq > ? ORDER BY seq"
        params: tuple[int, ...] = (seq,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (seq, limit)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [event_from_row(r) for r in rows]

    def last_event_seq(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT MAX(seq) AS seq FROM events").fetchone()
        return int(row["seq"] or 0)

    def prune_events(self, keep_last: int = 10_000) -> int:
        """Drop all but the newest ``keep_last`` events (sequence numbers are never reused)."""
        with self._write() as conn:
            cur = conn.execute(
                "DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?",
                (keep_last,),
            )
        return cur.rowcount

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound database."""
        with self._lock:
            rows = self._connection().execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)


def _identity(path: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file at ``path``, or None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def os_reason(exc: OSError) -> str:
    """``permission denied``, ``read-only file system``, ``no space left on device``, ..."""
    return (exc.strerror or str(exc)).lower()


# SQLite's words for failures whose cause is outside REMAP, and how we name them.
_OUTSIDE = (
    (
        "readonly",
        "read-only: the file or its folder is not writable (or the disk is mounted read-only)",
    ),
    (
        "read-only",
        "read-only: the file or its folder is not writable (or the disk is mounted read-only)",
    ),
    ("disk is full", "the disk is full"),
    ("disk i/o error", "a disk I/O error (is the disk full or gone?)"),
    ("unable to open", "cannot open the file (permission denied, or a folder missing)"),
    ("permission", "permission denied"),
    ("authorization", "permission denied"),
)


def unusable(exc: Exception, path: Path, doing: str) -> StoreError:
    """The store error for a SQLite failure while ``doing`` (open, write to) the store at
    ``path``: a :class:`StoreUnusableError` naming the outside cause (read-only, disk full,
    permission denied), else "not a usable REMAP store" (the file is not a sound database)."""
    text = str(exc).lower()
    for needle, reason in _OUTSIDE:
        if needle in text:
            return StoreUnusableError(f"cannot {doing} the store {path}: {reason} ({exc})")
    return StoreError(f"{path} is not a usable REMAP store: {exc}")
