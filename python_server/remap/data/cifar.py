"""Loader for the CIFAR-10 "python version": a folder with ``data_batch_1`` .. ``data_batch_5``,
``test_batch`` and (optionally) ``batches.meta``, kept as the file's own train/test split.

The batches are Python pickles. ``pickle.load`` on a user's file can run arbitrary code, so
they are read with :class:`SafeUnpickler`, which resolves only the handful of numpy names
needed to rebuild arrays (and a latin-1-only ``_codecs.encode`` that protocol-2 pickles use
for bytes) and refuses every other global with a :class:`DataError`.
"""

from __future__ import annotations

import importlib
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.data.arrays import cap_indices, check_cap, to_images
from remap.data.dataset import DataError, Split
from remap.data.limits import check_budget, images_budget, max_data_bytes
from remap.files import FileReadError, read_regular_file

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def _numpy_attr(module: str, name: str) -> Any:
    """A numpy internal under its numpy 2 (``numpy._core``) or numpy 1 (``numpy.core``) home."""
    for mod in (
        module.replace("numpy.core", "numpy._core"),
        module.replace("numpy._core", "numpy.core"),
    ):
        try:
            return getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError):
            continue
    raise AttributeError(f"{module}.{name}")


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global that is not on the allow-list."""


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: latin-1 only."""
    if encoding.replace("-", "").lower() not in ("latin1", "iso88591") or not isinstance(text, str):
        raise RefusedGlobal(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def _allowed() -> dict[tuple[str, str], Callable[..., Any] | type]:
    table: dict[tuple[str, str], Callable[..., Any] | type] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for home in ("numpy.core", "numpy._core"):
        table[(f"{home}.multiarray", "_reconstruct")] = _numpy_attr(
            "numpy._core.multiarray", "_reconstruct"
        )
        table[(f"{home}.multiarray", "scalar")] = _numpy_attr("numpy._core.multiarray", "scalar")
        table[(f"{home}.numeric", "_frombuffer")] = _numpy_attr(
            "numpy._core.numeric", "_frombuffer"
        )
    return table


class SafeUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only; any other global is refused."""

    _ALLOWED = _allowed()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise RefusedGlobal(
                f"refused to load global '{module}.{name}' (only numpy arrays are allowed)"
            ) from None


def safe_unpickle(path: Path) -> Any:
    """The object pickled in ``path``, or DataError if it is unreadable or not plain data."""
    try:
        check_budget(path.stat().st_size, str(path), "this pickle")
        raw = read_regular_file(path, max_data_bytes())  # never a FIFO that blocks
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except FileReadError as exc:
        raise DataError(str(path), exc.reason) from None
    except OSError as exc:
        raise DataError(str(path), f"cannot read ({exc})") from None
    try:
        return SafeUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except RefusedGlobal as exc:
        raise DataError(str(path), f"unsafe pickle: {exc}") from None
    except Exception as exc:  # malformed pickles raise many kinds of errors
        raise DataError(str(path), f"not a readable pickle ({type(exc).__name__}: {exc})") from None


def _str_keys(obj: Any, path: Path) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DataError(str(path), f"expected a dict, got {type(obj).__name__}")
    return {k.decode("latin-1") if isinstance(k, bytes) else str(k): v for k, v in obj.items()}


def _batch(path: Path) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    batch = _str_keys(safe_unpickle(path), path)
    for key in ("data", "labels"):
        if key not in batch:
            raise DataError(str(path), f"missing key '{key}'")
    data = batch["data"]
    if (
        not isinstance(data, np.ndarray)
        or data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
        or data.dtype != np.uint8
    ):
        shape = getattr(data, "shape", type(data).__name__)
        kind = getattr(data, "dtype", "")
        raise DataError(str(path), f"'data' must be an (N, 3072) uint8 array, got {shape} {kind}")
    images_budget(len(data), (3, 32, 32), str(path))
    raw_labels = batch["labels"]
    # Check the labels' type and length before converting: a pickle can nest shared lists
    # that np.asarray would expand into an enormous array.
    if isinstance(raw_labels, np.ndarray):
        flat = raw_labels.ndim == 1 and np.issubdtype(raw_labels.dtype, np.integer)
    else:
        flat = isinstance(raw_labels, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in raw_labels
        )
    if not flat:
        raise DataError(str(path), "'labels' must be a list of integers")
    if len(raw_labels) != len(data):
        raise DataError(
            str(path), f"labels length {len(raw_labels)} does not match {len(data)} images"
        )
    try:
        labels = np.asarray(raw_labels, dtype=np.int64)
    except OverflowError:
        raise DataError(str(path), "'labels' holds a number too large for a class index") from None
    images = to_images(np.asarray(data).reshape(-1, 3, 32, 32), str(path), channels_last=False)
    return images, labels


def _class_names(folder: Path, num_labels: int) -> tuple[str, ...]:
    meta_path = folder / "batches.meta"
    if not meta_path.exists():
        if num_labels <= len(CIFAR10_CLASSES):
            return CIFAR10_CLASSES
        return tuple(str(i) for i in range(num_labels))
    meta = _str_keys(safe_unpickle(meta_path), meta_path)
    names = meta.get("label_names")
    if not isinstance(names, list) or not names:
        raise DataError(str(meta_path), "missing or empty 'label_names' list")
    decoded = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    if len(decoded) < num_labels:
        raise DataError(
            str(meta_path), f"{len(decoded)} label names but labels go up to {num_labels - 1}"
        )
    return decoded


def load_cifar10(folder: str | Path, max_per_class: int | None = None) -> Split:
    """The CIFAR-10 batches in ``folder`` as a Split (training = all data_batch_N present,
    held-out = test_batch); ``max_per_class`` caps each part per class (the first samples)."""
    folder = Path(folder)
    check_cap(max_per_class, str(folder))
    if not folder.is_dir():
        raise DataError(str(folder), "folder not found")
    train_files = []
    for n in range(1, 6):
        path = folder / f"data_batch_{n}"
        if not path.exists():
            break
        train_files.append(path)
    if not train_files:
        raise DataError(str(folder / "data_batch_1"), "file not found")
    test_path = folder / "test_batch"
    if not test_path.exists():
        raise DataError(str(test_path), "file not found")
    parts = [_batch(p) for p in train_files]
    tr_x = np.concatenate([p[0] for p in parts])
    tr_y = np.concatenate([p[1] for p in parts])
    te_x, te_y = _batch(test_path)
    top = int(max(tr_y.max(initial=0), te_y.max(initial=0))) + 1
    if min(tr_y.min(initial=0), te_y.min(initial=0)) < 0:
        raise DataError(str(folder), "negative labels")
    classes = _class_names(folder, top)
    tr = cap_indices(tr_y, len(classes), max_per_class)
    te = cap_indices(te_y, len(classes), max_per_class)
    name = folder.name or str(folder)
    return Split(name, classes, tr_x[tr], tr_y[tr], te_x[te], te_y[te])
