"""Where training workers go: how many per GPU (``workers_per_gpu``, a number or ``auto``),
how many in all, and which GPU each one uses.

Several small models train faster side by side on one GPU than one after another: a
REMAP-sized CNN leaves most of a modern GPU idle (kernel launches, not arithmetic, bound
it), so N worker processes on one GPU overlap their launches. ``auto`` picks N from the
GPU's free memory and an estimate of one worker's footprint (:func:`estimate_worker_bytes`),
capped by the CPU cores (each worker process needs one to launch kernels) and by
:data:`AUTO_MAX_PER_GPU`. The decisions are pure functions of their inputs so that they are
tested with simulated GPUs; :func:`cuda_device_count` and :func:`cuda_memory` are the only
places that ask the hardware. GPU indices are those torch sees, so ``CUDA_VISIBLE_DEVICES``
is respected (``cuda:0`` is the first visible GPU, also in each worker, which inherits the
environment).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from remap.arch.spec import ArchSpec

AUTO_MAX_PER_GPU = 8  # beyond this, processes on one GPU only time-slice (measured by gpu_check)
CONTEXT_BYTES = 768 * 2**20  # CUDA context, cuDNN/cuBLAS workspaces, allocator slack
EVAL_BYTES = 512 * 2**20  # the trainer's evaluation batches (128M activation elements, fp32)
MEMORY_FRACTION = 0.85  # of the free memory; the rest is headroom for fragmentation
TRAIN_BATCH = 256


def cuda_device_count() -> int:
    """CUDA GPUs visible to this process (``CUDA_VISIBLE_DEVICES`` applies); 0 without."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def cuda_memory(index: int = 0) -> tuple[int, int]:
    """(free, total) bytes of visible GPU ``index`` (``torch.cuda.mem_get_info``)."""
    import torch

    free, total = torch.cuda.mem_get_info(index)
    return int(free), int(total)


def uses_cuda(device: str) -> bool:
    """Whether the ``device`` setting names CUDA explicitly (``cuda`` or ``cuda:N``)."""
    dev = device.strip().lower()
    return dev == "cuda" or dev.startswith("cuda:")


def gpus_used(device: str, gpu_count: int) -> int:
    """How many GPUs the workers spread over: every visible one for ``auto``/``cuda``, one
    for ``cuda:N``, none for ``cpu``/``mps`` (or when none is visible)."""
    dev = device.strip().lower()
    if dev.startswith("cuda:"):
        return min(1, gpu_count)
    if dev in ("auto", "cuda"):
        return gpu_count
    return 0


def default_worker_count(
    device: str = "auto",
    cpu_workers: int = 1,
    workers_per_gpu: int = 1,
    gpu_count: int | None = None,
) -> int:
    """``workers_per_gpu`` × the GPUs used (see :func:`gpus_used`); one for ``mps``;
    ``cpu_workers`` on the CPU. ``gpu_count`` defaults to the visible CUDA GPUs."""
    gpus = cuda_device_count() if gpu_count is None else gpu_count
    dev = device.strip().lower()
    used = gpus_used(dev, gpus)
    if used > 0:
        return used * max(1, workers_per_gpu)
    if dev == "mps":
        return 1
    if uses_cuda(dev):
        return max(1, workers_per_gpu)  # the worker reports that CUDA is unavailable
    return max(1, cpu_workers)


def worker_devices(device: str, workers: int, gpu_count: int | None = None) -> list[str | None]:
    """The ``--device`` of each worker: with ``auto``/``cuda`` and visible GPUs, worker i
    trains on ``cuda:{i mod gpus}`` (round-robin, so workers_per_gpu × gpus workers put
    workers_per_gpu on each); otherwise the device as given (``None`` leaves each job's
    own setting)."""
    dev = device.strip().lower()
    if dev in ("auto", "cuda"):
        gpus = cuda_device_count() if gpu_count is None else gpu_count
        if gpus >= 1:
            return [f"cuda:{i % gpus}" for i in range(workers)]
        return [None if dev == "auto" else "cuda"] * workers
    return [dev] * workers


def estimate_worker_bytes(
    specs: Iterable[ArchSpec], data_bytes: int, batch_size: int = TRAIN_BATCH
) -> int:
    """GPU memory one worker needs for the largest of ``specs``: CUDA context, the staged
    data set, weights + gradients + Adam state (4 × fp32 per parameter), the activations of
    one training batch kept for the backward pass (× 2 for their gradients) and the
    evaluation batches."""
    from remap.arch.shapes import analyse

    largest = 0
    for spec in specs:
        report = analyse(spec)
        params = sum(info.params for info in report.layers)
        activations = math.prod(spec.input_shape) + sum(info.output.size for info in report.layers)
        need = 16 * params + 2 * 4 * batch_size * activations
        largest = max(largest, need)
    return CONTEXT_BYTES + EVAL_BYTES + max(0, data_bytes) + largest


def auto_workers_per_gpu(
    free_bytes: int,
    worker_bytes: int,
    cpu_cores: int,
    gpus: int,
    cap: int = AUTO_MAX_PER_GPU,
) -> int:
    """Workers per GPU for ``auto``: as many as fit into ``MEMORY_FRACTION`` of the free
    memory of the fullest GPU, at most one per CPU core over all GPUs, at most ``cap``,
    at least 1."""
    fit = int(free_bytes * MEMORY_FRACTION) // max(1, worker_bytes)
    per_core = max(1, cpu_cores) // max(1, gpus)
    return max(1, min(fit, per_core, cap))


@dataclass(frozen=True)
class GpuPlan:
    """The resolved placement: workers per GPU, the GPUs used and why."""

    workers_per_gpu: int
    gpus: int
    reason: str


def plan_workers_per_gpu(
    setting: int | str,
    device: str,
    specs: Sequence[ArchSpec] = (),
    data_bytes: int = 0,
    gpu_count: int | None = None,
    free_bytes: int | None = None,
    cpu_cores: int | None = None,
) -> GpuPlan:
    """Resolve the ``workers_per_gpu`` setting. A number is taken as it is; ``auto`` asks
    :func:`auto_workers_per_gpu` with the free memory of the fullest GPU used (or 1 when no
    GPU is used). The hardware is asked only for what is not passed in."""
    gpus = gpus_used(device, cuda_device_count() if gpu_count is None else gpu_count)
    if setting != "auto":
        return GpuPlan(int(setting), gpus, "workers_per_gpu setting")
    if gpus == 0:
        return GpuPlan(1, 0, "no GPU used")
    if free_bytes is None:
        dev = device.strip().lower()
        indices = [int(dev[5:])] if dev.startswith("cuda:") else list(range(gpus))
        free_bytes = min(cuda_memory(i)[0] for i in indices)
    cores = (os.cpu_count() or 1) if cpu_cores is None else cpu_cores
    need = estimate_worker_bytes(specs, data_bytes)
    n = auto_workers_per_gpu(free_bytes, need, cores, gpus)
    return GpuPlan(
        n,
        gpus,
        f"auto: {free_bytes / 2**30:.1f} GiB free, ~{need / 2**30:.2f} GiB per worker, "
        f"{cores} CPU cores for {gpus} GPU(s)",
    )
