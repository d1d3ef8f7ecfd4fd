"""Mixed precision for one training run: bf16 autocast on CUDA GPUs that support it, full
precision everywhere else (the CPU always trains in fp32 so that CPU results stay exact and
reproducible). :func:`choose_precision` is the decision (a pure function, tested with fake
capabilities); :func:`autocast` is the context the trainer wraps its forward passes and
losses in.

Why bf16 and not fp16: bf16 has fp32's exponent range, so no loss scaling is needed and the
optimizer step, the loss sums and the metrics stay in fp32 (autocast only lowers the matmuls
and convolutions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    """``dtype`` is the autocast dtype, or None for full precision; ``reason`` says why."""

    dtype: torch.dtype | None
    reason: str

    @property
    def name(self) -> str:
        return "fp32" if self.dtype is None else "bf16"


def choose_precision(device_type: str, bf16: bool, bf16_supported: bool) -> Precision:
    """bf16 autocast only when asked for (``bf16``), on CUDA, and supported by the GPU."""
    if not bf16:
        return Precision(None, "bf16 is off in the settings")
    if device_type != "cuda":
        return Precision(None, f"{device_type} trains in fp32")
    if not bf16_supported:
        return Precision(None, "this GPU has no bf16 support")
    return Precision(torch.bfloat16, "bf16 autocast on CUDA")


def precision_for(device: torch.device, bf16: bool) -> Precision:
    """:func:`choose_precision` with this machine's capabilities."""
    supported = False
    if device.type == "cuda" and bf16:
        supported = bool(torch.cuda.is_bf16_supported())
    return choose_precision(device.type, bf16, supported)


@contextlib.contextmanager
def autocast(device: torch.device, precision: Precision) -> Iterator[None]:
    """The autocast region for forward passes and losses (a no-op in full precision)."""
    if precision.dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=precision.dtype):
        yield
