"""What a training run carries besides its data and config: weights to start from (a
parent's, for the layers a child inherits) and the per-epoch checkpoint state that lets a run
continue after its worker died.

A checkpoint holds the trained module's own state (the device-optimised module: its keys and
layouts are an internal matter, unlike the exported weights), the optimizer state, the epoch,
the shuffle generator and global RNG states, the early-stopping state and the metrics so far.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from remap.arch.spec import ArchSpec
from remap.train.keys import built_key_map
from remap.train.metrics import EpochMetrics
from remap.train.weights import WeightsError

CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Extras:
    """Optional inputs of one training run (see ``train_model``)."""

    init_weights: Mapping[str, torch.Tensor] | None = None
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None
    resume: Mapping[str, Any] | None = None


def load_partial(built: nn.Module, spec: ArchSpec, state: Mapping[str, torch.Tensor]) -> None:
    """Copy the given exported-key tensors into a freshly built module (the others keep
    their fresh initialisation); a key or shape that does not fit raises ``WeightsError``."""
    own = built.state_dict()
    by_export = {v: k for k, v in built_key_map(spec, own.keys()).items()}
    load: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        target = by_export.get(key)
        if target is None:
            raise WeightsError(f"inherited weights: the model has no tensor {key!r}")
        if tuple(own[target].shape) != tuple(tensor.shape):
            raise WeightsError(
                f"inherited weights: {key} has shape {tuple(tensor.shape)}, "
                f"the model expects {tuple(own[target].shape)}"
            )
        load[target] = tensor
    built.load_state_dict(load, strict=False)


def make_checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
    history: list[EpochMetrics],
    best: float,
    wait: int,
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "version": CHECKPOINT_VERSION,
        "epoch": history[-1].epoch,
        "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "shuffle": shuffle.get_state(),
        "rng": torch.get_rng_state(),
        "best": float(best),
        "wait": int(wait),
        "history": [m.to_dict() for m in history],
    }
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def restore_checkpoint(
    state: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    device: torch.device,
    history: list[EpochMetrics],
) -> tuple[int, float, int, float]:
    """Load ``state`` into the run; returns (next epoch, best loss, wait, seconds so far).
    Raises ``ValueError`` when the checkpoint does not fit the model."""
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint version {state.get('version')!r} is not supported")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    shuffle.set_state(state["shuffle"])
    torch.set_rng_state(state["rng"])
    if device.type == "cuda" and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"], device)
    history.extend(EpochMetrics.from_dict(m) for m in state["history"])
    return (
        int(state["epoch"]) + 1,
        float(state["best"]),
        int(state["wait"]),
        float(state.get("seconds", 0.0)),
    )
