"""Workspace settings (data set, device, workers, epochs, parameter budget, projection),
validated with errors that name the setting, persisted in the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from remap.service.errors import ServiceError

PROJECTIONS = ("umap", "mds")
EXECUTORS = ("local", "ray")
MAX_WORKERS_PER_GPU = 64
# Upper bounds: a value past these is a typo, and would otherwise fail deep inside training
# (numpy seeds are 32-bit; a process count or epoch count this large cannot be meant).
MAX_SEED = 2**32 - 1
MAX_WORKERS = 256
MAX_THREADS = 1024
MAX_EPOCHS = 100_000
MAX_PARAMS = 10**12


@dataclass(frozen=True)
class WorkspaceSettings:
    """``workers`` 0 means automatic: ``workers_per_gpu`` per GPU, one on a CPU-only machine.
    ``workers_per_gpu`` is a number or ``"auto"`` (from free GPU memory and model size);
    ``bf16`` allows bf16 autocast on CUDA; ``executor`` is ``local`` (worker processes) or
    ``ray`` (Ray tasks on a local instance, or on the cluster at ``ray_address``)."""

    dataset: str = "digits"
    holdout: float = 0.2
    data_seed: int = 0
    device: str = "auto"
    workers: int = 0
    epochs: int = 10
    max_params: int = 1_000_000
    projection: str = "umap"
    seed: int = 0
    threads: int | None = None
    gc_weights: str = "auto"  # auto: remove unneeded weights files after each run; off
    inherit_weights: bool = True  # children start from their parent's weights where they fit
    workers_per_gpu: int | str = 1
    bf16: bool = True
    executor: str = "local"
    ray_address: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def dataset_ref(self) -> dict[str, Any]:
        """What a job records about its data: enough for a worker to load the same split."""
        return {"source": self.dataset, "holdout": self.holdout, "seed": self.data_seed}

    def merged(self, changes: Mapping[str, Any]) -> WorkspaceSettings:
        """A copy with ``changes`` applied; unknown or ill-typed settings raise
        :class:`ServiceError` naming the setting. ``None`` values are ignored."""
        known = {f.name: f for f in dataclasses.fields(self)}
        values = self.to_dict()
        for key, value in changes.items():
            if value is None and key != "threads":
                continue
            if key not in known:
                raise ServiceError(f"unknown setting; known: {', '.join(known)}", key)
            values[key] = _check(key, value)
        return WorkspaceSettings(**values)


def _check(key: str, value: Any) -> Any:
    def integer(minimum: int, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ServiceError(f"expected an integer {minimum}…{maximum:,}, got {value!r}", key)
        return value

    if key in ("dataset", "device"):
        if not isinstance(value, str) or not value.strip():
            raise ServiceError(f"expected a non-empty string, got {value!r}", key)
        if (
            key == "device"
            and value not in ("auto", "cpu", "cuda", "mps")
            and not (value.startswith("cuda:") and value[5:].isdigit())
        ):
            raise ServiceError(f"expected auto, cpu, cuda, cuda:N or mps, got {value!r}", key)
        return value.strip()
    if key == "holdout":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ServiceError(f"expected a fraction between 0 and 1, got {value!r}", key)
        return float(value)
    if key == "projection":
        if value not in PROJECTIONS:
            raise ServiceError(f"expected one of {', '.join(PROJECTIONS)}, got {value!r}", key)
        return value
    if key == "gc_weights":
        if value not in ("auto", "off"):
            raise ServiceError(f"expected auto or off, got {value!r}", key)
        return value
    if key in ("inherit_weights", "bf16"):
        if not isinstance(value, bool):
            raise ServiceError(f"expected true or false, got {value!r}", key)
        return value
    if key == "workers_per_gpu":
        return workers_per_gpu_value(value)
    if key == "executor":
        if value not in EXECUTORS:
            raise ServiceError(f"expected one of {', '.join(EXECUTORS)}, got {value!r}", key)
        return value
    if key == "ray_address":
        if not isinstance(value, str):
            raise ServiceError(
                f"expected auto, host:port, ray://host:port or '', got {value!r}", key
            )
        return value.strip()
    if key == "threads":
        return None if value is None else integer(1, MAX_THREADS)
    if key == "workers":
        return integer(0, MAX_WORKERS)
    if key in ("data_seed", "seed"):
        return integer(0, MAX_SEED)
    if key == "epochs":
        return integer(1, MAX_EPOCHS)
    if key == "max_params":
        return integer(1, MAX_PARAMS)
    raise ServiceError("unknown setting", key)  # pragma: no cover


def workers_per_gpu_value(value: Any, key: str = "workers_per_gpu") -> int | str:
    """``"auto"`` or a whole number 1…64 (``"4"`` from a text field counts as 4)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        if text.isdigit():
            value = int(text)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_WORKERS_PER_GPU
    ):
        raise ServiceError(
            f"expected auto or an integer 1…{MAX_WORKERS_PER_GPU}, got {value!r}", key
        )
    return value
