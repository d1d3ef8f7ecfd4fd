"""Training runs: one per attempt that starts training, with streamed per-epoch metrics and,
once finished, the final metrics and msgpack blobs (per-class accuracy, confusion matrix,
held-out predictions).

Exactly-once results: :meth:`RunsMixin.finish_job` writes the run's results and marks the job
done in one transaction, and only while the job is still leased by the calling worker; a
worker whose job was re-queued behind its back writes nothing.

Weights: a finished run's weights live in ``weights/`` beside the database
(:attr:`RunsMixin.weights_dir`); the worker writes the complete file first and
``finish_job`` references it in the transaction that finishes the run, after checking the
file is there with the size written — a run is never finished with a missing or partial file.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from remap.store.base import dumps
from remap.store.blobs import pack_array
from remap.store.errors import LeaseLostError, StoreError, UnknownRunError, storable_id
from remap.store.jobs import JobsMixin
from remap.store.records import RunRecord, run_from_row
from remap.train.metrics import EpochMetrics, TrainResult


def _one_line(message: str, limit: int = 2000) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunsMixin(JobsMixin):
    @property
    def weights_dir(self) -> Path:
        """Where trained weights and checkpoints live: ``weights/`` beside the database."""
        return self.path.parent / "weights"

    def weights_file(self, run: RunRecord) -> Path | None:
        """The absolute path of a run's weights file (None when it has none)."""
        return None if run.weights_path is None else self.weights_dir / run.weights_path

    # -- worker side ----------------------------------------------------------------------
    def start_run(
        self,
        job_id: int,
        worker_id: str,
        dataset_name: str,
        fingerprint: str,
        *,
        resumed_from: int | None = None,
        inherited: Sequence[int] = (),
        executor: str = "local",
        node: str | None = None,
    ) -> int:
        """Record the start of training for the job ``worker_id`` holds; returns the run id.
        ``resumed_from`` is the checkpoint epoch it continues from, ``inherited`` the layers
        that start from the parent's weights; ``executor`` (``local`` or ``ray``) and
        ``node`` (default: this host) say where it trains. Raises :class:`LeaseLostError`
        when the job is no longer the worker's."""
        with self._write() as conn:
            row = self._held(conn, job_id, worker_id)
            if row is None:
                state = self._require_job(conn, job_id)["state"]
                raise LeaseLostError(f"job {job_id} is no longer held by {worker_id} ({state})")
            cur = conn.execute(
                "INSERT INTO runs (model_id, job_id, worker_id, dataset_name, fingerprint, "
                "config, state, started_at, resumed_from, inherited, executor, node) "
                "VALUES (?,?,?,?,?,?, 'running', ?,?,?,?,?)",
                (
                    row["model_id"],
                    job_id,
                    worker_id,
                    dataset_name,
                    fingerprint,
                    row["config"],
                    self.now(),
                    resumed_from,
                    dumps([int(i) for i in inherited]) if inherited else None,
                    executor,
                    socket.gethostname() if node is None else node,
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

    def finish_job(
        self,
        job_id: int,
        worker_id: str,
        run_id: int,
        result: TrainResult,
        weights: tuple[str, int] | None = None,
        reevaluated_acc: float | None = None,
    ) -> bool:
        """Store the final result and mark the job done, atomically, if ``worker_id`` still
        holds the job and ``run_id`` is its current run; otherwise write nothing, return False.
        ``weights`` is (file name in :attr:`weights_dir`, size in bytes) of the run's complete
        weights file; a missing file or another size raises :class:`StoreError`;
        ``reevaluated_acc`` the held-out accuracy of the model rebuilt from that file."""
        if weights is not None:
            name, size = weights
            file = self.weights_dir / name
            if Path(name).name != name or not file.is_file() or os.path.getsize(file) != size:
                raise StoreError(f"weights file {file} is missing or incomplete")
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
                "device = ?, stopped_early = ?, finished_at = ?, weights_path = ?, "
                "weights_bytes = ?, reevaluated_acc = ? WHERE id = ?",
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
                    weights[0] if weights else None,
                    weights[1] if weights else None,
                    reevaluated_acc,
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
        if not storable_id(run_id):  # e.g. 10**20 from a command line: no such record
            raise UnknownRunError(run_id)
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

    # -- weights ----------------------------------------------------------------------------
    def weights_usage(self) -> tuple[int, int]:
        """(number of runs with a weights file, their total size in bytes)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(weights_bytes), 0) FROM runs "
                "WHERE weights_path IS NOT NULL"
            ).fetchone()
        return int(row[0]), int(row[1])

    def runs_with_weights(self) -> list[tuple[int, int, str, str]]:
        """(run id, model id, fingerprint, weights file name) of every run with weights."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, model_id, fingerprint, weights_path FROM runs "
                "WHERE weights_path IS NOT NULL ORDER BY id"
            ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def drop_weights(self, run_ids: Sequence[int]) -> None:
        """Forget the weights files of these runs (the caller deletes the files after)."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE runs SET weights_path = NULL, weights_bytes = NULL WHERE id = ?",
                [(int(i),) for i in run_ids],
            )

    def set_recorded(self, model_id: int, recorded: dict[str, object] | None) -> None:
        """Keep the metrics an imported model set recorded for a model (not trained here)."""
        with self._write() as conn:
            self._require_model(conn, model_id)
            conn.execute(
                "UPDATE models SET recorded = ? WHERE id = ?",
                (None if recorded is None else dumps(recorded), model_id),
            )
