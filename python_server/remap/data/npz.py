"""Loader for ``.npz`` archives: arrays ``x`` (N,H,W), (N,H,W,C) or (N,C,H,W) and ``y`` (N,),
optionally ``classes`` (names, in label order); or the Keras layout ``x_train``, ``y_train``,
``x_test``, ``y_test`` (then the file's own split is kept). Never unpickles anything.

The archive is read member by member without ``np.load``: each ``.npy`` header is checked
against the member's size in the zip directory and the data limit before anything is
decompressed (``np.load`` would allocate whatever shape a header claims)."""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.data.arrays import check_lengths, to_images, to_labels
from remap.data.dataset import DataError, Dataset, Split
from remap.data.limits import check_budget, read_exact, shape_text

_SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, src: str) -> npt.NDArray[Any]:
    """One ``.npy`` member: its header is read and checked against the member's size in the
    zip directory and the limit before any data is decompressed; then exactly those bytes."""
    key = info.filename.removesuffix(".npy")
    where = f"array '{key}'"
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise DataError(src, f"{where}: unsupported .npy version {version}")
        if dtype.hasobject:
            raise DataError(src, f"{where} holds Python objects, which are never loaded")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        what = f"{where} of {shape_text(shape)} {dtype.name}"
        if nbytes > info.file_size:
            raise DataError(
                src, f"{what} needs {nbytes:,} bytes but the archive lists {info.file_size:,}"
            )
        check_budget(max(nbytes, count * 4), src, what)
        data = read_exact(fh, nbytes, src, what)
    flat = np.frombuffer(data, dtype=dtype, count=count)
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


def _read(path: Path) -> dict[str, npt.NDArray[Any]]:
    src = str(path)
    if not path.is_file():
        raise DataError(src, "not a regular file" if path.exists() else "file not found")
    arrays: dict[str, npt.NDArray[Any]] = {}
    try:
        with path.open("rb") as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise DataError(src, "not an .npz archive (a single .npy array?)")
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".npy")]
            if not members:
                raise DataError(src, "not an .npz archive (no .npy arrays inside)")
            check_budget(sum(i.file_size for i in members), src, "the archive's arrays")
            for info in members:
                arrays[info.filename.removesuffix(".npy")] = _read_member(archive, info, src)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(src, f"not a readable .npz archive ({exc})") from None
    except (OSError, EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(src, f"not a readable .npz archive ({exc})") from None
    return arrays


def _classes(arrays: dict[str, npt.NDArray[Any]], src: str) -> list[str] | None:
    if "classes" not in arrays:
        return None
    names = arrays["classes"]
    if names.ndim != 1 or names.size == 0:
        raise DataError(src, f"array 'classes' must be a non-empty list, got shape {names.shape}")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]


def load_npz(path: str | Path, channels_last: bool | None = None) -> Dataset | Split:
    """Read an .npz archive (see the module docstring). ``channels_last`` forces the layout of
    4-D image arrays when the shape alone is ambiguous."""
    path = Path(path)
    src = str(path)
    arrays = _read(path)
    names = _classes(arrays, src)
    name = path.stem
    if all(k in arrays for k in _SPLIT_KEYS):
        tr_x = to_images(arrays["x_train"], f"{src} (x_train)", channels_last)
        te_x = to_images(arrays["x_test"], f"{src} (x_test)", channels_last)
        if tr_x.shape[1:] != te_x.shape[1:]:
            raise DataError(
                src, f"x_train images {tr_x.shape[1:]} and x_test images {te_x.shape[1:]} differ"
            )
        y_tr = arrays["y_train"]
        y_te = arrays["y_test"]
        if y_tr.ndim != y_te.ndim:
            raise DataError(src, "y_train and y_test have different numbers of dimensions")
        both, classes = to_labels(np.concatenate([y_tr, y_te]), f"{src} (y)", names)
        tr_y, te_y = both[: len(y_tr)], both[len(y_tr) :]
        check_lengths(tr_x, tr_y, f"{src} (train)")
        check_lengths(te_x, te_y, f"{src} (test)")
        return Split(name, classes, tr_x, tr_y, te_x, te_y)
    for key in ("x", "y"):
        if key not in arrays:
            found = ", ".join(sorted(arrays)) or "none"
            raise DataError(
                src,
                f"missing array '{key}' (expected 'x' and 'y', or x_train/y_train/x_test/y_test;"
                f" found: {found})",
            )
    x = to_images(arrays["x"], f"{src} (x)", channels_last)
    y, classes = to_labels(arrays["y"], f"{src} (y)", names)
    check_lengths(x, y, src)
    return Dataset(name, classes, x, y)
