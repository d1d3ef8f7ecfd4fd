"""What the prediction maps measure, per finished run: its held-out predictions (read from
the store once per process: a finished run never changes) and the per-class accuracies
derived from them, and the two prediction metrics over run ids in the form the landmark
tables take (``map_landmarks.Metric``), so a large prediction map is laid out and extended
from landmarks like the architecture map."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from remap.service.map_landmarks import Metric
from remap.service.workspace import Workspace

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
PAIR_ELEMENTS = 4_000_000  # vector elements compared per slice of paired distances

_predictions: dict[tuple[str, int], npt.NDArray[np.int16]] = {}


def _stored_predictions(ws: Workspace, run_ids: Sequence[int]) -> list[npt.NDArray[np.int16]]:
    path = str(ws.store.path)
    missing = [i for i in run_ids if (path, i) not in _predictions]
    if missing:
        for i, p in ws.store.run_predictions(missing).items():
            _predictions[(path, i)] = p
    return [_predictions[(path, i)] for i in run_ids]


def predictions_of(ws: Workspace, run_ids: Sequence[int]) -> I64:
    """len(run_ids) × held-out samples: each run's predicted labels."""
    return np.stack([p.astype(np.int64) for p in _stored_predictions(ws, run_ids)])


def accuracies_of(ws: Workspace) -> Callable[[Sequence[int]], F64]:
    """A function from run ids to their per-class held-out accuracies (runs × classes)."""
    truth = np.asarray(ws.split().test_y, dtype=np.int64)
    classes = ws.num_classes()
    counts = np.maximum(np.bincount(truth, minlength=classes), 1)

    def accuracies(run_ids: Sequence[int]) -> F64:
        hits = predictions_of(ws, run_ids) == truth[None, :]
        per_class = [np.bincount(truth, weights=row, minlength=classes) for row in hits]
        out: F64 = np.stack(per_class) / counts
        return out

    return accuracies


class _Vectors:
    """Distances between points that are vectors (one row each): ``block`` gives a rows ×
    cols matrix, ``elementwise`` the distances of paired rows."""

    def __init__(
        self,
        vectors: npt.NDArray[np.generic],
        block: Callable[[npt.NDArray[np.generic], npt.NDArray[np.generic]], F64],
        elementwise: Callable[[npt.NDArray[np.generic], npt.NDArray[np.generic]], F64],
    ) -> None:
        self.vectors = vectors
        self.block = block
        self.elementwise = elementwise

    def rows(self, rows: Sequence[int], cols: Sequence[int] | None = None) -> F64:
        right = self.vectors if cols is None else self.vectors[np.asarray(cols, np.int64)]
        return self.block(self.vectors[np.asarray(rows, np.int64)], right)

    def pairs(self, ia: I64, ib: I64) -> F64:
        # in slices: a few thousand pairs of long prediction vectors would take GBs at once
        step = max(1, PAIR_ELEMENTS // max(1, self.vectors.shape[1]))
        out = np.empty(len(ia))
        for lo in range(0, len(ia), step):
            a, b = ia[lo : lo + step], ib[lo : lo + step]
            out[lo : lo + step] = self.elementwise(self.vectors[a], self.vectors[b])
        return out


def _differ(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> F64:
    out: F64 = (a != b).mean(axis=1)
    return out


def _gap(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> F64:
    out: F64 = np.abs(a.astype(np.float64) - b.astype(np.float64)).mean(axis=1)
    return out


def disagreement_metric(ws: Workspace, fingerprint: str) -> Metric:
    """The prediction map's default metric between run ids: the fraction of held-out samples
    two runs label differently."""
    from remap.analysis.prediction import disagreement_pairs

    def prepare(run_ids: Sequence[int]) -> _Vectors:
        labels = np.stack(_stored_predictions(ws, run_ids))  # int16: half the memory
        return _Vectors(labels, disagreement_pairs, _differ)

    return Metric("disagreement", fingerprint, prepare)


def per_class_metric(ws: Workspace, fingerprint: str) -> Metric:
    """The mean gap between two runs' per-class held-out accuracies."""
    from remap.analysis.prediction import per_class_accuracy_pairs

    accuracies = accuracies_of(ws)

    def prepare(run_ids: Sequence[int]) -> _Vectors:
        return _Vectors(accuracies(run_ids), per_class_accuracy_pairs, _gap)

    return Metric("per_class", fingerprint, prepare)
