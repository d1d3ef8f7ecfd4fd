"""Every loader on small real files written here, and the registry's format detection."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_data_files import write_cifar, write_images, write_mnist, write_quickdraw

from remap.data import (
    DataError,
    Dataset,
    Split,
    describe_sources,
    detect_format,
    load_cifar10,
    load_image_folder,
    load_mnist,
    load_npz,
    load_quickdraw,
    load_split,
    read_idx,
)

# ---------------------------------------------------------------- npz


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw"])
def test_npz_layouts(tmp_path: Path, layout: str) -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(12, 3, 9, 7), dtype=np.uint8)  # N, C, H, W
    x = {"nhw": base[:, 0], "nhwc": base.transpose(0, 2, 3, 1), "nchw": base}[layout]
    path = tmp_path / "faces.npz"
    np.savez(path, x=x, y=np.arange(12) % 3)
    ds = load_npz(path)
    assert isinstance(ds, Dataset)
    channels = 1 if layout == "nhw" else 3
    assert ds.x.shape == (12, channels, 9, 7)
    expected = base[:, :1] if layout == "nhw" else base
    np.testing.assert_allclose(ds.x, expected / 255.0, atol=1e-6)
    assert ds.classes == ("0", "1", "2") and ds.name == "faces"


def test_npz_classes_float_and_string_labels(tmp_path: Path) -> None:
    x = np.linspace(0, 1, 6 * 16, dtype=np.float32).reshape(6, 4, 4)
    np.savez(
        tmp_path / "a.npz",
        x=x,
        y=np.array([0, 1, 2, 0, 1, 2]),
        classes=["cat", "dog", "owl"],
    )
    ds = load_npz(tmp_path / "a.npz")
    assert isinstance(ds, Dataset)
    assert ds.classes == ("cat", "dog", "owl")
    np.testing.assert_allclose(ds.x[:, 0], x)  # floats already in [0, 1] are kept
    np.savez(
        tmp_path / "b.npz",
        x=x * 10 - 3,
        y=np.array(["owl", "cat", "owl", "cat", "cat", "owl"]),
    )
    ds = load_npz(tmp_path / "b.npz")
    assert isinstance(ds, Dataset)
    assert ds.classes == ("cat", "owl") and ds.y.tolist() == [1, 0, 1, 0, 0, 1]
    assert float(ds.x.min()) == 0.0 and float(ds.x.max()) == 1.0  # rescaled to [0, 1]
    np.savez(tmp_path / "c.npz", x=x, y=np.array([3, 7, 3, 7, 3, 7]))
    ds = load_npz(tmp_path / "c.npz")
    assert isinstance(ds, Dataset)
    assert ds.classes == ("3", "7") and ds.y.tolist() == [0, 1, 0, 1, 0, 1]


def test_npz_keras_layout_keeps_its_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (8, 5, 5), dtype=np.uint8),
        y_train=np.arange(8) % 2,
        x_test=rng.integers(0, 256, (4, 5, 5), dtype=np.uint8),
        y_test=np.arange(4) % 2,
    )
    split = load_split(str(path), holdout=0.5)
    assert isinstance(load_npz(path), Split)
    assert split.train_x.shape == (8, 1, 5, 5) and split.test_x.shape == (4, 1, 5, 5)


# ---------------------------------------------------------------- quickdraw


def test_quickdraw_folder(tmp_path: Path) -> None:
    arrays = write_quickdraw(tmp_path / "qd", ["pear", "apple", "face"], n=12)
    ds = load_quickdraw(tmp_path / "qd")
    assert ds.classes == ("apple", "face", "pear")  # sorted file stems
    assert ds.x.shape == (36, 1, 28, 28) and ds.x.dtype == np.float32
    first_pear = ds.x[ds.y == 2][0, 0]
    np.testing.assert_allclose(first_pear, arrays["pear"][0].reshape(28, 28) / 255.0, atol=1e-6)
    capped = load_quickdraw(tmp_path / "qd", max_per_class=5)
    assert np.bincount(capped.y).tolist() == [5, 5, 5]
    np.testing.assert_array_equal(capped.x[capped.y == 0], ds.x[ds.y == 0][:5])
    split = load_split(str(tmp_path / "qd"), holdout=0.25, max_per_class=8)
    assert np.bincount(split.test_y).tolist() == [2, 2, 2]
    assert np.bincount(split.train_y).tolist() == [6, 6, 6]


# ---------------------------------------------------------------- cifar


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batches(tmp_path: Path, protocol: int) -> None:
    write_cifar(tmp_path / "cifar", n=20, protocol=protocol)
    split = load_cifar10(tmp_path / "cifar")
    assert split.train_x.shape == (100, 3, 32, 32) and split.test_x.shape == (
        20,
        3,
        32,
        32,
    )
    assert split.classes == tuple(f"thing{i}" for i in range(10))
    assert split.train_y.tolist()[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    # the 3072 values of a row are the red, green and blue planes of 32×32
    rng = np.random.default_rng(1)
    row = rng.integers(0, 256, size=(20, 3072), dtype=np.uint8)[0]
    np.testing.assert_allclose(
        split.train_x[0, 1], row[1024:2048].reshape(32, 32) / 255.0, atol=1e-6
    )


def test_cifar_without_meta_or_all_batches(tmp_path: Path) -> None:
    write_cifar(tmp_path / "c", n=10, batches=2, meta=False)
    split = load_split(str(tmp_path / "c"), max_per_class=1)
    assert split.classes[0] == "airplane" and len(split.classes) == 10
    assert len(split.train_y) == 10 and len(split.test_y) == 10


# ---------------------------------------------------------------- mnist


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx(tmp_path: Path, gz: bool) -> None:
    x, y = write_mnist(tmp_path / "m", n_train=30, n_test=9, classes=3, gz=gz)
    split = load_mnist(tmp_path / "m")
    assert split.train_x.shape == (30, 1, 28, 28) and split.test_x.shape == (
        9,
        1,
        28,
        28,
    )
    assert split.classes == ("0", "1", "2")
    np.testing.assert_allclose(split.train_x[:, 0], x / 255.0, atol=1e-6)
    np.testing.assert_array_equal(split.train_y, y)
    assert detect_format(tmp_path / "m") == "mnist"


def test_idx_other_dtypes_and_name_variants(tmp_path: Path) -> None:
    from test_data_files import write_idx

    arr = np.arange(24, dtype=">i4").reshape(2, 3, 4)
    assert read_idx(write_idx(tmp_path / "a-idx3-ubyte", arr), 3).tolist() == arr.tolist()
    folder = tmp_path / "emnist"
    write_mnist(folder, n_train=6, n_test=3, classes=2)
    for p in folder.iterdir():  # EMNIST-style names: prefix and "test" instead of "t10k"
        p.rename(folder / ("emnist-digits-" + p.name.replace("t10k", "test")))
    assert load_split(str(folder)).train_x.shape == (6, 1, 28, 28)


# ---------------------------------------------------------------- image folder


def test_image_folder_grey(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs", ["b", "a"], n=4, size=(10, 12), mode="L")
    ds = load_image_folder(tmp_path / "imgs")
    assert isinstance(ds, Dataset)
    assert ds.classes == ("a", "b") and ds.x.shape == (8, 1, 10, 12)
    # write_images makes later-listed classes brighter: "a" was written after "b"
    assert float(ds.x[ds.y == 0].mean()) > float(ds.x[ds.y == 1].mean()) + 0.1
    png = np.asarray(Image.open(tmp_path / "imgs" / "a" / "img00.png"))
    np.testing.assert_allclose(ds.x[0, 0], png / 255.0, atol=1e-6)


def test_image_folder_mixed_modes_and_sizes(tmp_path: Path) -> None:
    root = tmp_path / "pics"
    write_images(root, ["cat"], n=3, size=(8, 8), mode="RGB", suffix=".jpg")
    write_images(root, ["dog"], n=2, size=(6, 10), mode="L")
    Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(root / "dog" / "clear.png")
    ds = load_image_folder(root)
    assert isinstance(ds, Dataset)
    assert ds.x.shape == (
        6,
        3,
        8,
        8,
    )  # one colour image → 3 channels; most common size 8×8
    assert ds.y.tolist() == [0, 0, 0, 1, 1, 1]
    clear = ds.x[3]  # dog/clear.png sorts first; fully transparent → white
    np.testing.assert_allclose(clear, 1.0)
    dog = ds.x[4]
    np.testing.assert_array_equal(dog[0], dog[1])  # a grey image repeated in every channel
    sized = load_image_folder(root, size=(5, 7), max_per_class=1)
    assert isinstance(sized, Dataset)
    assert sized.x.shape == (2, 3, 5, 7)


def test_image_folder_all_grey_rgb_files_keep_one_channel(tmp_path: Path) -> None:
    root = tmp_path / "g"
    for k, name in enumerate(["x", "y"]):
        (root / name).mkdir(parents=True)
        Image.new("RGB", (4, 4), (50 * k, 50 * k, 50 * k)).save(root / name / "one.png")
    ds = load_image_folder(root)
    assert isinstance(ds, Dataset)
    assert ds.x.shape == (2, 1, 4, 4)


def test_image_folder_with_own_split(tmp_path: Path) -> None:
    write_images(tmp_path / "s" / "train", ["a", "b"], n=3)
    write_images(tmp_path / "s" / "val", ["a", "b"], n=1)
    split = load_split(str(tmp_path / "s"))
    assert len(split.train_y) == 6 and len(split.test_y) == 2
    assert split.classes == ("a", "b")


# ---------------------------------------------------------------- registry


def test_registry_detects_every_format(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 3, 3)), y=np.array([0, 1, 0, 1]))
    write_quickdraw(tmp_path / "qd", ["a", "b"], n=4)
    write_cifar(tmp_path / "cf", n=10, batches=1)
    write_mnist(tmp_path / "mn", n_train=6, n_test=2)
    write_images(tmp_path / "im", ["a", "b"], n=2)
    expected = {
        "d.npz": "npz",
        "qd": "quickdraw",
        "cf": "cifar10",
        "mn": "mnist",
        "im": "images",
    }
    for name, fmt in expected.items():
        assert detect_format(tmp_path / name) == fmt
        split = load_split(str(tmp_path / name), seed=1)
        assert split.name == Path(name).stem
        assert split.train_x.ndim == 4 and split.train_x.dtype == np.float32
        assert len(split.train_y) > 0 and len(split.test_y) > 0
        again = load_split(f"{fmt}:{tmp_path / name}", seed=1)
        assert again.fingerprint == split.fingerprint


def test_registry_prefix_overrides_detection_and_errors_list_sources(
    tmp_path: Path,
) -> None:
    write_quickdraw(tmp_path / "qd", ["a", "b"], n=4)
    with pytest.raises(DataError, match="data_batch_1: file not found"):
        load_split(f"cifar10:{tmp_path / 'qd'}")
    with pytest.raises(DataError, match="no such file or folder") as info:
        load_split(str(tmp_path / "nothing"))
    assert "quickdraw:PATH" in str(info.value) and "digits" in str(info.value)
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="unsupported file type"):
        load_split(str(tmp_path / "notes.txt"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no supported data"):
        load_split(str(tmp_path / "empty"))
    with pytest.raises(DataError, match="unknown option size"):
        load_split(str(tmp_path / "qd"), size=4)
    for fmt in (
        "npz",
        "quickdraw",
        "cifar10",
        "mnist",
        "images",
        "digits",
        "synthetic",
    ):
        assert fmt in describe_sources()


def test_gzip_detection_in_registry(tmp_path: Path) -> None:
    write_mnist(tmp_path / "m", n_train=4, n_test=2, gz=True)
    shutil.copy(tmp_path / "m" / "train-labels-idx1-ubyte.gz", tmp_path / "m" / "copy.gz")
    assert gzip.decompress((tmp_path / "m" / "copy.gz").read_bytes())[:4] == b"\0\0\x08\x01"
    assert load_split(str(tmp_path / "m")).train_x.shape == (4, 1, 28, 28)


def test_integer_masks_and_empty_prefix(tmp_path: Path) -> None:
    masks = np.array([[[0, 1], [1, 0]], [[1, 1], [0, 0]]], dtype=np.int32)
    np.savez(tmp_path / "m.npz", x=masks, y=np.array([0, 1]))
    ds = load_npz(tmp_path / "m.npz")
    assert isinstance(ds, Dataset)
    np.testing.assert_array_equal(ds.x[:, 0], masks.astype(np.float32))  # 0/1 kept, not /255
    with pytest.raises(DataError, match="no path after the format prefix"):
        load_split("npz:  ")
