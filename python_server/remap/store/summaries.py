"""Light read queries for views over many models: one query per list, no result blobs, no
spec parsing, no per-row follow-up queries. They answer what a row of the model list, a
recolouring by class or an incremental distance update needs at 10,000 models, where the
full records (``list_models``, ``finished_runs``) would parse every spec and unpack every
run's predictions. Also a small key/value cache (``get_cached_value``) that, unlike
settings, writes no change-feed event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from remap.arch.spec import ArchSpec
from remap.store.base import StoreBase, dumps
from remap.store.blobs import unpack_array
from remap.store.records import stored_spec

_LATEST_FINISHED = (
    "SELECT MAX(id) FROM runs WHERE state = 'finished' AND fingerprint = ? GROUP BY model_id"
)
_CHUNK = 900  # stays under SQLite's default limit of bound parameters


class ModelSummary(NamedTuple):  # a tuple: 10,000 of them are built per model list
    """A model's row without its spec (``content_hash`` names the spec)."""

    id: int
    name: str | None
    origin: str
    parent_id: int | None
    changes: tuple[str, ...]
    content_hash: str
    params: int | None = None  # recorded when the model was added (None: impossible spec)
    recorded_acc: float | None = None  # the accuracy an imported model set recorded


class RunSummary(NamedTuple):
    """The latest finished run of a model, without blobs; ``epochs`` is the epoch count."""

    id: int
    model_id: int
    val_acc: float | None
    train_acc: float | None
    seconds: float | None
    epochs: int
    has_predictions: bool = True


def _recorded_acc(text: str | None) -> float | None:
    """``val_acc`` of a model's recorded metrics (as ``service.weights.recorded_accuracy``)."""
    if not text:
        return None
    value = json.loads(text).get("val_acc")
    return float(value) if isinstance(value, (int, float)) else None


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


class SummariesMixin(StoreBase):
    def model_ids(self) -> list[int]:
        with self._read() as conn:
            return [int(r[0]) for r in conn.execute("SELECT id FROM models ORDER BY id")]

    def model_summaries(self) -> list[ModelSummary]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, name, origin, parent_id, changes, content_hash, params, recorded "
                "FROM models "
                "ORDER BY id"
            ).fetchall()
        parsed: dict[str, tuple[str, ...]] = {}  # most change lists are alike (often "[]")
        out = []
        for r in rows:
            text = r["changes"]
            changes = parsed.get(text)
            if changes is None:
                changes = parsed[text] = tuple(json.loads(text))
            row = (r["id"], r["name"], r["origin"], r["parent_id"], changes, r["content_hash"])
            out.append(ModelSummary(*row, r["params"], _recorded_acc(r["recorded"])))
        return out

    def model_specs(self, ids: Sequence[int]) -> dict[int, ArchSpec]:
        """The specs of the given models (unknown ids are left out)."""
        out: dict[int, ArchSpec] = {}
        with self._read() as conn:
            for chunk in _chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(f"SELECT id, spec FROM models WHERE id IN ({marks})", chunk):
                    out[int(r["id"])] = stored_spec(int(r["id"]), r["spec"])
        return out

    def run_summaries(self, fingerprint: str) -> list[RunSummary]:
        """The latest finished run of every model on the split ``fingerprint``, by model id."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT r.id, r.model_id, r.val_acc, r.train_acc, r.seconds, "
                "(SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) AS n_epochs, "
                "r.predictions IS NOT NULL AS has_pred "
                f"FROM runs r WHERE r.id IN ({_LATEST_FINISHED}) ORDER BY r.model_id",
                (fingerprint,),
            ).fetchall()
        return [
            RunSummary(
                id=r["id"],
                model_id=r["model_id"],
                val_acc=r["val_acc"],
                train_acc=r["train_acc"],
                seconds=r["seconds"],
                epochs=int(r["n_epochs"]),
                has_predictions=bool(r["has_pred"]),
            )
            for r in rows
        ]

    def per_class_accuracy(self, fingerprint: str) -> list[tuple[int, npt.NDArray[np.float64]]]:
        """(model id, per-class accuracy) of every model's latest finished run on the split."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT model_id, per_class_acc FROM runs WHERE id IN ({_LATEST_FINISHED}) "
                "AND per_class_acc IS NOT NULL ORDER BY model_id",
                (fingerprint,),
            ).fetchall()
        return [
            (int(r["model_id"]), unpack_array(r["per_class_acc"]).astype(np.float64)) for r in rows
        ]

    def run_predictions(self, run_ids: Sequence[int]) -> dict[int, npt.NDArray[np.int16]]:
        """Held-out predictions of the given runs (runs without any are left out)."""
        out: dict[int, npt.NDArray[np.int16]] = {}
        with self._read() as conn:
            for chunk in _chunks(list(run_ids)):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT id, predictions FROM runs WHERE id IN ({marks})"
                for r in conn.execute(sql, chunk):
                    if r["predictions"] is not None:
                        out[int(r["id"])] = unpack_array(r["predictions"]).astype(np.int16)
        return out

    def job_states(self) -> list[tuple[int, int, str]]:
        """(job id, model id, state) of every job, by job id."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, model_id, state FROM jobs ORDER BY id").fetchall()
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]

    # -- a value cache that is not a setting (no change-feed event) -------------------------
    def get_cached_value(self, key: str) -> Any:
        with self._read() as conn:
            row = conn.execute(
                "SELECT value FROM settings WHERE key = ?", (f"cache:{key}",)
            ).fetchone()
        return None if row is None else json.loads(row["value"])

    def put_cached_value(self, key: str, value: Any) -> None:
        if self.readonly:  # a read-only store keeps no cache (computed again)
            return
        text = dumps(value)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"cache:{key}", text),
            )
