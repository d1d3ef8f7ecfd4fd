"""Training runs: one per attempt that starts training, with streamed per-epoch metrics and,
once finished, the final metrics and msgpack blobs (per-class accuracy, confusion matrix,
held-out predictions).

Exactly-once results: :meth:`RunsMixin.finish_job` writes the run's results and marks the job
done in one transaction, and only while the job is still leased by the calling worker; a
worker whose job was re-queued behind its back writes nothing.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from remap.store.base import dumps
from remap.store.blobs import pack_array
from remap.store.errors import LeaseLostError, UnknownRunError
from remap.store.jobs import JobsMixin
from remap.store.records import RunRecord, run_from_row
from remap.train.metrics import EpochMetrics, TrainResult


def _one_line(message: str, limit: int = 2000) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunsMixin(JobsMixin):
    # -- worker side ----------------------------------------------------------------------
    def start_run(self, job_id: int, worker_id: str, dataset_name: str, fingerprint: str) -> int:
        """Record the start of training for the job ``worker_id`` holds; returns the run id.
        Raises :class:`LeaseLostError` when the job is no longer the worker's."""
        with self._write() as conn:
            row = self._held(conn, job_id, worker_id)
            if row is None:
                state = self._require_job(conn, job_id)["state"]
                raise LeaseLostError(f"job {job_id} is no longer held by {worker_id} ({state})")
            cur = conn.execute(
                "INSERT INTO runs (model_id, job_id, worker_id, dataset_name, fingerprint, "
                "config, state, started_at) VALUES (?,?,?,?,?,?, 'running', ?)",
                (
                    row["model_id"],
                    job_id,
                    worker_id,
                    dataset_name,
                    fingerprint,
                    row["config"],
                    self.now(),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            conn.execute("UPDATE jobs SET run_id = ? WHERE id = ?", (run_id, job_id))
            self._emit(
                conn,
                "run_started",
                model_id=row["model_id"],
                job_id=job_id,
                run_id=run_id,
                dataset=dataset_name,
                fingerprint=fingerprint,
            )
        return run_id

    def add_epoch(self, run_id: int, metrics: EpochMetrics) -> bool:
        """Append one epoch's metrics to a running run (False, nothing written, when the run
        is no longer running, e.g. its job was re-queued)."""
        with self._write() as conn:
            row = self._require_run(conn, run_id)
            if row["state"] != "running":
                return False
            conn.execute(
                "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)",
                (run_id, metrics.epoch, dumps(metrics.to_dict())),
            )
            self._emit(
                conn,
                "epoch",
                model_id=row["model_id"],
                job_id=row["job_id"],
                run_id=run_id,
                **metrics.to_dict(),
            )
        return True

    def finish_job(self, job_id: int, worker_id: str, run_id: int, result: TrainResult) -> bool:
        """Store the final result and mark the job done, atomically, if ``worker_id`` still
        holds the job and ``run_id`` is its current run; otherwise write nothing, return False."""
        per_class = pack_array(np.asarray(result.per_class_acc, dtype=np.float64))
        confusion = pack_array(np.asarray(result.confusion, dtype=np.int64))
        predictions = pack_array(np.asarray(result.predictions, dtype=np.int16))
        with self._write() as conn:
            row = self._held(conn, job_id, worker_id)
            if row is None or row["run_id"] != run_id:
                return False
            now = self.now()
            for m in result.epochs:
                conn.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?,?,?)",
                    (run_id, m.epoch, dumps(m.to_dict())),
                )
            conn.execute(
                "UPDATE runs SET state = 'finished', train_acc = ?, val_acc = ?, val_loss = ?, "
                "per_class_acc = ?, confusion = ?, predictions = ?, params = ?, seconds = ?, "
                "device = ?, stopped_early = ?, finished_at = ? WHERE id = ?",
                (
                    float(result.train_acc),
                    float(result.val_acc),
                    float(result.val_loss),
                    per_class,
                    confusion,
                    predictions,
                    int(result.params),
                    float(result.seconds),
                    str(result.device),
                    int(bool(result.stopped_early)),
                    now,
                    run_id,
                ),
            )
            conn.execute(
                "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = ?, error = NULL "
                "WHERE id = ?",
                (now, job_id),
            )
            model_id = row["model_id"]
            self._emit(
                conn,
                "run_finished",
                model_id=model_id,
                job_id=job_id,
                run_id=run_id,
                val_acc=float(result.val_acc),
                train_acc=float(result.train_acc),
                epochs=len(result.epochs),
            )
            self._emit(conn, "job_changed", model_id=model_id, job_id=job_id, state="done")
        return True

    def fail_job(self, job_id: int, worker_id: str, message: str) -> bool:
        """The worker could not train the job: job and run become ``failed`` with ``message``
        (kept to one line). False, nothing written, when the job was no longer its own."""
        return self._end(job_id, worker_id, "failed", _one_line(message))

    def cancel_job_run(self, job_id: int, worker_id: str) -> bool:
        """The worker stopped training because cancellation was requested."""
        return self._end(job_id, worker_id, "cancelled", None)

    def _end(self, job_id: int, worker_id: str, state: str, error: str | None) -> bool:
        with self._write() as conn:
            row = self._held(conn, job_id, worker_id)
            if row is None:
                return False
            now = self.now()
            if row["run_id"] is not None:
                conn.execute(
                    "UPDATE runs SET state = ?, error = ?, finished_at = ? WHERE id = ?",
                    (state, error, now, row["run_id"]),
                )
            conn.execute(
                "UPDATE jobs SET state = ?, error = ?, lease_until = NULL, finished_at = ? "
                "WHERE id = ?",
                (state, error, now, job_id),
            )
            self._emit(
                conn,
                "job_changed",
                model_id=row["model_id"],
                job_id=job_id,
                state=state,
                error=error,
            )
        return True

    # -- queries --------------------------------------------------------------------------
    def _require_run(self, conn: sqlite3.Connection, run_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRunError(run_id)
        return row  # type: ignore[no-any-return]

    def _runs(self, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[RunRecord]:
        out = []
        for row in rows:
            epochs = conn.execute(
                "SELECT metrics FROM epochs WHERE run_id = ? ORDER BY epoch", (row["id"],)
            ).fetchall()
            metrics = tuple(EpochMetrics.from_dict(json.loads(e["metrics"])) for e in epochs)
            out.append(run_from_row(row, metrics))
        return out

    def get_run(self, run_id: int) -> RunRecord:
        with self._read() as conn:
            return self._runs(conn, [self._require_run(conn, run_id)])[0]

    def latest_run(
        self, model_id: int, fingerprint: str | None = None, finished_only: bool = True
    ) -> RunRecord | None:
        sql = "SELECT * FROM runs WHERE model_id = ?"
        params: list[object] = [model_id]
        if fingerprint is not None:
            sql += " AND fingerprint = ?"
            params.append(fingerprint)
        if finished_only:
            sql += " AND state = 'finished'"
        sql += " ORDER BY id DESC LIMIT 1"
        with self._read() as conn:
            self._require_model(conn, model_id)
            rows = conn.execute(sql, params).fetchall()
            runs = self._runs(conn, rows)
        return runs[0] if runs else None

    def list_runs(self, model_id: int) -> list[RunRecord]:
        """Every run of a model (any state), oldest first."""
        with self._read() as conn:
            self._require_model(conn, model_id)
            rows = conn.execute(
                "SELECT * FROM runs WHERE model_id = ? ORDER BY id", (model_id,)
            ).fetchall()
            return self._runs(conn, rows)

    def finished_runs(self, fingerprint: str) -> list[RunRecord]:
        """The latest finished run of every model on the split ``fingerprint``, by model id."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs WHERE state = "
                "'finished' AND fingerprint = ? GROUP BY model_id) ORDER BY model_id",
                (fingerprint,),
            ).fetchall()
            return self._runs(conn, rows)
