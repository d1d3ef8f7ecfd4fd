"""The ``train`` layer: configuration, device choice, spec → torch module, data staging and
the training loop. Workers and the executor that run it out of process live in
:mod:`remap.jobs`.

Names are imported lazily (PEP 562) so that the torch-free parts (``config``, ``metrics``)
can be used — by the store, the CLI and the language server — without importing torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ConfigError": "config",
    "TrainConfig": "config",
    "DeviceError": "device",
    "choose_device": "device",
    "describe_device": "device",
    "EpochMetrics": "metrics",
    "TrainResult": "metrics",
    "build_module": "modules",
    "module_param_count": "modules",
    "clear_staging_cache": "staging",
    "stage_split": "staging",
    "TrainingCancelled": "trainer",
    "TrainingError": "trainer",
    "train_model": "trainer",
}

__all__ = [
    "ConfigError",
    "DeviceError",
    "EpochMetrics",
    "TrainConfig",
    "TrainResult",
    "TrainingCancelled",
    "TrainingError",
    "build_module",
    "choose_device",
    "clear_staging_cache",
    "describe_device",
    "module_param_count",
    "stage_split",
    "train_model",
]

if TYPE_CHECKING:
    from remap.train.config import ConfigError, TrainConfig
    from remap.train.device import DeviceError, choose_device, describe_device
    from remap.train.metrics import EpochMetrics, TrainResult
    from remap.train.modules import build_module, module_param_count
    from remap.train.staging import clear_staging_cache, stage_split
    from remap.train.trainer import TrainingCancelled, TrainingError, train_model


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'remap.train' has no attribute {name!r}")
    return getattr(importlib.import_module(f"remap.train.{module}"), name)
