"""Loader for a folder of Quick, Draw! numpy bitmaps: one ``<class name>.npy`` per class, each
an (N, 784) uint8 array of 28×28 drawings (also accepted: (N, H·W) for any square size, or
(N, H, W)). Files are memory-mapped so a per-class cap reads only the rows it keeps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from remap.data.arrays import check_cap, to_images
from remap.data.dataset import DataError, Dataset
from remap.data.limits import images_budget


def _open(path: Path) -> npt.NDArray[np.generic]:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise DataError(str(path), "holds Python objects, which are never loaded") from None
        raise DataError(str(path), f"not a readable .npy array ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(str(path), f"not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise DataError(str(path), "not a single .npy array")
    return arr


def _side(arr: npt.NDArray[np.generic], path: Path) -> int:
    if arr.ndim == 3 and arr.shape[1] == arr.shape[2]:
        return int(arr.shape[1])
    if arr.ndim == 2:
        side = math.isqrt(arr.shape[1])
        if side > 0 and side * side == arr.shape[1]:
            return side
    raise DataError(
        str(path), f"expected (N, 784) bitmaps (one 28×28 drawing per row), got shape {arr.shape}"
    )


def load_quickdraw(folder: str | Path, max_per_class: int | None = None) -> Dataset:
    """All ``*.npy`` files of ``folder`` (sorted by name; the stem is the class name), keeping
    at most ``max_per_class`` drawings of each class (the first ones)."""
    folder = Path(folder)
    check_cap(max_per_class, str(folder))
    if not folder.is_dir():
        raise DataError(str(folder), "folder not found")
    files = sorted(p for p in folder.glob("*.npy") if p.is_file())
    if not files:
        raise DataError(str(folder), "no .npy files (one per class) in this folder")
    xs: list[npt.NDArray[np.float32]] = []
    ys: list[npt.NDArray[np.int64]] = []
    side = total = 0
    for label, path in enumerate(files):
        arr = _open(path)
        this = _side(arr, path)
        if side and this != side:
            raise DataError(str(path), f"drawings are {this}×{this}, other files {side}×{side}")
        side = this
        if arr.shape[0] == 0:
            raise DataError(str(path), "no drawings in this file")
        kept = min(arr.shape[0], max_per_class or arr.shape[0])
        total += kept
        images_budget(total, (1, side, side), str(folder))
        rows = np.asarray(arr[:kept])
        try:
            images = to_images(rows.reshape(len(rows), side, side), str(path))
        except OSError as exc:  # a truncated memory-mapped file
            raise DataError(str(path), f"cannot read the drawings ({exc})") from None
        xs.append(images)
        ys.append(np.full(len(images), label, dtype=np.int64))
    classes = tuple(p.stem for p in files)
    return Dataset(folder.name or str(folder), classes, np.concatenate(xs), np.concatenate(ys))
