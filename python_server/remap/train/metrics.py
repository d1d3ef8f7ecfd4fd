"""Training results: per-epoch metrics, the final result of a run (accuracy, per-class
accuracy, confusion matrix, held-out predictions) and the helpers that compute them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class EpochMetrics:
    """One finished epoch. ``train_*`` are running means over the epoch's batches (training
    mode, as Keras reports them); ``val_*`` are over the whole held-out set after the epoch;
    ``lr`` is the learning rate used during the epoch; ``epoch`` counts from 1."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpochMetrics:
        try:
            return cls(
                epoch=int(data["epoch"]),
                **{
                    f.name: float(data[f.name])
                    for f in dataclasses.fields(cls)
                    if f.name != "epoch"
                },
            )
        except KeyError as exc:
            raise ValueError(f"epoch metrics: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"epoch metrics: {exc}") from None


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A finished training run. The reported model is the last epoch's (Keras semantics, no
    best-weights restore): ``train_acc``, ``val_acc`` and ``val_loss`` are that epoch's.
    ``confusion[i, j]`` counts held-out samples of true class ``i`` predicted as ``j``;
    ``predictions`` are argmax classes of the held-out set in split order; ``per_class_acc``
    is 0.0 for a class without held-out samples. ``stopped_early`` is true when early
    stopping ended the run before ``epochs``. ``weights`` are the reported model's tensors
    under the exported keys (``remap.train.keys``); they are not part of ``to_dict``."""

    epochs: tuple[EpochMetrics, ...]
    train_acc: float
    val_acc: float
    val_loss: float
    per_class_acc: tuple[float, ...]
    confusion: npt.NDArray[np.int64]
    predictions: npt.NDArray[np.int16]
    params: int
    seconds: float
    device: str
    stopped_early: bool
    weights: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (arrays as nested lists)."""
        return {
            "epochs": [m.to_dict() for m in self.epochs],
            "train_acc": self.train_acc,
            "val_acc": self.val_acc,
            "val_loss": self.val_loss,
            "per_class_acc": list(self.per_class_acc),
            "confusion": self.confusion.tolist(),
            "predictions": self.predictions.tolist(),
            "params": self.params,
            "seconds": self.seconds,
            "device": self.device,
            "stopped_early": self.stopped_early,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainResult:
        try:
            return cls(
                epochs=tuple(EpochMetrics.from_dict(m) for m in data["epochs"]),
                train_acc=float(data["train_acc"]),
                val_acc=float(data["val_acc"]),
                val_loss=float(data["val_loss"]),
                per_class_acc=tuple(float(v) for v in data["per_class_acc"]),
                confusion=np.asarray(data["confusion"], dtype=np.int64),
                predictions=np.asarray(data["predictions"], dtype=np.int16),
                params=int(data["params"]),
                seconds=float(data["seconds"]),
                device=str(data["device"]),
                stopped_early=bool(data["stopped_early"]),
            )
        except KeyError as exc:
            raise ValueError(f"training result: missing field {exc.args[0]!r}") from None


def confusion_matrix(
    true: npt.NDArray[np.integer[Any]], predicted: npt.NDArray[np.integer[Any]], num_classes: int
) -> npt.NDArray[np.int64]:
    """K×K counts, rows are the true class."""
    flat = true.astype(np.int64) * num_classes + predicted.astype(np.int64)
    counts = np.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(confusion: npt.NDArray[np.int64]) -> tuple[float, ...]:
    """Recall of each class from a confusion matrix (0.0 where a class has no samples)."""
    totals = confusion.sum(axis=1)
    hits = np.diag(confusion)
    return tuple(float(h / t) if t > 0 else 0.0 for h, t in zip(hits, totals, strict=True))
