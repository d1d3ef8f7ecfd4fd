"""The in-memory data set types every loader returns, and the deterministic split.

Images are float32 arrays shaped (N, channels, height, width) scaled to [0, 1]; labels are
int64 class indices into ``classes``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
LabelArray = npt.NDArray[np.int64]


class DataError(ValueError):
    """A data set cannot be loaded; the message names the file (or source) and the problem."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


@dataclass(frozen=True, eq=False)
class Dataset:
    """All samples of a data set before splitting."""

    name: str
    classes: tuple[str, ...]
    x: FloatArray
    y: LabelArray

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = self.x.shape[1:]
        return (int(c), int(h), int(w))


@dataclass(frozen=True, eq=False)
class Split:
    """A training set and a held-out set (used for validation, early stopping and the
    prediction map)."""

    name: str
    classes: tuple[str, ...]
    train_x: FloatArray
    train_y: LabelArray
    test_x: FloatArray
    test_y: LabelArray

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train_x.shape[1:]
        return (int(c), int(h), int(w))

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying the exact held-out labels and sizes: predictions of two
        runs are comparable only when their fingerprints are equal."""
        h = hashlib.sha256()
        h.update(self.name.encode())
        h.update(repr((self.classes, self.train_x.shape, self.test_x.shape)).encode())
        h.update(np.ascontiguousarray(self.test_y).tobytes())
        h.update(np.ascontiguousarray(self.train_y).tobytes())
        return h.hexdigest()[:16]


def check_split(split: Split, source: str | None = None) -> Split:
    """``split`` if it can train and evaluate a classifier, else DataError saying why: at
    least two classes, at least one training and one held-out sample, images of one shape,
    one label per image, every label a class index. Errors name ``source`` (else the
    split's name)."""
    name = source or split.name
    if split.num_classes < 2:
        found = f"only the class {split.classes[0]!r}" if split.classes else "no classes"
        raise DataError(name, f"{found}; a classifier needs at least two classes")
    for part, x, y in (
        ("training", split.train_x, split.train_y),
        ("held-out", split.test_x, split.test_y),
    ):
        if len(x) == 0:
            raise DataError(
                name, f"no {part} samples (add samples, or change the held-out fraction)"
            )
        if len(x) != len(y):
            raise DataError(name, f"{len(x)} {part} images but {len(y)} labels")
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= split.num_classes):
            raise DataError(name, f"a {part} label is not one of the {split.num_classes} classes")
    if split.train_x.ndim != 4 or split.train_x.shape[1:] != split.test_x.shape[1:]:
        raise DataError(
            name,
            f"training images {split.train_x.shape[1:]} and held-out images "
            f"{split.test_x.shape[1:]} differ",
        )
    return split


def split_dataset(dataset: Dataset, holdout: float = 0.2, seed: int = 0) -> Split:
    """Stratified, seeded split: the same data, fraction and seed always give the same split.
    Every class keeps at least one training and one held-out sample where it has two."""
    if not 0.0 < holdout < 1.0:
        raise DataError(dataset.name, f"held-out fraction must be between 0 and 1, got {holdout}")
    rng = np.random.default_rng(seed)
    test_idx: list[npt.NDArray[np.intp]] = []
    train_idx: list[npt.NDArray[np.intp]] = []
    for label in range(len(dataset.classes)):
        members = np.flatnonzero(dataset.y == label)
        members = members[rng.permutation(len(members))]
        n_test = round(len(members) * holdout)
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    train = np.sort(np.concatenate(train_idx))
    test = np.sort(np.concatenate(test_idx))
    return Split(
        dataset.name,
        dataset.classes,
        dataset.x[train],
        dataset.y[train],
        dataset.x[test],
        dataset.y[test],
    )
