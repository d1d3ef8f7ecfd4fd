"""Models and lineage: architectures de-duplicated by content hash, with the model each was
derived from (``parent_id``), how (``origin``) and the list of changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from remap.arch.errors import ArchError
from remap.arch.shapes import param_count
from remap.arch.spec import ArchSpec
from remap.store.base import StoreBase, dumps
from remap.store.errors import StoreError, UnknownModelError, storable_id
from remap.store.records import ModelRecord, model_from_row
from remap.store.schema import ORIGINS


class ModelsMixin(StoreBase):
    def add_model(
        self,
        spec: ArchSpec,
        *,
        origin: str,
        parent_id: int | None = None,
        changes: Sequence[str] = (),
        name: str | None = None,
        source: str | None = None,
    ) -> tuple[int, bool]:
        """Store ``spec`` and return ``(id, created)``. A spec already stored (same content
        hash) returns the existing id and ``False``; its lineage is left as first recorded."""
        if origin not in ORIGINS:
            raise StoreError(
                f"unknown model origin {origin!r}; expected one of {', '.join(ORIGINS)}"
            )
        if isinstance(changes, str):
            raise StoreError("changes must be a list of strings, not a single string")
        change_list = [str(c) for c in changes]
        try:
            params: int | None = param_count(spec)
        except ArchError:
            params = None  # an impossible spec is still recorded; training will fail it
        content_hash = spec.content_hash
        with self._write() as conn:
            row = conn.execute(
                "SELECT id FROM models WHERE content_hash = ?", (content_hash,)
            ).fetchone()
            if row is not None:
                return int(row["id"]), False
            if parent_id is not None:
                self._require_model(conn, parent_id)
            cur = conn.execute(
                "INSERT INTO models (name, spec, content_hash, origin, parent_id, changes, "
                "params, created_at, source) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    name,
                    spec.to_json(),
                    content_hash,
                    origin,
                    parent_id,
                    dumps(change_list),
                    params,
                    self.now(),
                    source,
                ),
            )
            model_id = int(cur.lastrowid or 0)
            self._emit(
                conn,
                "model_added",
                model_id=model_id,
                origin=origin,
                parent_id=parent_id,
                content_hash=content_hash,
            )
        return model_id, True

    def _require_model(self, conn: sqlite3.Connection, model_id: int) -> sqlite3.Row:
        if not storable_id(model_id):  # e.g. 10**20 from a command line: no such record
            raise UnknownModelError(model_id)
        row = conn.execute("SELECT * FROM models WHERE id = ?", (model_id,)).fetchone()
        if row is None:
            raise UnknownModelError(model_id)
        return row  # type: ignore[no-any-return]

    def get_model(self, model_id: int) -> ModelRecord:
        with self._read() as conn:
            row = self._require_model(conn, model_id)
        return model_from_row(row)

    def find_model_by_hash(self, content_hash: str) -> ModelRecord | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM models WHERE content_hash = ?", (content_hash,)
            ).fetchone()
        return None if row is None else model_from_row(row)

    def list_models(self) -> list[ModelRecord]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM models ORDER BY id").fetchall()
        return [model_from_row(r) for r in rows]

    def children_of(self, model_id: int) -> list[ModelRecord]:
        with self._read() as conn:
            self._require_model(conn, model_id)
            rows = conn.execute(
                "SELECT * FROM models WHERE parent_id = ? ORDER BY id", (model_id,)
            ).fetchall()
        return [model_from_row(r) for r in rows]

    def rename_model(self, model_id: int, name: str | None) -> None:
        with self._write() as conn:
            self._require_model(conn, model_id)
            conn.execute("UPDATE models SET name = ? WHERE id = ?", (name, model_id))
            self._emit(conn, "model_changed", model_id=model_id, name=name)

    def model_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM models").fetchone()[0])
