"""Malformed and missing files: every problem is a DataError naming the file and the problem,
and the CIFAR unpickler refuses any global other than the numpy array machinery."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from test_data_files import (
    cifar_batch,
    idx_bytes,
    write_cifar,
    write_images,
    write_mnist,
)

from remap.data import (
    DataError,
    load_cifar10,
    load_image_folder,
    load_mnist,
    load_npz,
    load_quickdraw,
    load_split,
)


def _error(call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(DataError) as info:
        call(*args, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- npz


def test_npz_problems(tmp_path: Path) -> None:
    path = tmp_path / "faces.npz"
    np.savez(path, x=np.zeros((3, 4, 4)))
    msg = _error(load_npz, path)
    assert "faces.npz" in msg and "missing array 'y'" in msg and "found: x" in msg

    np.savez(path, x=np.zeros((12, 4, 4)), y=np.zeros(10))
    assert "labels length 10 does not match 12 images" in _error(load_npz, path)

    np.savez(path, x=np.zeros((2, 4)), y=np.zeros(2))
    assert "faces.npz (x): images must have shape" in _error(load_npz, path)

    np.savez(path, x=np.zeros((2, 4, 4)), y=np.array([0.0, 0.5]))
    assert "labels must be whole numbers" in _error(load_npz, path)

    np.savez(path, x=np.full((2, 4, 4), np.nan), y=np.zeros(2))
    assert "NaN" in _error(load_npz, path)

    np.savez(path, x=np.zeros((2, 4, 4)), y=np.array([0, 5]), classes=["a", "b"])
    assert "label 5 is outside the 2 classes" in _error(load_npz, path)

    np.savez(path, x=np.zeros((2, 4, 4)), y=np.array([0, 1], dtype=object))
    msg = _error(load_npz, path)
    assert "faces.npz" in msg and "array 'y' holds Python objects" in msg

    path.write_bytes(b"this is not a zip file")
    assert "faces.npz: not a readable .npz archive" in _error(load_npz, path)
    np.save(tmp_path / "single.npy", np.zeros(3))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    assert "not an .npz archive" in _error(load_npz, tmp_path / "single.npz")
    assert "gone.npz: file not found" in _error(load_npz, tmp_path / "gone.npz")


# ---------------------------------------------------------------- quickdraw


def test_quickdraw_problems(tmp_path: Path) -> None:
    folder = tmp_path / "qd"
    folder.mkdir()
    assert "no .npy files" in _error(load_quickdraw, folder)
    np.save(folder / "pear.npy", np.zeros((3, 780), np.uint8))
    msg = _error(load_quickdraw, folder)
    assert "pear.npy" in msg and "expected (N, 784) bitmaps" in msg and "(3, 780)" in msg
    np.save(folder / "pear.npy", np.zeros((3, 784), np.uint8))
    np.save(folder / "zebra.npy", np.zeros((2, 16), np.uint8))
    assert "zebra.npy: drawings are 4×4, other files 28×28" in _error(load_quickdraw, folder)
    (folder / "zebra.npy").write_bytes(b"\x93NUMPY garbage")
    assert "zebra.npy: not a readable .npy array" in _error(load_quickdraw, folder)
    np.save(folder / "zebra.npy", np.array([{"a": 1}], dtype=object))
    assert "zebra.npy: holds Python objects" in _error(load_quickdraw, folder)
    (folder / "zebra.npy").unlink()
    assert "max_per_class must be a positive integer" in _error(load_quickdraw, folder, 0)


# ---------------------------------------------------------------- cifar


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /dev/null",))


def test_cifar_unpickler_refuses_code(tmp_path: Path) -> None:
    write_cifar(tmp_path / "c", n=4, batches=1)
    batch = cifar_batch(4, 1)
    batch[b"labels"] = _Evil()
    (tmp_path / "c" / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=2))
    msg = _error(load_cifar10, tmp_path / "c")
    assert "data_batch_1: unsafe pickle: refused to load global" in msg
    assert "system" in msg  # names the global (posix.system on Linux)


@pytest.mark.parametrize(
    "payload",
    [
        b"cbuiltins\neval\n(S'1+1'\ntR.",
        b"cnumpy\nload\n(S'x'\ntR.",
        b"c_codecs\nencode\n(S'abc'\nS'rot13'\ntR.",
        b"csubprocess\nPopen\n(S'ls'\ntR.",
    ],
)
def test_cifar_unpickler_refuses_other_globals(tmp_path: Path, payload: bytes) -> None:
    write_cifar(tmp_path / "c", n=4, batches=1)
    (tmp_path / "c" / "test_batch").write_bytes(payload)
    msg = _error(load_cifar10, tmp_path / "c")
    assert "test_batch: unsafe pickle: refused" in msg


def test_cifar_problems(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write_cifar(folder, n=4, batches=1)
    (folder / "test_batch").unlink()
    assert "test_batch: file not found" in _error(load_cifar10, folder)
    write_cifar(folder, n=4, batches=1)
    (folder / "data_batch_1").write_bytes(b"\x80\x02garbage")
    assert "data_batch_1: not a readable pickle" in _error(load_cifar10, folder)
    batch = cifar_batch(4, 1)
    del batch[b"labels"]
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch))
    assert "data_batch_1: missing key 'labels'" in _error(load_cifar10, folder)
    batch = cifar_batch(4, 1)
    batch[b"labels"] = [0, 1, 2]
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch))
    assert "data_batch_1: labels length 3 does not match 4 images" in _error(load_cifar10, folder)
    batch = cifar_batch(4, 1)
    batch[b"data"] = np.zeros((4, 100), np.uint8)
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch))
    assert "'data' must be an (N, 3072) uint8 array" in _error(load_cifar10, folder)
    (folder / "data_batch_1").write_bytes(pickle.dumps([1, 2, 3]))
    assert "data_batch_1: expected a dict, got list" in _error(load_cifar10, folder)
    write_cifar(folder, n=4, batches=1)
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": ["a", "b"]}))
    assert "batches.meta: 2 label names but labels go up to 3" in _error(load_cifar10, folder)


# ---------------------------------------------------------------- mnist


def test_mnist_problems(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    write_mnist(folder, n_train=6, n_test=2)
    images = folder / "train-images-idx3-ubyte"
    labels = folder / "train-labels-idx1-ubyte"
    good_labels = labels.read_bytes()
    images.write_bytes(good_labels)  # a labels file where images belong
    msg = _error(load_mnist, folder)
    assert "train-images-idx3-ubyte: expected magic 2051, got 2049" in msg

    write_mnist(folder, n_train=6, n_test=2)
    images.write_bytes(images.read_bytes()[:-5])
    msg = _error(load_mnist, folder)
    assert "train-images-idx3-ubyte" in msg and "6×28×28 values (4704 bytes)" in msg
    assert "holds 4699 bytes" in msg

    write_mnist(folder, n_train=6, n_test=2)
    labels.write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    assert "train-labels-idx1-ubyte: labels length 5 does not match 6 images" in _error(
        load_mnist, folder
    )

    labels.write_bytes(b"\0\0")
    assert "train-labels-idx1-ubyte: too short for an IDX header" in _error(load_mnist, folder)

    write_mnist(folder, n_train=6, n_test=2)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    assert "t10k-labels-idx1-ubyte: file not found" in _error(load_mnist, folder)

    gz = tmp_path / "g"
    write_mnist(gz, n_train=6, n_test=2, gz=True)
    (gz / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    assert "t10k-images-idx3-ubyte.gz: cannot read" in _error(load_mnist, gz)


# ---------------------------------------------------------------- image folder


def test_image_folder_problems(tmp_path: Path) -> None:
    root = tmp_path / "imgs"
    write_images(root, ["a", "b"], n=2)
    (root / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnonsense")
    msg = _error(load_image_folder, root)
    assert "broken.png: not a readable image" in msg
    (root / "b" / "broken.png").unlink()
    (root / "c").mkdir()
    (root / "c" / "readme.txt").write_text("no images here")
    msg = _error(load_image_folder, root)
    assert "imgs/c: class folder holds no images" in msg.replace(os.sep, "/")
    assert "size must be a positive integer" in _error(load_image_folder, root / "a", size=(0, 3))
    flat = tmp_path / "flat"
    flat.mkdir()
    assert "no class sub-folders" in _error(load_image_folder, flat)


def test_registry_never_leaks_a_traceback_type(tmp_path: Path) -> None:
    """Every bad source comes back as DataError (a ValueError), never another exception."""
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 truncated zip")
    (tmp_path / "qd").mkdir()
    (tmp_path / "qd" / "a.npy").write_bytes(b"")
    (tmp_path / "cf").mkdir()
    (tmp_path / "cf" / "data_batch_1").write_bytes(b"")
    (tmp_path / "cf" / "test_batch").write_bytes(b"")
    for source in ("x.npz", "qd", "cf"):
        msg = _error(load_split, str(tmp_path / source))
        assert source in msg
    assert "no data source given" in _error(load_split, "  ")
    assert "max_per_class" in _error(load_split, "digits", max_per_class=-1)
