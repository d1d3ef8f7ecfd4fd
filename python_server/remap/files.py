"""Reading a user-named file with bounded work: only a regular file, at most a given number
of bytes. A pipe or device (``/dev/zero``, a FIFO that nobody writes) or a folder is refused
at once instead of blocking or reading without end. Standard library only, so every layer
may use it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

_CHUNK = 1 << 20


class FileReadError(OSError):
    """The file cannot be read as asked; ``reason`` says why in a few words (the caller
    names the file and what it wanted)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """The bytes of ``path``: a :class:`FileReadError` for a folder, a pipe or device, a
    file larger than ``limit`` bytes, or one that cannot be opened."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise FileReadError("is a folder, not a file") from None
    except OSError as exc:
        raise FileReadError(f"cannot read: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise FileReadError("is a folder, not a file")
        raise FileReadError("is not a regular file (a pipe, socket or device)")
    chunks: list[bytes] = []
    total = 0
    with os.fdopen(fd, "rb") as fh:
        try:  # in chunks: read(limit + 1) would allocate the whole limit up front
            while total <= limit:
                chunk = fh.read(min(_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        except OSError as exc:
            raise FileReadError(f"cannot read: {exc.strerror or exc}") from None
    if total > limit:
        raise FileReadError(f"larger than {limit:,} bytes")
    return b"".join(chunks)
