"""Binary encodings used in the store: numpy arrays and id lists as msgpack blobs.

An array blob is a msgpack map ``{"dtype": "<f4", "shape": [..], "data": bytes}`` holding the
C-ordered bytes, so any numeric array round-trips exactly (dtype, shape and values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from remap.store.errors import StoreError


def pack_array(array: npt.ArrayLike) -> bytes:
    """Encode a numeric (bool, integer, float or complex) array."""
    arr = np.asarray(array)
    if arr.dtype.kind not in "biufc":
        raise StoreError(f"cannot store an array of dtype {arr.dtype} (numeric arrays only)")
    arr = np.ascontiguousarray(arr)
    blob = {"dtype": arr.dtype.str, "shape": list(arr.shape), "data": arr.tobytes()}
    return msgpack.packb(blob, use_bin_type=True)  # type: ignore[no-any-return]


def unpack_array(blob: bytes) -> npt.NDArray[Any]:
    """Decode :func:`pack_array`'s output into a fresh, writable array."""
    try:
        data = msgpack.unpackb(blob, raw=False)
        dtype = np.dtype(data["dtype"])
        shape = tuple(int(n) for n in data["shape"])
        arr = np.frombuffer(data["data"], dtype=dtype).reshape(shape)
    except Exception as exc:  # msgpack, KeyError, ValueError, TypeError: all mean "corrupt"
        raise StoreError(f"corrupt array blob in the store: {exc}") from None
    return arr.copy()


def pack_ids(ids: Sequence[int]) -> bytes:
    return msgpack.packb([int(i) for i in ids], use_bin_type=True)  # type: ignore[no-any-return]


def unpack_ids(blob: bytes) -> list[int]:
    try:
        data = msgpack.unpackb(blob, raw=False)
    except Exception as exc:
        raise StoreError(f"corrupt id list in the store: {exc}") from None
    return [int(i) for i in data]
