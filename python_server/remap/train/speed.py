"""Device-specific speed-ups applied by the trainer to its private copy of a built module;
the mathematics stays the same (same layers, same initialisation, same work per batch).

On the CPU (measured on the 2-core development machine, see ``bench/bench_train.py``):

* **channels_last** memory format for the convolutional part: oneDNN convolutions and
  pooling run on NHWC data without per-call reorders (max pooling alone is ~9× faster).
  At the image → vector boundary (the first flattening layer after the last conv or pool) a
  Dense flattens in (H, W, C) order, a free view of NHWC data, with its weight columns
  permuted to match, so it computes exactly the (C, H, W)-order function from the same
  initial weights (Adam is per-coordinate, so training follows the same path); any other
  flattening layer gets one explicit conversion back to the standard layout before it.
* **dropout masks from packed random integers**: ``nn.Dropout`` on the CPU draws one
  Mersenne-Twister number per element through ``bernoulli_``, which dominates the cost of
  a dropout layer on a large feature map. :class:`FastDropout` (still an ``nn.Dropout``)
  draws 64 random bits per four elements and thresholds 15-bit slices, so the drop
  probability is the rate rounded to a multiple of 1/32768 (exact for rates in eighths).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from remap.arch.shapes import validate
from remap.arch.spec import ArchSpec

_RESOLUTION = 1 << 15


class FastDropout(nn.Dropout):
    """Inverted dropout with a cheaper CPU mask; identical behaviour in eval mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        threshold = min(round(self.p * _RESOLUTION), _RESOLUTION - 1)
        n = x.numel()
        bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device).random_()
        draws = bits.view(torch.int16)[:n]
        if x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last):
            # The draws are i.i.d., so laying them out like x is as good as any order.
            draws = draws.as_strided(x.shape, x.stride())
        else:
            draws = draws.view(x.shape)
        scale = _RESOLUTION / (_RESOLUTION - threshold)
        # (torch.where with scalars is several times slower on the CPU than this.)
        keep = ((draws & (_RESOLUTION - 1)) >= threshold).to(x.dtype).mul_(scale)
        return x * keep


class _StandardLayout(torch.autograd.Function):
    """Forward: NHWC → standard layout; backward: the gradient back to NHWC, so the layers
    before the boundary see their own layout in the backward pass too (no per-layer copies)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return grad.contiguous(memory_format=torch.channels_last)


class ToStandardLayout(nn.Module):
    """Return a channels_last image batch in the standard contiguous layout."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return x
        out: torch.Tensor = _StandardLayout.apply(x)  # type: ignore[no-untyped-call]
        return out


def _is_spatial(module: nn.Module) -> bool:
    parts = list(module) if isinstance(module, nn.Sequential) else [module]
    return any(
        isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)) for m in parts
    )


class FlattenChannelsLast(nn.Module):
    """Flatten an image batch in (H, W, C) order: a free view of channels_last data."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return x.flatten(1)


def _hwc_dense(entry: nn.Sequential, dims: tuple[int, ...]) -> nn.Sequential:
    """``Flatten → Linear`` on a (C, H, W) image as ``FlattenChannelsLast → Linear`` with the
    weight columns permuted to match: the same function with the same initial weights."""
    linear = entry[1]
    assert isinstance(linear, nn.Linear)
    c, h, w = dims
    with torch.no_grad():
        weight = linear.weight.view(linear.out_features, c, h, w).permute(0, 2, 3, 1)
        linear.weight.copy_(weight.reshape(linear.out_features, -1).clone())
    return nn.Sequential(FlattenChannelsLast(), linear)


def _flattens(module: nn.Module) -> bool:
    if isinstance(module, nn.Flatten):
        return True
    return isinstance(module, nn.Sequential) and any(isinstance(m, nn.Flatten) for m in module)


def _is_dense_on_image(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Sequential)
        and len(module) == 2
        and isinstance(module[0], nn.Flatten)
        and isinstance(module[1], nn.Linear)
    )


def optimise(
    model: nn.Sequential, spec: ArchSpec, device: torch.device
) -> tuple[nn.Sequential, bool]:
    """The module to train on ``device`` (built from ``spec`` by ``build_module``, one entry
    per spec layer) and whether its inputs should be channels_last. The result computes the
    same function as ``model``."""
    if device.type != "cpu":
        return model, False
    layers = [
        FastDropout(m.p) if type(m) is nn.Dropout else m  # exact type: keep subclasses
        for m in model
    ]
    if not any(_is_spatial(m) for m in layers):
        return nn.Sequential(*layers), False
    report = validate(spec, max_params=None)
    boundary = _boundary(layers)
    out: list[nn.Module] = []
    for i, m in enumerate(layers):
        if i == boundary:
            if _is_dense_on_image(m):
                assert isinstance(m, nn.Sequential)
                m = _hwc_dense(m, report.layers[i].input.dims)
            else:
                out.append(ToStandardLayout())
        out.append(m)
    return nn.Sequential(*out).to(memory_format=torch.channels_last), True  # type: ignore[call-overload]


def _boundary(layers: list[nn.Module]) -> int | None:
    """The first flattening entry after the last spatial one (the image → vector step)."""
    spatial = [i for i, m in enumerate(layers) if _is_spatial(m)]
    if not spatial:
        return None
    return next((i for i, m in enumerate(layers) if i > spatial[-1] and _flattens(m)), None)


def hwc_dense_index(model: nn.Sequential) -> int | None:
    """The entry of a built module whose Dense ``optimise`` trains with (H, W, C)-ordered
    weight columns on the CPU, or None (used to undo the permutation when saving weights)."""
    index = _boundary(list(model))
    return index if index is not None and _is_dense_on_image(model[index]) else None


def chw_weight(weight: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """Undo :func:`_hwc_dense`'s column permutation: (H, W, C) order back to (C, H, W)."""
    c, h, w = dims
    out = weight.shape[0]
    return weight.reshape(out, h, w, c).permute(0, 3, 1, 2).reshape(out, -1).contiguous()


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """An image batch laid out NHWC; single-channel batches get explicit NHWC strides so that
    oneDNN picks its channels_last kernels for the first convolution too."""
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device, memory_format=torch.channels_last)
    return out.copy_(x)
