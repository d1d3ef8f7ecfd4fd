"""The Ray task that trains one job (runs in a Ray worker process, on any node).

It never touches the store: the driver (:mod:`remap.jobs.ray_executor`) claimed the job and
will record what comes back. The task reports ``("started", worker_id, pid, node)`` and then
``("epoch", worker_id, metrics)`` after every epoch through a ``ray.util.queue.Queue`` so the
driver can stream them into the store live, and returns a
:class:`~remap.jobs.train_job.JobOutcome` whose result carries the trained weights (the
driver writes the weights file beside the store). The split arrives through Ray's object store (put
there once per session by the driver) and is staged on the task's device once per worker
process by :mod:`remap.train.staging`.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from remap.arch.spec import ArchSpec
from remap.data.dataset import Split
from remap.jobs.train_job import JobOutcome, train_one_job
from remap.train.config import TrainConfig
from remap.train.metrics import EpochMetrics


def node_name() -> str:
    """This node's address as Ray knows it (its IP), else the host name."""
    try:
        import ray

        return str(ray.util.get_node_ip_address())
    except Exception:  # not inside Ray (tests call the task function directly)
        return socket.gethostname()


def run_job_task(
    worker_id: str,
    spec_json: str,
    split: Split,
    config: dict[str, Any],
    messages: Any,
    plan: dict[str, Any] | None = None,
) -> JobOutcome:
    """Train one job and report through ``messages`` (anything with ``put``). ``plan``
    holds the driver's :class:`~remap.jobs.onejob.JobPlan` fields besides spec, split and
    config (``job_id``, ``resume``, ``init_weights``, ``inherited``, ``meta``); no checkpoint
    is written here (the task may run on another machine than the store)."""
    from remap.jobs.onejob import JobPlan

    messages.put(("started", worker_id, os.getpid(), node_name()))

    def on_epoch(metrics: EpochMetrics) -> None:
        messages.put(("epoch", worker_id, metrics.to_dict()))

    parts = dict(plan or {})
    job_plan = JobPlan(
        job_id=int(parts.pop("job_id", 0)),
        spec=ArchSpec.from_json(spec_json),
        split=split,
        config=TrainConfig.from_dict(config),
        checkpoint_path=None,
        **parts,
    )
    return train_one_job(job_plan, on_epoch=on_epoch)
