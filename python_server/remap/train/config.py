"""Training configuration: the original REMAP protocol as defaults (Adam lr 1e-3, lr ×0.75 per
epoch, batch 256, at most 10 epochs, early stopping on the held-out loss with min_delta 0.005
and patience 3), with validation whose errors name the offending field."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class ConfigError(ValueError):
    """A training setting is invalid; ``field`` names it and ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"training config field {field!r}: {reason}")


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained. ``device`` is ``auto`` (CUDA, then MPS, then CPU), ``cpu``,
    ``cuda``, ``cuda:N`` or ``mps``; ``threads`` sets torch's intra-op threads on the CPU for
    the duration of a training run (``None`` leaves the process setting alone); ``bf16``
    allows bf16 autocast on CUDA GPUs that support it (the CPU always trains in fp32)."""

    epochs: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    lr_decay: float = 0.75
    early_stopping: bool = True
    patience: int = 3
    min_delta: float = 0.005
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    bf16: bool = True

    def __post_init__(self) -> None:
        _check_int("epochs", self.epochs, minimum=1)
        _check_int("batch_size", self.batch_size, minimum=1)
        _check_float("lr", self.lr, minimum=0.0)
        _check_float("lr_decay", self.lr_decay, minimum=0.0)
        if self.lr_decay == 0.0:
            raise ConfigError("lr_decay", "must be greater than 0 (1 keeps the rate constant)")
        if not isinstance(self.early_stopping, bool):
            raise ConfigError(
                "early_stopping", f"expected true or false, got {self.early_stopping!r}"
            )
        _check_int("patience", self.patience, minimum=0)
        _check_float("min_delta", self.min_delta, minimum=0.0)
        for name in ("lr", "lr_decay", "min_delta"):
            object.__setattr__(self, name, float(getattr(self, name)))
        _check_int("seed", self.seed, minimum=0)
        if not isinstance(self.device, str) or not _DEVICE_RE.match(self.device):
            raise ConfigError(
                "device", f"expected auto, cpu, cuda, cuda:N or mps, got {self.device!r}"
            )
        if self.threads is not None:
            _check_int("threads", self.threads, minimum=1)
        if not isinstance(self.bf16, bool):
            raise ConfigError("bf16", f"expected true or false, got {self.bf16!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> TrainConfig:
        """Build from a JSON-like mapping; missing fields take their defaults, unknown or
        ill-typed ones raise :class:`ConfigError` naming the field."""
        if not isinstance(data, Mapping):
            raise ConfigError("", f"expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(str(key), "unknown training setting")
        return cls(**{str(k): v for k, v in data.items()})

    def replace(self, **changes: Any) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(self)}
        for key in changes:
            if key not in known:
                raise ConfigError(key, "unknown training setting")
        return dataclasses.replace(self, **changes)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"expected an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")


def _check_float(name: str, value: Any, minimum: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(name, f"must be finite, got {value!r}")
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum:g}, got {value!r}")
