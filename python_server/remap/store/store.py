"""The :class:`Store` facade: opening a REMAP experiment database (a SQLite file, normally
``.remap/remap.db`` in the workspace) and the operations of every part of the store.

Use one ``Store`` per process (the language server and each worker open their own); within
a process one object may be shared by threads, its calls are serialised. SQLite settings: WAL
journal (readers never block the writer), ``synchronous=FULL`` (a committed result survives
a crash of the process or the machine), ``busy_timeout`` 30 s, foreign keys on.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from remap.store.base import BUSY_TIMEOUT_S, Clock, os_reason, unusable
from remap.store.cache import CacheMixin
from remap.store.errors import StoreError, StoreUnusableError, StoreVersionError
from remap.store.runs import RunsMixin
from remap.store.schema import migrate, schema_version, user_version
from remap.store.summaries import SummariesMixin


class Store(RunsMixin, CacheMixin, SummariesMixin):
    """The experiment store (models, jobs, runs, cached analysis, change feed)."""

    @classmethod
    def open(
        cls, path: str | Path, *, clock: Clock = time.time, readonly: bool | None = None
    ) -> Store:
        """Open (creating it and its parent folders if needed) and migrate the store at
        ``path``. ``clock`` is for tests that need to move time forward.

        A store in a folder or file this process cannot write (a read-only workspace, a
        read-only mount) is opened read-only (``readonly=None`` decides by ``os.access``):
        reads work, writes raise :class:`StoreUnusableError` saying so. Errors from outside
        REMAP (permission denied, read-only file system, disk full) are named as such, with
        the path; only a file that SQLite cannot read as a REMAP database is "not usable"."""
        p = Path(path).expanduser()
        if p.exists() and p.is_dir():
            raise StoreError(f"{p} is a folder, not a REMAP store file")
        if p.exists() and not p.is_file():  # SQLite would read a FIFO until a writer came
            raise StoreError(f"{p} is not a regular file (a pipe, socket or device)")
        if readonly is None:
            readonly = p.exists() and not (os.access(p, os.W_OK) and os.access(p.parent, os.W_OK))
        if readonly:
            return cls(_connect_readonly(p), p, clock, readonly=True)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnusableError(
                f"cannot create the folder for the store {p}: {os_reason(exc)}"
            ) from None
        try:
            conn = sqlite3.connect(
                str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise unusable(exc, p, "open") from None
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot use write-ahead logging for the store {p} ({mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, p)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise unusable(exc, p, "open") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, p, clock)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}{', closed' if self.closed else ''})"


def _connect_readonly(p: Path) -> sqlite3.Connection:
    """A read-only connection: ``mode=ro`` first (sees the WAL, but needs the ``-shm`` file
    or the right to create it), else ``immutable=1`` (no locks, no WAL: what was checkpointed).
    The schema must be current (a read-only store cannot be migrated)."""
    uri = f"file:{quote(str(p))}"
    last: sqlite3.Error | None = None
    for flags in ("?mode=ro", "?mode=ro&immutable=1"):
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                uri + flags, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            found = user_version(conn)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            last = exc
            if conn is not None:
                conn.close()
            continue
        if found != schema_version():
            conn.close()
            if found > schema_version():
                raise StoreVersionError(
                    f"{p} was created by a newer REMAP (schema {found} > {schema_version()}); "
                    "upgrade REMAP to open it"
                )
            raise StoreUnusableError(
                f"the store {p} is read-only and needs upgrading (schema {found}); "
                "open it once where it is writable"
            )
        return conn
    assert last is not None
    raise unusable(last, p, "open read-only") from None
