"""The :class:`Store` facade: opening a REMAP experiment database (a SQLite file, normally
``.remap/remap.db`` in the workspace) and the operations of every part of the store.

Use one ``Store`` per process (the language server and each worker open their own); within
a process one object may be shared by threads, its calls are serialised. SQLite settings: WAL
journal (readers never block the writer), ``synchronous=FULL`` (a committed result survives
a crash of the process or the machine), ``busy_timeout`` 30 s, foreign keys on.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import TracebackType

from remap.store.base import BUSY_TIMEOUT_S, Clock
from remap.store.cache import CacheMixin
from remap.store.errors import StoreError
from remap.store.runs import RunsMixin
from remap.store.schema import migrate
from remap.store.summaries import SummariesMixin


class Store(RunsMixin, CacheMixin, SummariesMixin):
    """The experiment store (models, jobs, runs, cached analysis, change feed)."""

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock = time.time) -> Store:
        """Open (creating it and its parent folders if needed) and migrate the store at
        ``path``. ``clock`` is for tests that need to move time forward."""
        p = Path(path).expanduser()
        if p.exists() and p.is_dir():
            raise StoreError(f"{p} is a folder, not a REMAP store file")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the store {p}: {exc}") from None
        try:
            conn = sqlite3.connect(
                str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {p}: {exc}") from None
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
            raise StoreError(f"{p} is not a usable REMAP store: {exc}") from None
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
