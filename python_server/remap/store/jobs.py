"""The job queue: enqueue, ordering (priority, then position), pause, cancellation, and the
lease protocol that lets workers claim jobs exclusively and lets a dead worker's job go back
to the queue.

Lease protocol: :meth:`JobsMixin.claim_job` runs in one ``BEGIN IMMEDIATE`` transaction that
first re-queues jobs whose lease has expired, then moves the best queued job to ``running``
under the caller's ``worker_id`` with ``lease_until = now + lease_seconds``. The worker
extends the lease with :meth:`~JobsMixin.heartbeat`; when that returns False the job is no
longer its own and it must abandon the work. A job lost this way more than ``max_attempts``
times (the setting ``jobs.max_attempts``, default 3) is failed instead of re-queued, so a
model that kills its worker every time cannot loop forever. Only losses without progress
count: a run that finished an epoch before its worker died showed that the model trains (the
death was the machine's, e.g. a kill), and it resumes from its checkpoint; so each worker
death costs a model at most one attempt, and only when it died before the model's first
epoch of that attempt ended.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from remap.store.base import dumps
from remap.store.errors import JobStateError, StoreError, UnknownJobError, storable_id
from remap.store.models import ModelsMixin
from remap.store.records import JobRecord, job_from_row
from remap.store.schema import JOB_STATES
from remap.train.config import TrainConfig

PAUSED_KEY = "queue.paused"
MAX_ATTEMPTS_KEY = "jobs.max_attempts"
DEFAULT_MAX_ATTEMPTS = 3
FINISHED_STATES = ("done", "failed", "cancelled")


def _sort_key(job: JobRecord) -> tuple[float, ...]:
    if job.state == "running":
        return (0, job.started_at or 0.0, job.id)
    if job.state == "queued":
        return (1, -job.priority, job.position, job.id)
    return (2, -(job.finished_at or job.created_at), -job.id)


class JobsMixin(ModelsMixin):
    # -- queue ----------------------------------------------------------------------------
    def enqueue(
        self,
        model_id: int,
        config: TrainConfig,
        dataset: Mapping[str, Any],
        priority: int = 0,
        *,
        inherit: bool = False,
    ) -> int:
        """Queue a training of ``model_id``; ``dataset`` is JSON data such as
        ``{"source": "digits", "holdout": 0.2, "seed": 0}``; ``inherit`` starts the model
        from its parent's trained weights where they fit. Returns the job id."""
        if not isinstance(config, TrainConfig):
            raise StoreError(f"config must be a TrainConfig, got {type(config).__name__}")
        if not isinstance(dataset, Mapping) or not isinstance(dataset.get("source"), str):
            raise StoreError(f"dataset must be an object with a 'source' string, got {dataset!r}")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise StoreError(f"priority must be an integer, got {priority!r}")
        dataset_text = dumps(dict(dataset))
        with self._write() as conn:
            self._require_model(conn, model_id)
            position = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM jobs").fetchone()[0]
            cur = conn.execute(
                "INSERT INTO jobs (model_id, state, priority, position, config, dataset, "
                "created_at, inherit) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                (
                    model_id,
                    priority,
                    position,
                    dumps(config.to_dict()),
                    dataset_text,
                    self.now(),
                    int(bool(inherit)),
                ),
            )
            job_id = int(cur.lastrowid or 0)
            self._emit(conn, "job_changed", model_id=model_id, job_id=job_id, state="queued")
        return job_id

    def _require_job(self, conn: sqlite3.Connection, job_id: int) -> sqlite3.Row:
        if not storable_id(job_id):  # e.g. 10**20 from a command line: no such record
            raise UnknownJobError(job_id)
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJobError(job_id)
        return row  # type: ignore[no-any-return]

    def get_job(self, job_id: int) -> JobRecord:
        with self._read() as conn:
            return job_from_row(self._require_job(conn, job_id))

    def list_jobs(self, states: Collection[str] | None = None) -> list[JobRecord]:
        """Running jobs first (oldest start first), then queued ones in the order they will
        be claimed, then finished ones newest first."""
        sql = "SELECT * FROM jobs"
        params: list[str] = []
        if states is not None:
            if isinstance(states, str):
                states = [states]
            unknown = sorted(set(states) - set(JOB_STATES))
            if unknown:
                raise StoreError(
                    f"unknown job state {unknown[0]!r}; expected one of {', '.join(JOB_STATES)}"
                )
            if not states:
                return []
            sql += f" WHERE state IN ({', '.join('?' for _ in states)})"
            params = list(states)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return sorted((job_from_row(r) for r in rows), key=_sort_key)

    def job_counts(self) -> dict[str, int]:
        """Number of jobs in each state (every state present, zero when none)."""
        with self._read() as conn:
            rows = conn.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").fetchall()
        counts = dict.fromkeys(JOB_STATES, 0)
        counts.update({r["state"]: int(r["n"]) for r in rows})
        return counts

    def reorder(self, job_ids: Sequence[int]) -> None:
        """Move the listed queued jobs to the front of the queue in the given order; the other
        queued jobs keep their relative order after them. The listed jobs are raised to the
        queue's highest priority so that the order holds. Nothing changes on an error."""
        ids = [int(i) for i in job_ids]
        if len(set(ids)) != len(ids):
            raise StoreError("reorder: a job id is listed more than once")
        with self._write() as conn:
            for job_id in ids:
                row = self._require_job(conn, job_id)
                if row["state"] != "queued":
                    raise JobStateError(
                        f"job {job_id} is {row['state']}; only queued jobs can be reordered"
                    )
            queued = [
                job_from_row(r)
                for r in conn.execute("SELECT * FROM jobs WHERE state = 'queued'").fetchall()
            ]
            queued.sort(key=_sort_key)
            top = max((j.priority for j in queued), default=0)
            listed = set(ids)
            rest = [j for j in queued if j.id not in listed]
            for position, job_id in enumerate(ids, start=1):
                conn.execute(
                    "UPDATE jobs SET position = ?, priority = ? WHERE id = ?",
                    (position, top, job_id),
                )
            for position, job in enumerate(rest, start=len(ids) + 1):
                conn.execute("UPDATE jobs SET position = ? WHERE id = ?", (position, job.id))
            self._emit(conn, "queue_reordered", order=ids)

    def set_paused(self, paused: bool) -> None:
        """A paused queue hands out no jobs; running jobs go on to the end."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (PAUSED_KEY, dumps(bool(paused))),
            )
            self._emit(conn, "queue_paused", paused=bool(paused))

    def is_paused(self) -> bool:
        return bool(self.get_setting(PAUSED_KEY, False))

    # -- cancellation -------------------------------------------------------------------
    def request_cancel(self, job_id: int) -> str:
        """Cancel a queued job at once (returns ``"cancelled"``) or ask the worker of a running
        one to stop between batches (returns ``"cancelling"``)."""
        with self._write() as conn:
            row = self._require_job(conn, job_id)
            state = row["state"]
            if state == "queued":
                conn.execute(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ?",
                    (self.now(), job_id),
                )
                self._emit(
                    conn, "job_changed", model_id=row["model_id"], job_id=job_id, state="cancelled"
                )
                return "cancelled"
            if state == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
                self._emit(
                    conn,
                    "job_changed",
                    model_id=row["model_id"],
                    job_id=job_id,
                    state="running",
                    cancel_requested=True,
                )
                return "cancelling"
            raise JobStateError(f"job {job_id} is already {state}; it cannot be cancelled")

    def is_cancel_requested(self, job_id: int) -> bool:
        with self._read() as conn:
            row = self._require_job(conn, job_id)
        return bool(row["cancel_requested"])

    # -- leases -------------------------------------------------------------------------
    def claim_job(self, worker_id: str, lease_seconds: float) -> JobRecord | None:
        """Take the next queued job for ``worker_id`` (None when the queue is empty or
        paused). Expired leases are re-queued first."""
        _check_lease(lease_seconds)
        with self._write() as conn:
            now = self.now()
            self._requeue_expired_in(conn, now)
            if self._setting_in(conn, PAUSED_KEY, False):
                return None
            row = conn.execute(
                "SELECT id, model_id FROM jobs WHERE state = 'queued' "
                "ORDER BY priority DESC, position, id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state = 'running', worker_id = ?, lease_until = ?, "
                "attempts = attempts + 1, started_at = ?, run_id = NULL, error = NULL "
                "WHERE id = ?",
                (worker_id, now + lease_seconds, now, row["id"]),
            )
            self._emit(
                conn,
                "job_changed",
                model_id=row["model_id"],
                job_id=row["id"],
                state="running",
                worker_id=worker_id,
            )
            return job_from_row(self._require_job(conn, row["id"]))

    def heartbeat(self, job_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend the lease; False when the job is no longer running under ``worker_id``."""
        _check_lease(lease_seconds)
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' "
                "AND worker_id = ?",
                (self.now() + lease_seconds, job_id, worker_id),
            )
        return cur.rowcount == 1

    def requeue_expired(self) -> int:
        """Re-queue running jobs whose lease has expired; returns how many were affected."""
        with self._write() as conn:
            return self._requeue_expired_in(conn, self.now())

    def requeue_worker_jobs(self, worker_id: str, reason: str) -> int:
        """Re-queue the running jobs of a worker known to be dead (without waiting for its
        lease to expire); returns how many."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT * FROM jobs WHERE state = 'running' AND worker_id = ?", (worker_id,)
            ).fetchall()
            for row in rows:
                self._lose(conn, row, reason, count_attempt=True)
        return len(rows)

    def release_job(self, job_id: int, worker_id: str, reason: str = "worker stopped") -> bool:
        """A worker that is shutting down gives its job back to the queue (the attempt is not
        counted). False when the job was no longer its own."""
        with self._write() as conn:
            row = self._held(conn, job_id, worker_id)
            if row is None:
                return False
            self._lose(conn, row, reason, count_attempt=False)
        return True

    # -- internals --------------------------------------------------------------------------
    def _held(self, conn: sqlite3.Connection, job_id: int, worker_id: str) -> sqlite3.Row | None:
        """The job's row when it is running under ``worker_id``, else None."""
        row = self._require_job(conn, job_id)
        if row["state"] != "running" or row["worker_id"] != worker_id:
            return None
        return row

    def _requeue_expired_in(self, conn: sqlite3.Connection, now: float) -> int:
        rows = conn.execute(
            "SELECT * FROM jobs WHERE state = 'running' AND lease_until < ?", (now,)
        ).fetchall()
        for row in rows:
            self._lose(conn, row, f"worker {row['worker_id']} lost its lease", count_attempt=True)
        return len(rows)

    def _lose(
        self, conn: sqlite3.Connection, row: sqlite3.Row, reason: str, *, count_attempt: bool
    ) -> None:
        """A running job whose worker is gone: cancelled if that was asked, failed when out of
        attempts, else back to the queue at its old place. Its current run is failed."""
        now = self.now()
        job_id = row["id"]
        if count_attempt and row["run_id"] is not None:
            progressed = conn.execute(
                "SELECT 1 FROM epochs WHERE run_id = ? LIMIT 1", (row["run_id"],)
            ).fetchone()
            count_attempt = progressed is None
        attempts = row["attempts"] if count_attempt else max(row["attempts"] - 1, 0)
        limit = int(self._setting_in(conn, MAX_ATTEMPTS_KEY, DEFAULT_MAX_ATTEMPTS))
        error: str | None = None
        if row["cancel_requested"]:
            state = "cancelled"
        elif count_attempt and attempts >= limit:
            state = "failed"
            error = f"{reason}; gave up after {attempts} attempts"
        else:
            state = "queued"
        if row["run_id"] is not None:
            conn.execute(
                "UPDATE runs SET state = 'failed', error = ?, finished_at = ? "
                "WHERE id = ? AND state = 'running'",
                (f"interrupted: {reason}", now, row["run_id"]),
            )
        if state == "queued":
            conn.execute(
                "UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL, "
                "started_at = NULL, run_id = NULL, attempts = ?, error = ? WHERE id = ?",
                (attempts, f"re-queued: {reason}", job_id),
            )
        else:
            conn.execute(
                "UPDATE jobs SET state = ?, lease_until = NULL, finished_at = ?, error = ?, "
                "attempts = ? WHERE id = ?",
                (state, now, error, attempts, job_id),
            )
        self._emit(
            conn,
            "job_changed",
            model_id=row["model_id"],
            job_id=job_id,
            state=state,
            reason=reason,
        )


def _check_lease(lease_seconds: float) -> None:
    if not lease_seconds > 0:
        raise StoreError(f"lease_seconds must be positive, got {lease_seconds!r}")
