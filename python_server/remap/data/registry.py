"""One entry point for every data source: ``load_split("digits")``, ``load_split(path)`` with
the format detected from the path, or an explicit ``format:path`` prefix. Formats that carry
their own train/test split keep it (``holdout`` is then ignored); the others are split with
:func:`remap.data.dataset.split_dataset` (stratified, seeded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from remap.data.arrays import cap_dataset, check_cap
from remap.data.bundled import DIGITS_NAME, load_digits_dataset
from remap.data.cifar import load_cifar10
from remap.data.dataset import DataError, Dataset, Split, check_split, split_dataset
from remap.data.imagefolder import load_image_folder, looks_like_image_folder
from remap.data.mnist import IDX_PATTERN, load_mnist
from remap.data.npz import load_npz
from remap.data.quickdraw import load_quickdraw
from remap.data.synthetic import make_synthetic_split

Loader = Callable[..., "Dataset | Split"]

# format name → (loader, accepted options, one-line description)
_FORMATS: dict[str, tuple[Loader, frozenset[str], str]] = {
    "npz": (
        load_npz,
        frozenset({"channels_last"}),
        "an .npz file with arrays x (N,H,W | N,H,W,C | N,C,H,W) and y (N,), optional classes;"
        " or x_train/y_train/x_test/y_test",
    ),
    "quickdraw": (
        load_quickdraw,
        frozenset({"max_per_class"}),
        "a folder of Quick, Draw! <class>.npy bitmap files, each (N, 784) uint8",
    ),
    "cifar10": (
        load_cifar10,
        frozenset({"max_per_class"}),
        "a CIFAR-10 python folder: data_batch_1..5, test_batch, batches.meta",
    ),
    "mnist": (
        load_mnist,
        frozenset({"max_per_class"}),
        "a folder of MNIST IDX files: train-/t10k-images-idx3-ubyte, -labels-idx1-ubyte (.gz ok)",
    ),
    "images": (
        load_image_folder,
        frozenset({"size", "max_per_class"}),
        "a folder with one sub-folder of PNG/JPEG images per class (or train/ and test/ of those)",
    ),
}
_SYNTHETIC_OPTIONS = frozenset({"n_train", "n_test", "input_shape", "num_classes"})


def describe_sources() -> str:
    """Help text listing every accepted data source (for the CLI and error messages)."""
    lines = [
        f"  {DIGITS_NAME:<16} bundled offline set: scikit-learn digits upsampled to 1×28×28,"
        " 10 classes, 1,797 images",
        "  synthetic        generated learnable patterns (options n_train, n_test, input_shape,"
        " num_classes)",
    ]
    for name, (_, options, text) in _FORMATS.items():
        opts = f" (options: {', '.join(sorted(options))})" if options else ""
        lines.append(f"  {name + ':PATH':<16} {text}{opts}")
    lines.append(
        "  PATH             any of the above, detected from the file or folder contents;"
        " all sources accept max_per_class"
    )
    return "Data sources:\n" + "\n".join(lines)


def detect_format(path: Path) -> str:
    """The format name of a file or folder, or DataError saying what is supported."""
    if not path.exists():
        raise DataError(str(path), "no such file or folder\n" + describe_sources())
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return "npz"
        raise DataError(str(path), "unsupported file type\n" + describe_sources())
    if not path.is_dir():
        raise DataError(str(path), "is not a regular file or folder (a pipe, socket or device)")
    if (path / "data_batch_1").exists():
        return "cifar10"
    if any(path.glob(IDX_PATTERN)):
        return "mnist"
    if any(path.glob("*.npy")):
        return "quickdraw"
    if looks_like_image_folder(path):
        return "images"
    raise DataError(str(path), "no supported data found in this folder\n" + describe_sources())


def _parse(source: str) -> tuple[str, str]:
    """(format, path) from "format:path", or ("", source) without a known prefix."""
    head, sep, rest = source.partition(":")
    if sep and head.lower() in _FORMATS:
        return head.lower(), rest
    return "", source


def _check_options(fmt: str, options: dict[str, Any], accepted: frozenset[str]) -> None:
    unknown = sorted(set(options) - accepted - {"max_per_class"})
    if unknown:
        allowed = ", ".join(sorted(accepted | {"max_per_class"}))
        raise DataError(fmt, f"unknown option {', '.join(unknown)} (accepted: {allowed})")


def _cap_split(split: Split, max_per_class: int | None) -> Split:
    check_cap(max_per_class, split.name)
    if max_per_class is None:
        return split
    tr = cap_dataset(
        Dataset(split.name, split.classes, split.train_x, split.train_y), max_per_class
    )
    te = cap_dataset(Dataset(split.name, split.classes, split.test_x, split.test_y), max_per_class)
    return Split(split.name, split.classes, tr.x, tr.y, te.x, te.y)


def load_split(source: str, holdout: float = 0.2, seed: int = 0, **options: Any) -> Split:
    """Load ``source`` (see :func:`_load`) and check that it can train a classifier
    (:func:`remap.data.dataset.check_split`): two classes or more, samples in both parts."""
    try:
        split = _load(source, holdout, seed, **options)
    except MemoryError:
        raise DataError(source, "not enough memory to load this data set") from None
    return check_split(split, source.strip() or None)


def _load(source: str, holdout: float, seed: int, **options: Any) -> Split:
    """Load ``source`` ("digits", "synthetic", a path, or "format:path") as a Split. The
    names "digits" and "synthetic" win over a same-named folder (write "./digits" for that).

    ``options`` go to the format's loader (``max_per_class`` works everywhere; see
    :func:`describe_sources`). Any problem raises DataError naming the source."""
    source = source.strip()
    if not source:
        raise DataError("(empty)", "no data source given\n" + describe_sources())
    max_per_class = options.get("max_per_class")
    check_cap(max_per_class, source)
    if source.lower() == DIGITS_NAME:
        _check_options(DIGITS_NAME, options, frozenset())
        return split_dataset(cap_dataset(load_digits_dataset(), max_per_class), holdout, seed)
    if source.lower() == "synthetic":
        _check_options("synthetic", options, _SYNTHETIC_OPTIONS)
        kwargs = {k: v for k, v in options.items() if k != "max_per_class"}
        kwargs.setdefault("n_train", 2000)
        kwargs.setdefault("n_test", 500)
        return _cap_split(make_synthetic_split(seed=seed, **kwargs), max_per_class)
    fmt, raw_path = _parse(source)
    if not raw_path.strip():
        raise DataError(source, "no path after the format prefix")
    path = Path(raw_path.strip()).expanduser()
    if not fmt:
        fmt = detect_format(path)
    loader, accepted, _ = _FORMATS[fmt]
    _check_options(fmt, options, accepted)
    kwargs = {k: v for k, v in options.items() if k in accepted}
    loaded = loader(path, **kwargs)
    if isinstance(loaded, Split):
        return _cap_split(loaded, max_per_class)
    return split_dataset(cap_dataset(loaded, max_per_class), holdout, seed)
