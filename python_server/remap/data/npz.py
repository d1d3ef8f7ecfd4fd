"""Loader for ``.npz`` archives: arrays ``x`` (N,H,W), (N,H,W,C) or (N,C,H,W) and ``y`` (N,),
optionally ``classes`` (names, in label order); or the Keras layout ``x_train``, ``y_train``,
``x_test``, ``y_test`` (then the file's own split is kept). Never unpickles anything."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from remap.data.arrays import check_lengths, to_images, to_labels
from remap.data.dataset import DataError, Dataset, Split

_SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read(path: Path) -> dict[str, npt.NDArray[np.generic]]:
    src = str(path)
    if not path.is_file():
        raise DataError(src, "file not found")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(src, f"not a readable .npz archive ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(src, "not an .npz archive (a single .npy array?)")
    arrays: dict[str, npt.NDArray[np.generic]] = {}
    try:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    reason = f"array '{key}' holds Python objects, which are never loaded"
                else:
                    reason = f"array '{key}' is unreadable: {exc}"
                raise DataError(src, reason) from None
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                raise DataError(src, f"array '{key}' is unreadable: {exc}") from None
    finally:
        archive.close()
    return arrays


def _classes(arrays: dict[str, npt.NDArray[np.generic]], src: str) -> list[str] | None:
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
