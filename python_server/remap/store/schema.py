"""The SQLite schema and its migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[i]`` upgrades a database
from version ``i`` to ``i + 1``; :func:`migrate` applies the missing ones in order, each in its
own ``BEGIN IMMEDIATE`` transaction (so two processes opening a new store at once cannot both
apply it) and refuses a database whose version is newer than this code knows.
To change the schema, append a function: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from remap.store.errors import StoreVersionError

Migration = Callable[[sqlite3.Connection], None]

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
RUN_STATES = ("running", "finished", "failed", "cancelled")
ORIGINS = ("sampled", "ablation", "variation", "handcrafted", "imported", "reference")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _v1(conn: sqlite3.Connection) -> None:
    statements = [
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            name TEXT,
            spec TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL CHECK (origin IN {_in(ORIGINS)}),
            parent_id INTEGER REFERENCES models(id),
            changes TEXT NOT NULL DEFAULT '[]',
            params INTEGER,
            created_at REAL NOT NULL,
            source TEXT
        )""",
        "CREATE INDEX models_parent ON models(parent_id)",
        f"""CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES models(id),
            state TEXT NOT NULL CHECK (state IN {_in(JOB_STATES)}),
            priority INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL,
            config TEXT NOT NULL,
            dataset TEXT NOT NULL,
            worker_id TEXT,
            lease_until REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            run_id INTEGER REFERENCES runs(id)
        )""",
        "CREATE INDEX jobs_queue ON jobs(state, priority DESC, position)",
        "CREATE INDEX jobs_model ON jobs(model_id)",
        f"""CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES models(id),
            job_id INTEGER REFERENCES jobs(id),
            worker_id TEXT,
            dataset_name TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            config TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN {_in(RUN_STATES)}),
            train_acc REAL,
            val_acc REAL,
            val_loss REAL,
            per_class_acc BLOB,
            confusion BLOB,
            predictions BLOB,
            params INTEGER,
            seconds REAL,
            device TEXT,
            stopped_early INTEGER,
            error TEXT,
            started_at REAL NOT NULL,
            finished_at REAL
        )""",
        "CREATE INDEX runs_model ON runs(model_id, id)",
        "CREATE INDEX runs_fingerprint ON runs(fingerprint, state, model_id)",
        "CREATE INDEX runs_job ON runs(job_id)",
        """CREATE TABLE epochs (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            epoch INTEGER NOT NULL,
            metrics TEXT NOT NULL,
            PRIMARY KEY (run_id, epoch)
        )""",
        """CREATE TABLE matrices (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            ids BLOB NOT NULL,
            data BLOB NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (kind, key)
        )""",
        """CREATE TABLE layouts (
            view TEXT NOT NULL,
            key TEXT NOT NULL,
            ids BLOB NOT NULL,
            coords BLOB NOT NULL,
            meta TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (view, key)
        )""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            model_id INTEGER,
            job_id INTEGER,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
    ]
    for sql in statements:
        conn.execute(sql)


def _weights(conn: sqlite3.Connection) -> None:
    """Trained weights kept as files beside the store (``weights/run-<id>.safetensors``):
    the run references its file (path relative to that folder, size in bytes) once it is
    complete; ``inherited`` lists the layers a run started from its parent's weights (JSON);
    ``resumed_from`` the epoch a run continued from a checkpoint; ``reevaluated_acc`` the
    held-out accuracy of the model rebuilt from the written file; a model's ``recorded``
    metrics are the ones an imported model set brought with it (not trained here); a job's
    ``inherit`` asks that the model start from its parent's weights where they fit."""
    for sql in (
        "ALTER TABLE runs ADD COLUMN weights_path TEXT",
        "ALTER TABLE runs ADD COLUMN weights_bytes INTEGER",
        "ALTER TABLE runs ADD COLUMN inherited TEXT",
        "ALTER TABLE runs ADD COLUMN resumed_from INTEGER",
        "ALTER TABLE runs ADD COLUMN reevaluated_acc REAL",
        "ALTER TABLE models ADD COLUMN recorded TEXT",
        "ALTER TABLE jobs ADD COLUMN inherit INTEGER NOT NULL DEFAULT 0",
    ):
        conn.execute(sql)


def _matrix_rows(conn: sqlite3.Connection) -> None:
    """Distance matrices stored as append-only blocks of condensed rows (float32): row ``i``
    of a block holds the distances of ``ids[i]`` to every earlier row, so adding k models
    writes only their k rows (see store/cache.py)."""
    conn.execute(
        """CREATE TABLE matrix_rows (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            start INTEGER NOT NULL,
            n INTEGER NOT NULL,
            ids BLOB NOT NULL,
            data BLOB NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (kind, key, start)
        )"""
    )


def _run_placement(conn: sqlite3.Connection) -> None:
    """Where each run trained: ``executor`` (``local`` worker processes or ``ray`` tasks;
    every run before this migration was local) and ``node`` (host name or Ray node
    address; unknown for older runs)."""
    conn.execute("ALTER TABLE runs ADD COLUMN executor TEXT NOT NULL DEFAULT 'local'")
    conn.execute("ALTER TABLE runs ADD COLUMN node TEXT")


MIGRATIONS: list[Migration] = [_v1, _weights, _matrix_rows, _run_placement]


def schema_version() -> int:
    """The version this code writes (the number of migrations)."""
    return len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the database up to :func:`schema_version`; returns the number of migrations run.
    ``conn`` must be in autocommit mode (``isolation_level=None``)."""
    target = schema_version()
    found = user_version(conn)
    if found > target:
        raise StoreVersionError(
            f"{path} was created by a newer REMAP (schema {found} > {target}); "
            "upgrade REMAP to open it"
        )
    applied = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = user_version(conn)  # re-read under the write lock
            if current > target:
                raise StoreVersionError(
                    f"{path} was created by a newer REMAP (schema {current} > {target}); "
                    "upgrade REMAP to open it"
                )
            if current == target:
                conn.execute("COMMIT")
                return applied
            MIGRATIONS[current](conn)
            conn.execute(f"PRAGMA user_version = {current + 1}")
            conn.execute("COMMIT")
            applied += 1
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
