"""Cached analysis results: named matrices (e.g. pairwise distances, keyed by kind and a
caller-chosen key) and 2-D layouts (coordinates for a view plus JSON metadata). Row ``i`` of an
array belongs to model ``ids[i]``; writing an existing (kind, key) replaces it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.store.base import StoreBase, dumps
from remap.store.blobs import pack_array, pack_ids, unpack_array, unpack_ids
from remap.store.errors import StoreError


def _check_rows(what: str, ids: Sequence[int], array: npt.NDArray[Any]) -> None:
    if array.ndim == 0 or array.shape[0] != len(ids):
        raise StoreError(
            f"{what}: {len(ids)} ids but the array has shape {tuple(array.shape)} "
            "(its first axis must have one row per id)"
        )


class CacheMixin(StoreBase):
    def put_matrix(self, kind: str, key: str, ids: Sequence[int], matrix: npt.ArrayLike) -> None:
        arr = np.asarray(matrix)
        _check_rows(f"matrix {kind}/{key}", ids, arr)
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO matrices (kind, key, ids, data, created_at) "
                "VALUES (?,?,?,?,?)",
                (kind, key, pack_ids(ids), pack_array(arr), self.now()),
            )
            self._emit(conn, "matrix_changed", kind=kind, key=key, size=len(ids))

    def get_matrix(self, kind: str, key: str) -> tuple[list[int], npt.NDArray[Any]] | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT ids, data FROM matrices WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        if row is None:
            return None
        return unpack_ids(row["ids"]), unpack_array(row["data"])

    def put_layout(
        self,
        view: str,
        key: str,
        ids: Sequence[int],
        coords: npt.ArrayLike,
        meta: Mapping[str, Any],
    ) -> None:
        arr = np.asarray(coords)
        _check_rows(f"layout {view}/{key}", ids, arr)
        meta_text = dumps(dict(meta))
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO layouts (view, key, ids, coords, meta, created_at) "
                "VALUES (?,?,?,?,?,?)",
                (view, key, pack_ids(ids), pack_array(arr), meta_text, self.now()),
            )
            self._emit(conn, "layout_changed", view=view, key=key, size=len(ids))

    def get_layout(
        self, view: str, key: str
    ) -> tuple[list[int], npt.NDArray[Any], dict[str, Any]] | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT ids, coords, meta FROM layouts WHERE view = ? AND key = ?", (view, key)
            ).fetchone()
        if row is None:
            return None
        return unpack_ids(row["ids"]), unpack_array(row["coords"]), json.loads(row["meta"])

    def drop_cached(self, kind: str | None = None, view: str | None = None) -> int:
        """Forget cached matrices of ``kind`` and layouts of ``view`` (e.g. after new models
        arrive); returns the number of entries removed."""
        removed = 0
        with self._write() as conn:
            if kind is not None:
                removed += conn.execute("DELETE FROM matrices WHERE kind = ?", (kind,)).rowcount
            if view is not None:
                removed += conn.execute("DELETE FROM layouts WHERE view = ?", (view,)).rowcount
        return removed
