"""Cached analysis results: named matrices (e.g. pairwise distances, keyed by kind and a
caller-chosen key), distance matrices kept as append-only row blocks, and 2-D layouts
(coordinates for a view plus JSON metadata). Row ``i`` of an array belongs to model
``ids[i]``; writing an existing (kind, key) replaces it.

Row blocks (``matrix_rows``) hold a symmetric distance matrix compactly and incrementally:
the block starting at row ``s`` with ``k`` ids stores, as one float32 vector, the condensed
rows ``s … s+k−1`` — row ``i`` holds its distances to rows ``0 … i−1`` — so a matrix of N
models costs N(N−1)/2 · 4 bytes and adding k models appends one block of their k rows."""

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
        if self.readonly:  # a read-only store keeps no cache (computed again)
            return
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

    # -- distance matrices as append-only condensed row blocks ---------------------------
    def matrix_rows_extent(self, kind: str, key: str) -> tuple[int, int]:
        """(rows stored, number of blocks) of the row-block matrix (kind, key); (0, 0) if
        none. Cheap: lets an in-process copy check whether it is still complete."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(start + n), 0) AS rows, COUNT(*) AS blocks "
                "FROM matrix_rows WHERE kind = ? AND key = ?",
                (kind, key),
            ).fetchone()
        return int(row["rows"]), int(row["blocks"])

    def append_matrix_rows(
        self, kind: str, key: str, start: int, ids: Sequence[int], condensed: npt.ArrayLike
    ) -> None:
        """Append the block of rows ``start … start+len(ids)−1``: ``condensed`` holds, row
        after row, each new row's distances to all earlier rows (stored as float32). ``start``
        must equal the rows already stored (0 replaces the whole matrix): a concurrent writer
        that got there first makes this a :class:`StoreError`, nothing written."""
        if self.readonly:  # a read-only store keeps no cache (computed again)
            return
        k = len(ids)
        data = np.ascontiguousarray(np.asarray(condensed, dtype=np.float32).reshape(-1))
        expected = k * start + k * (k - 1) // 2
        if data.size != expected:
            raise StoreError(
                f"matrix {kind}/{key}: a block of {k} rows from row {start} needs {expected} "
                f"distances, got {data.size}"
            )
        with self._write() as conn:
            if start == 0:
                conn.execute("DELETE FROM matrix_rows WHERE kind = ? AND key = ?", (kind, key))
            else:
                have = conn.execute(
                    "SELECT COALESCE(MAX(start + n), 0) FROM matrix_rows "
                    "WHERE kind = ? AND key = ?",
                    (kind, key),
                ).fetchone()[0]
                if int(have) != start:
                    raise StoreError(
                        f"matrix {kind}/{key} has {have} rows stored, cannot append at row {start}"
                    )
            if k:
                conn.execute(
                    "INSERT INTO matrix_rows (kind, key, start, n, ids, data, created_at) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (kind, key, start, k, pack_ids(ids), pack_array(data), self.now()),
                )
            self._emit(conn, "matrix_changed", kind=kind, key=key, size=start + k)

    def matrix_row_blocks(
        self, kind: str, key: str, from_row: int = 0, limit: int = -1
    ) -> list[tuple[int, list[int], npt.NDArray[np.float32]]]:
        """The stored blocks starting at or after ``from_row``, in order (at most ``limit``
        of them if ≥ 0): (start, ids, condensed float32 rows)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT start, ids, data FROM matrix_rows WHERE kind = ? AND key = ? "
                "AND start >= ? ORDER BY start LIMIT ?",
                (kind, key, from_row, limit),
            ).fetchall()
        out = []
        for row in rows:
            data = unpack_array(row["data"]).astype(np.float32, copy=False).reshape(-1)
            out.append((int(row["start"]), unpack_ids(row["ids"]), data))
        return out

    def drop_matrix_rows(self, kind: str, key: str | None = None) -> int:
        """Forget the row-block matrix (kind, key), or every one of ``kind``; returns the
        number of blocks removed."""
        with self._write() as conn:
            if key is None:
                cur = conn.execute("DELETE FROM matrix_rows WHERE kind = ?", (kind,))
            else:
                cur = conn.execute(
                    "DELETE FROM matrix_rows WHERE kind = ? AND key = ?", (kind, key)
                )
            if cur.rowcount:
                self._emit(conn, "matrix_changed", kind=kind, key=key, size=0)
        return cur.rowcount

    def put_layout(
        self,
        view: str,
        key: str,
        ids: Sequence[int],
        coords: npt.ArrayLike,
        meta: Mapping[str, Any],
    ) -> None:
        if self.readonly:  # a read-only store keeps no cache (computed again)
            return
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
                removed += conn.execute("DELETE FROM matrix_rows WHERE kind = ?", (kind,)).rowcount
            if view is not None:
                removed += conn.execute("DELETE FROM layouts WHERE view = ?", (view,)).rowcount
        return removed
