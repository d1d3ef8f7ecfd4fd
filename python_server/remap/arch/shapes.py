"""Shape inference, parameter and FLOP counts, and validation of an :class:`ArchSpec`.

Semantics (the original REMAP's, made explicit): a Dense flattens an image; a conv or
pool that receives a vector reshapes it to a 1-channel square image; ``valid`` padding
never pads; ``same`` pads by ``k // 2`` (odd kernels only for convolutions). FLOPs count
a multiply-add as two operations and include biases only through the multiply-adds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from remap.arch.errors import ArchError
from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
)
from remap.arch.spec import ArchSpec

DEFAULT_MAX_PARAMS = 1_000_000


@dataclass(frozen=True)
class TensorShape:
    """An image (channels, height, width) or a vector (features,) without the batch axis."""

    dims: tuple[int, ...]

    @property
    def is_image(self) -> bool:
        return len(self.dims) == 3

    @property
    def size(self) -> int:
        return math.prod(self.dims)

    def __str__(self) -> str:
        return "×".join(str(d) for d in self.dims)


@dataclass(frozen=True)
class LayerInfo:
    """What one layer receives and produces; ``reshaped`` marks a vector→square reshape."""

    index: int
    layer: Layer
    input: TensorShape
    output: TensorShape
    params: int
    flops: int
    reshaped: bool = False


@dataclass(frozen=True)
class ShapeReport:
    """Per-layer shapes up to the first error (if any), with totals for the valid prefix."""

    layers: tuple[LayerInfo, ...]
    error: ArchError | None

    @property
    def params(self) -> int:
        return sum(info.params for info in self.layers)

    @property
    def flops(self) -> int:
        return sum(info.flops for info in self.layers)

    @property
    def ok(self) -> bool:
        return self.error is None


def _as_image(shape: TensorShape, index: int, layer: Layer) -> tuple[TensorShape, bool]:
    if shape.is_image:
        return shape, False
    side = math.isqrt(shape.size)
    if side * side != shape.size:
        raise ArchError(
            index,
            layer.describe(),
            f"cannot reshape {shape.size} features into a 1-channel square image",
        )
    return TensorShape((1, side, side)), True


def _spatial(
    size: int, kernel: int, stride: int, pad: int, index: int, layer: Layer, hw: TensorShape
) -> int:
    out = (size + 2 * pad - kernel) // stride + 1
    if size + 2 * pad < kernel or out < 1:
        raise ArchError(
            index,
            layer.describe(),
            f"{'kernel' if isinstance(layer, Conv2D) else 'pool size'} {kernel} is larger than "
            f"the {hw.dims[1]}×{hw.dims[2]} input",
        )
    return out


def infer_layer(index: int, layer: Layer, shape: TensorShape) -> LayerInfo:
    """Output shape and counts of one layer, or :class:`ArchError` naming it."""
    if isinstance(layer, Conv2D):
        img, reshaped = _as_image(shape, index, layer)
        if layer.padding == "same" and layer.kernel_size % 2 == 0:
            raise ArchError(index, layer.describe(), "padding 'same' needs an odd kernel size")
        pad = layer.kernel_size // 2 if layer.padding == "same" else 0
        c, h, w = img.dims
        ho = _spatial(h, layer.kernel_size, layer.stride, pad, index, layer, img)
        wo = _spatial(w, layer.kernel_size, layer.stride, pad, index, layer, img)
        params = layer.kernel_size**2 * c * layer.filters + layer.filters
        flops = 2 * layer.kernel_size**2 * c * layer.filters * ho * wo
        return LayerInfo(
            index, layer, img, TensorShape((layer.filters, ho, wo)), params, flops, reshaped
        )
    if isinstance(layer, (MaxPool, AvgPool)):
        img, reshaped = _as_image(shape, index, layer)
        pad = layer.size // 2 if layer.padding == "same" else 0
        c, h, w = img.dims
        ho = _spatial(h, layer.size, layer.stride, pad, index, layer, img)
        wo = _spatial(w, layer.size, layer.stride, pad, index, layer, img)
        out = TensorShape((c, ho, wo))
        return LayerInfo(index, layer, img, out, 0, layer.size**2 * out.size, reshaped)
    if isinstance(layer, Dense):
        n = shape.size
        return LayerInfo(
            index,
            layer,
            shape,
            TensorShape((layer.units,)),
            n * layer.units + layer.units,
            2 * n * layer.units,
        )
    if isinstance(layer, (Activation, Dropout)):
        return LayerInfo(
            index, layer, shape, shape, 0, shape.size if isinstance(layer, Activation) else 0
        )
    if isinstance(layer, BatchNorm):
        channels = shape.dims[0]
        return LayerInfo(index, layer, shape, shape, 2 * channels, 2 * shape.size)
    if isinstance(layer, GlobalAvgPool):
        if not shape.is_image:
            raise ArchError(
                index, layer.describe(), f"needs an image input, got {shape.size} features"
            )
        return LayerInfo(index, layer, shape, TensorShape((shape.dims[0],)), 0, shape.size)
    if isinstance(layer, Flatten):
        return LayerInfo(index, layer, shape, TensorShape((shape.size,)), 0, 0)
    raise ArchError(index, repr(layer), "unknown layer type")  # pragma: no cover


def analyse(spec: ArchSpec) -> ShapeReport:
    """Infer every layer's shapes; stops at the first impossible layer and reports it."""
    shape = TensorShape(spec.input_shape)
    infos: list[LayerInfo] = []
    try:
        for index, layer in enumerate(spec.layers):
            info = infer_layer(index, layer, shape)
            infos.append(info)
            shape = info.output
    except ArchError as exc:
        return ShapeReport(tuple(infos), exc)
    return ShapeReport(tuple(infos), _check_output(spec))


def _check_output(spec: ArchSpec) -> ArchError | None:
    if not spec.layers:
        return ArchError(None, "model", "has no layers; it needs at least the output Dense layer")
    last = spec.layers[-1]
    if not isinstance(last, Dense) or last.units != spec.num_classes:
        return ArchError(
            spec.output_index,
            last.describe(),
            f"the output layer must be Dense {spec.num_classes} (one unit per class)",
        )
    return None


def validate(spec: ArchSpec, max_params: int | None = DEFAULT_MAX_PARAMS) -> ShapeReport:
    """Return the shape report of a possible model, or raise the first :class:`ArchError`.
    ``max_params=None`` disables the parameter budget."""
    report = analyse(spec)
    if report.error is not None:
        raise report.error
    if max_params is not None and report.params > max_params:
        raise ArchError(
            None,
            "model",
            f"has {report.params:,} parameters, over the budget of {max_params:,}",
        )
    return report


def param_count(spec: ArchSpec) -> int:
    """Trainable parameters of a valid spec (raises :class:`ArchError` otherwise)."""
    return validate(spec, max_params=None).params
