"""Build a freshly initialised ``torch.nn.Module`` from an :class:`ArchSpec`.

The result is an ``nn.Sequential`` with exactly one entry per spec layer, so ``module[i]`` is
spec layer ``i`` (ablations and exports rely on this). Entries are plain torch modules; where
the spec's shape semantics (``remap.arch.shapes``) need an implicit reshape the entry is a
small ``nn.Sequential``: a Dense on an image is ``Flatten → Linear``; a conv or pool on a
vector is ``ToImage → Conv2d/Pool``. Parameters are PyTorch's default initialisation drawn
from torch's global generator, so callers seed with ``torch.manual_seed`` first.
"""

from __future__ import annotations

import torch
from torch import nn

from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    MaxPool,
)
from remap.arch.shapes import LayerInfo, validate
from remap.arch.spec import ArchSpec


class ToImage(nn.Module):
    """Reshape a batch of vectors of ``side²`` features into 1-channel ``side×side`` images."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], 1, self.side, self.side)

    def extra_repr(self) -> str:
        return f"side={self.side}"


def _activation(function: str) -> nn.Module:
    if function == "relu":
        return nn.ReLU()
    if function == "tanh":
        return nn.Tanh()
    if function == "sigmoid":
        return nn.Sigmoid()
    if function == "gelu":
        return nn.GELU()
    if function == "leaky_relu":
        return nn.LeakyReLU()
    raise ValueError(f"unknown activation {function!r}")  # pragma: no cover - vocabulary bug


def _layer_module(info: LayerInfo) -> nn.Module:
    layer = info.layer
    module: nn.Module
    if isinstance(layer, Conv2D):
        pad = layer.kernel_size // 2 if layer.padding == "same" else 0
        module = nn.Conv2d(
            info.input.dims[0], layer.filters, layer.kernel_size, stride=layer.stride, padding=pad
        )
    elif isinstance(layer, MaxPool):
        pad = layer.size // 2 if layer.padding == "same" else 0
        module = nn.MaxPool2d(layer.size, stride=layer.stride, padding=pad)
    elif isinstance(layer, AvgPool):
        pad = layer.size // 2 if layer.padding == "same" else 0
        module = nn.AvgPool2d(layer.size, stride=layer.stride, padding=pad, count_include_pad=False)
    elif isinstance(layer, Dense):
        linear = nn.Linear(info.input.size, layer.units)
        return nn.Sequential(nn.Flatten(), linear) if info.input.is_image else linear
    elif isinstance(layer, Activation):
        return _activation(layer.function)
    elif isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    elif isinstance(layer, BatchNorm):
        channels = info.input.dims[0]
        return nn.BatchNorm2d(channels) if info.input.is_image else nn.BatchNorm1d(channels)
    elif isinstance(layer, GlobalAvgPool):
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    elif isinstance(layer, Flatten):
        return nn.Flatten()
    else:  # pragma: no cover - vocabulary bug
        raise ValueError(f"layer {info.index}: no module for {layer!r}")
    if info.reshaped:
        return nn.Sequential(ToImage(info.input.dims[1]), module)
    return module


def build_module(spec: ArchSpec) -> nn.Sequential:
    """A new module for ``spec`` (validated first: an impossible spec raises ``ArchError``).
    Its trainable parameter count equals ``remap.arch.shapes.param_count(spec)``."""
    report = validate(spec, max_params=None)
    return nn.Sequential(*(_layer_module(info) for info in report.layers))


def module_param_count(module: nn.Module) -> int:
    """Trainable parameters of a built module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
