"""Array conversions shared by the loaders: any image array to float32 (N, C, H, W) in [0, 1],
any label array to int64 class indices with class names, and the per-class sample cap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from remap.data.dataset import DataError, Dataset, FloatArray, LabelArray

_CHANNEL_COUNTS = (1, 2, 3, 4)


def _channels_last(shape: tuple[int, ...]) -> bool:
    """Whether a 4-D image array is laid out (N, H, W, C) rather than (N, C, H, W)."""
    first_small = shape[1] in _CHANNEL_COUNTS
    last_small = shape[3] in _CHANNEL_COUNTS
    if first_small != last_small:
        return last_small
    # Both (or neither) could be channels: images are usually square, so pick the layout
    # whose spatial dimensions are equal, and channels-last (the numpy habit) otherwise.
    return not (shape[2] == shape[3] and shape[1] != shape[2])


def to_images(
    x: npt.NDArray[np.generic], source: str, channels_last: bool | None = None
) -> FloatArray:
    """(N, H, W), (N, H, W, C) or (N, C, H, W) numbers → float32 (N, C, H, W) in [0, 1].

    Unsigned bytes are divided by 255; other data already in [0, 1] is kept; other
    non-negative data up to 255 is divided by 255; anything else is rescaled by its global
    min and max."""
    if x.dtype == np.bool_:
        x = x.astype(np.uint8)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(source, f"images must be numbers, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[:, None, :, :]
    elif x.ndim == 4:
        last = _channels_last(x.shape) if channels_last is None else channels_last
        if last:
            x = np.transpose(x, (0, 3, 1, 2))
    else:
        raise DataError(
            source,
            f"images must have shape (N, H, W), (N, H, W, C) or (N, C, H, W), got {x.shape}",
        )
    if min(x.shape) == 0:
        raise DataError(source, f"no images (array shape {x.shape})")
    if x.dtype == np.uint8:
        out = x.astype(np.float32) / np.float32(255.0)
    else:
        out = x.astype(np.float32)
        if not np.isfinite(out).all():
            raise DataError(source, "images contain NaN or infinite values")
        lo, hi = float(out.min()), float(out.max())
        if lo >= 0.0 and hi <= 1.0:  # floats in [0, 1], or 0/1 integer masks
            pass
        elif lo >= 0.0 and hi <= 255.0:
            out /= np.float32(255.0)
        elif hi > lo:
            out = (out - np.float32(lo)) / np.float32(hi - lo)
        else:
            out = np.zeros_like(out)
    return np.ascontiguousarray(out, dtype=np.float32)


def to_labels(
    y: npt.NDArray[np.generic], source: str, classes: Sequence[str] | None = None
) -> tuple[LabelArray, tuple[str, ...]]:
    """Labels (integers, integral floats, strings, or one-hot rows) → (indices, class names).

    With ``classes`` the labels must already be indices into it. Without, integer labels
    0..K-1 keep their order and are named "0".."K-1"; other label values are sorted and
    renumbered, named by their value."""
    if y.ndim == 2 and y.shape[1] > 1 and np.issubdtype(y.dtype, np.number):
        if not np.isin(y, (0, 1)).all() or not (y.sum(axis=1) == 1).all():
            raise DataError(source, f"2-D labels {y.shape} are not one-hot rows")
        y = np.argmax(y, axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(source, f"labels must be a 1-D array, got shape {y.shape}")
    if y.dtype.kind in "US":
        if classes is not None:
            raise DataError(source, "labels are strings, so a separate class list is not used")
        names = np.unique(y)
        idx = np.searchsorted(names, y)
        decoded = [n.decode() if isinstance(n, bytes) else str(n) for n in names.tolist()]
        return idx.astype(np.int64), tuple(decoded)
    if np.issubdtype(y.dtype, np.floating):
        yf = y.astype(np.float64)
        if not np.isfinite(yf).all() or not (yf == np.round(yf)).all():
            raise DataError(source, "labels must be whole numbers")
        y = y.astype(np.int64)
    elif not np.issubdtype(y.dtype, np.integer) and y.dtype != np.bool_:
        raise DataError(source, f"labels must be integers or strings, got dtype {y.dtype}")
    labels = y.astype(np.int64)
    if classes is not None:
        bad = labels[(labels < 0) | (labels >= len(classes))]
        if bad.size:
            raise DataError(
                source, f"label {int(bad[0])} is outside the {len(classes)} classes given"
            )
        return labels, tuple(classes)
    values = np.unique(labels)
    if values.size and values[0] == 0 and values[-1] == values.size - 1:
        return labels, tuple(str(v) for v in range(values.size))
    return np.searchsorted(values, labels).astype(np.int64), tuple(str(v) for v in values)


def check_lengths(x: FloatArray, y: LabelArray, source: str) -> None:
    if len(x) != len(y):
        raise DataError(source, f"labels length {len(y)} does not match {len(x)} images")


def cap_indices(y: LabelArray, num_classes: int, max_per_class: int | None) -> npt.NDArray[np.intp]:
    """Indices keeping the first ``max_per_class`` samples of every class (all when None)."""
    if max_per_class is None:
        return np.arange(len(y))
    keep = [np.flatnonzero(y == c)[:max_per_class] for c in range(num_classes)]
    return np.sort(np.concatenate(keep)) if keep else np.arange(0)


def check_cap(max_per_class: int | None, source: str) -> None:
    if max_per_class is not None and (
        isinstance(max_per_class, bool) or not isinstance(max_per_class, int) or max_per_class < 1
    ):
        raise DataError(source, f"max_per_class must be a positive integer, got {max_per_class!r}")


def cap_dataset(dataset: Dataset, max_per_class: int | None) -> Dataset:
    """The data set with at most ``max_per_class`` samples of each class (the first ones)."""
    check_cap(max_per_class, dataset.name)
    if max_per_class is None:
        return dataset
    idx = cap_indices(dataset.y, len(dataset.classes), max_per_class)
    return Dataset(dataset.name, dataset.classes, dataset.x[idx], dataset.y[idx])
