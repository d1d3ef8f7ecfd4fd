"""Bounds on how much a data file may make the loaders read, decompress and allocate.

Every size is known before the work starts: an IDX or ``.npy`` header gives the array's
shape, a zip directory its members' sizes, an image header its pixel count. A loader checks
the size a header announces against :func:`max_data_bytes` first, then reads exactly that
many bytes through :func:`read_exact`, and a file that holds more or less than its header
says is refused, so a small compressed file can never expand without bound."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Protocol

from remap.data.dataset import DataError

DEFAULT_MAX_DATA_BYTES = 4 * 1024**3
ENV_MAX_DATA_BYTES = "REMAP_MAX_DATA_BYTES"
_CHUNK = 1 << 20


class Readable(Protocol):
    """A binary stream: an open file, a gzip stream, a zip member."""

    def read(self, size: int = ..., /) -> bytes: ...


def max_data_bytes() -> int:
    """The most bytes one data set may occupy in memory (float32 images) or one file may
    decompress to: ``REMAP_MAX_DATA_BYTES`` when set to a positive integer, else 4 GiB."""
    text = os.environ.get(ENV_MAX_DATA_BYTES, "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return DEFAULT_MAX_DATA_BYTES


def human(nbytes: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes} bytes"


def shape_text(dims: Iterable[int]) -> str:
    return "×".join(str(d) for d in dims)


def check_budget(nbytes: int, source: str, what: str) -> None:
    """DataError unless ``nbytes`` (what ``what`` would take) is within the limit."""
    limit = max_data_bytes()
    if nbytes > limit:
        raise DataError(
            source,
            f"{what} would take {human(nbytes)}, more than the {human(limit)} REMAP loads "
            f"(set {ENV_MAX_DATA_BYTES} to allow more)",
        )


def images_budget(count: int, dims: Iterable[int], source: str) -> None:
    """Check that ``count`` images of ``dims`` fit the limit as float32 values."""
    dims = tuple(dims)
    check_budget(count * math.prod(dims) * 4, source, f"{count:,} images of {shape_text(dims)}")


def read_exact(stream: Readable, nbytes: int, source: str, what: str) -> bytearray:
    """Exactly ``nbytes`` bytes from ``stream`` (in chunks, so memory grows only with the
    data really there), then DataError if the stream holds fewer or more."""
    data = bytearray()
    while len(data) < nbytes:
        chunk = stream.read(min(_CHUNK, nbytes - len(data)))
        if not chunk:
            raise DataError(
                source, f"truncated: {what} needs {nbytes:,} bytes but the file holds {len(data):,}"
            )
        data += chunk
    if stream.read(1):
        raise DataError(source, f"holds more data than its header says ({what}: {nbytes:,} bytes)")
    return data
