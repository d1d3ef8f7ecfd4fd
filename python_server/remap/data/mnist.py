"""Loader for MNIST-style IDX files (MNIST, Fashion-MNIST, EMNIST): a folder with
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte`` (each optionally ``.gz``; ``.idx3-ubyte`` spellings and name
prefixes such as ``emnist-digits-`` are recognised), kept as the files' own train/test split.

The IDX header (magic number: two zero bytes, a type code and the number of dimensions;
then one big-endian 32-bit size per dimension) is checked first; then exactly the bytes it
announces are read, so a compressed file cannot expand past what its header says."""

from __future__ import annotations

import gzip
import math
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.data.arrays import cap_indices, check_cap, to_images, to_labels
from remap.data.dataset import DataError, Split
from remap.data.limits import Readable, check_budget, read_exact, shape_text

_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_NAME = re.compile(
    r"(?P<part>train|t10k|test)[-_.]?(?P<kind>images|labels)[-_.]idx(?P<nd>[13])-ubyte(?:\.gz)?$"
)
IDX_PATTERN = "*idx[13]-ubyte*"


def _header(fh: Readable, ndim: int, src: str) -> tuple[np.dtype[Any], tuple[int, ...]]:
    expected = 0x800 | ndim
    magic = fh.read(4)
    if len(magic) < 4:
        raise DataError(src, f"too short for an IDX header ({len(magic)} bytes)")
    code = magic[2]
    if magic[:2] != b"\0\0" or magic[3] != ndim or code not in _IDX_TYPES:
        raise DataError(src, f"expected magic {expected}, got {int.from_bytes(magic, 'big')}")
    raw = fh.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DataError(src, f"header truncated ({4 + len(raw)} bytes, need {4 + 4 * ndim})")
    dims = tuple(int.from_bytes(raw[4 * i : 4 * i + 4], "big") for i in range(ndim))
    return np.dtype(_IDX_TYPES[code]), dims


def read_idx(path: Path, ndim: int) -> npt.NDArray[np.generic]:
    """The array stored in an IDX file with ``ndim`` dimensions, or DataError. The header is
    read first; exactly the bytes it announces are then read (decompressed), within
    :func:`remap.data.limits.max_data_bytes`, and a file holding more or less is refused."""
    src = str(path)
    gz = path.name.endswith(".gz")
    try:
        with gzip.open(path, "rb") if gz else path.open("rb") as fh:
            dtype, dims = _header(fh, ndim, src)
            count = math.prod(dims)
            need = count * dtype.itemsize
            what = f"{shape_text(dims)} values"
            check_budget(max(need, count * 4), src, what)
            if not gz and path.stat().st_size - 4 - 4 * ndim != need:
                have = path.stat().st_size - 4 - 4 * ndim
                raise DataError(
                    src, f"header says {what} ({need} bytes) but the file holds {have} bytes"
                )
            data = read_exact(fh, need, src, f"header says {what}")
    except FileNotFoundError:
        raise DataError(src, "file not found") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(src, f"cannot read ({exc})") from None
    return np.frombuffer(data, dtype=dtype).reshape(dims)


def _find(folder: Path) -> dict[tuple[str, str], Path]:
    found: dict[tuple[str, str], list[Path]] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.search(path.name.lower())
        if not match or not path.is_file():
            continue
        part = "train" if match["part"] == "train" else "test"
        kind = match["kind"]
        if (kind == "images") != (match["nd"] == "3"):
            continue
        found.setdefault((part, kind), []).append(path)
    chosen: dict[tuple[str, str], Path] = {}
    for (part, kind), paths in found.items():
        plain = [p for p in paths if not p.name.endswith(".gz")] or paths
        if len(plain) > 1:
            names = ", ".join(p.name for p in plain)
            raise DataError(str(folder), f"several {part} {kind} files: {names}")
        chosen[(part, kind)] = plain[0]
    for part, prefix in (("train", "train"), ("test", "t10k")):
        for kind, nd in (("images", 3), ("labels", 1)):
            if (part, kind) not in chosen:
                name = f"{prefix}-{kind}-idx{nd}-ubyte"
                raise DataError(str(folder / name), "file not found (nor a .gz of it)")
    return chosen


def load_mnist(folder: str | Path, max_per_class: int | None = None) -> Split:
    """The IDX files in ``folder`` as a Split (training = train-*, held-out = t10k-*);
    ``max_per_class`` caps each part per class (the first samples)."""
    folder = Path(folder)
    check_cap(max_per_class, str(folder))
    if not folder.is_dir():
        raise DataError(str(folder), "folder not found")
    files = _find(folder)
    xs, ys = [], []
    for part in ("train", "test"):
        x = to_images(read_idx(files[(part, "images")], 3), str(files[(part, "images")]))
        y_path = files[(part, "labels")]
        y = read_idx(y_path, 1)
        if len(y) != len(x):
            raise DataError(str(y_path), f"labels length {len(y)} does not match {len(x)} images")
        xs.append(x)
        ys.append(y)
    if xs[0].shape[1:] != xs[1].shape[1:]:
        raise DataError(
            str(folder), f"train images {xs[0].shape[1:]} and test images {xs[1].shape[1:]} differ"
        )
    labels, classes = to_labels(np.concatenate(ys), str(files[("train", "labels")]))
    tr_y, te_y = labels[: len(ys[0])], labels[len(ys[0]) :]
    tr = cap_indices(tr_y, len(classes), max_per_class)
    te = cap_indices(te_y, len(classes), max_per_class)
    name = folder.name or str(folder)
    return Split(name, classes, xs[0][tr], tr_y[tr], xs[1][te], te_y[te])
