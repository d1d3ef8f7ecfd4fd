"""Writers of small real data files in each supported format (used by the other test_data_*
modules), and checks that the writers produce what the format specifications say."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

IDX_CODES = {np.dtype("u1"): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}


def idx_bytes(arr: npt.NDArray[np.generic]) -> bytes:
    """An IDX file: 0, 0, type code, ndim, then big-endian sizes and big-endian data."""
    big = arr.astype(arr.dtype.newbyteorder(">")) if arr.dtype.itemsize > 1 else arr
    code = IDX_CODES[np.dtype(big.dtype)]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + big.tobytes()


def write_idx(path: Path, arr: npt.NDArray[np.generic]) -> Path:
    data = idx_bytes(arr)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_mnist(
    folder: Path,
    n_train: int = 30,
    n_test: int = 10,
    classes: int = 3,
    gz: bool = False,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """MNIST-style folder; returns (train images, train labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    ext = ".gz" if gz else ""
    out = None
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = (np.arange(n) % classes).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", x)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", y)
        if out is None:
            out = (x, y)
    assert out is not None
    return out


def cifar_batch(n: int, seed: int, bytes_keys: bool = True) -> dict[object, object]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in np.arange(n) % 10]
    if bytes_keys:  # the original files were pickled by Python 2: bytes keys
        return {b"batch_label": b"training batch", b"labels": labels, b"data": data}
    return {"batch_label": "training batch", "labels": labels, "data": data}


def write_cifar(
    folder: Path, n: int = 20, batches: int = 5, protocol: int = 2, meta: bool = True
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, batches + 1):
        batch = cifar_batch(n, i, bytes_keys=i % 2 == 1)
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch, protocol=protocol))
    test = cifar_batch(n, 99)
    (folder / "test_batch").write_bytes(pickle.dumps(test, protocol=protocol))
    if meta:
        names = [f"thing{i}".encode() for i in range(10)]
        meta_obj = {b"label_names": names, b"num_cases_per_batch": n}
        (folder / "batches.meta").write_bytes(pickle.dumps(meta_obj, protocol=protocol))


def write_quickdraw(
    folder: Path, classes: list[str], n: int = 12
) -> dict[str, npt.NDArray[np.uint8]]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    arrays = {}
    for name in classes:
        arr = rng.integers(0, 256, size=(n, 784), dtype=np.uint8)
        np.save(folder / f"{name}.npy", arr)
        arrays[name] = arr
    return arrays


def write_images(
    root: Path,
    classes: list[str],
    n: int = 3,
    size: tuple[int, int] = (10, 12),
    mode: str = "L",
    suffix: str = ".png",
) -> None:
    """``n`` images per class folder, ``size`` = (height, width), class-dependent brightness."""
    rng = np.random.default_rng(3)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            h, w = size
            shape = (h, w) if mode == "L" else (h, w, len(mode))
            arr = np.clip(rng.integers(0, 40, size=shape) + 60 * k, 0, 255).astype(np.uint8)
            Image.fromarray(arr, mode).save(root / name / f"img{i:02d}{suffix}")


def test_idx_header_layout() -> None:
    data = idx_bytes(np.zeros((2, 3, 4), dtype=np.uint8))
    assert int.from_bytes(data[:4], "big") == 2051
    assert struct.unpack(">3I", data[4:16]) == (2, 3, 4)
    assert len(data) == 16 + 24
    assert int.from_bytes(idx_bytes(np.zeros(5, dtype=np.uint8))[:4], "big") == 2049


def test_cifar_writer_makes_real_pickles(tmp_path: Path) -> None:
    write_cifar(tmp_path, n=4, batches=1)
    batch = pickle.loads((tmp_path / "data_batch_1").read_bytes())
    assert batch[b"data"].shape == (4, 3072)
    assert batch[b"labels"] == [0, 1, 2, 3]
