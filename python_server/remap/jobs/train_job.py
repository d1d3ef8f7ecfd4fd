"""Train one job, wherever it runs: the part of a worker that needs neither the store nor a
process of its own, so that the local worker and a Ray task share it.

:func:`train_one_job` takes a job's plan (:mod:`remap.jobs.onejob`) and returns a
:class:`JobOutcome` (done with its :class:`~remap.train.metrics.TrainResult`, failed with a
one-line message, or cancelled); per-epoch metrics go to ``on_epoch`` as they are made.
:func:`load_job_split` turns a job's data set description into the split.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remap.arch.errors import ArchError
from remap.data.dataset import Split
from remap.train.metrics import EpochMetrics, TrainResult

if TYPE_CHECKING:
    from remap.jobs.onejob import JobPlan

log = logging.getLogger("remap.jobs")


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (the form a failed job records)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_job_split(dataset: Mapping[str, Any]) -> Split:
    """The split a job's ``dataset`` description (``{"source", "holdout", "seed", …}``)
    names; further keys are options of the data set's loader."""
    from remap.data.registry import load_split

    options = dict(dataset)
    source = str(options.pop("source"))
    holdout = float(options.pop("holdout", 0.2))
    seed = int(options.pop("seed", 0))
    return load_split(source, holdout, seed, **options)


@dataclass(frozen=True)
class JobOutcome:
    """``state`` is ``done`` (with ``result``), ``failed`` (with ``error``) or
    ``cancelled``."""

    state: str
    result: TrainResult | None = None
    error: str | None = None


def train_one_job(
    plan: JobPlan,
    *,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> JobOutcome:
    """Train a planned job (:func:`remap.jobs.onejob.plan_job`: spec, split, config,
    inherited weights, a checkpoint to resume). Any failure (a bad spec, incompatible data,
    an unusable device, out of memory, a callback that raised) is a ``failed`` outcome with
    a one-line message; ``should_stop()`` returning True is a ``cancelled`` one.
    ``BaseException``s that are not ``Exception``s (interrupts, exits) propagate. The
    result carries the trained weights (``result.weights``) for the driver to save."""
    from remap.jobs.onejob import train_planned
    from remap.train.trainer import TrainingCancelled, TrainingError

    try:
        result = train_planned(plan, on_epoch=on_epoch, should_stop=should_stop)
    except TrainingCancelled:
        return JobOutcome("cancelled")
    except Exception as exc:
        expected = isinstance(exc, (ArchError, ValueError, TrainingError))
        log.error("training failed: %s", one_line(exc), exc_info=not expected)
        gc.collect()
        return JobOutcome("failed", error=one_line(exc))
    return JobOutcome("done", result=result)
