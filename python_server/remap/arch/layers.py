"""The layer vocabulary: one frozen dataclass per layer type, with its JSON form and a
short human-readable name used in change logs, errors and glyph tooltips."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from remap.arch.errors import SpecFormatError

Padding = Literal["valid", "same"]
ActivationFunction = Literal["relu", "tanh", "sigmoid", "gelu", "leaky_relu"]
PADDINGS: tuple[str, ...] = get_args(Padding)
ACTIVATIONS: tuple[str, ...] = get_args(ActivationFunction)


@dataclass(frozen=True)
class Conv2D:
    """2-D convolution; ``valid`` padding and stride 1 are the original's semantics."""

    kernel_size: int
    filters: int
    stride: int = 1
    padding: Padding = "valid"
    type: ClassVar[str] = "conv2d"

    def describe(self) -> str:
        extra = "" if self.stride == 1 else f" stride {self.stride}"
        extra += "" if self.padding == "valid" else f" {self.padding}"
        return f"Conv2D {self.kernel_size}×{self.kernel_size}/{self.filters}{extra}"


@dataclass(frozen=True)
class MaxPool:
    """Max pooling; stride 2 and ``valid`` padding are the original's semantics."""

    size: int
    stride: int = 2
    padding: Padding = "valid"
    type: ClassVar[str] = "maxpool"

    def describe(self) -> str:
        return f"MaxPool {self.size}" + ("" if self.stride == 2 else f" stride {self.stride}")


@dataclass(frozen=True)
class AvgPool:
    """Average pooling; stride 2 and ``valid`` padding are the original's semantics."""

    size: int
    stride: int = 2
    padding: Padding = "valid"
    type: ClassVar[str] = "avgpool"

    def describe(self) -> str:
        return f"AvgPool {self.size}" + ("" if self.stride == 2 else f" stride {self.stride}")


@dataclass(frozen=True)
class Dense:
    """Fully connected layer; flattens an image input (the original's semantics)."""

    units: int
    type: ClassVar[str] = "dense"

    def describe(self) -> str:
        return f"Dense {self.units}"


@dataclass(frozen=True)
class Activation:
    """Element-wise non-linearity."""

    function: ActivationFunction
    type: ClassVar[str] = "activation"

    def describe(self) -> str:
        return f"Activation {self.function}"


@dataclass(frozen=True)
class Dropout:
    """Dropout with the given drop probability."""

    rate: float
    type: ClassVar[str] = "dropout"

    def describe(self) -> str:
        return f"Dropout {self.rate:g}"


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation over channels (2-D) or features (1-D), chosen by the input."""

    type: ClassVar[str] = "batchnorm"

    def describe(self) -> str:
        return "BatchNorm"


@dataclass(frozen=True)
class GlobalAvgPool:
    """Global average pooling: an image becomes a vector of its channel means."""

    type: ClassVar[str] = "globalavgpool"

    def describe(self) -> str:
        return "GlobalAvgPool"


@dataclass(frozen=True)
class Flatten:
    """Explicit flatten of an image into a vector."""

    type: ClassVar[str] = "flatten"

    def describe(self) -> str:
        return "Flatten"


Layer = (
    Conv2D | MaxPool | AvgPool | Dense | Activation | Dropout | BatchNorm | GlobalAvgPool | Flatten
)
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.type: cls
    for cls in (
        Conv2D,
        MaxPool,
        AvgPool,
        Dense,
        Activation,
        Dropout,
        BatchNorm,
        GlobalAvgPool,
        Flatten,
    )
}
LAYER_TYPES: tuple[str, ...] = tuple(LAYER_CLASSES)

# Per-field value checks: (predicate, expectation) so errors can say what was expected.
_INT_FIELDS = {"kernel_size", "filters", "stride", "size", "units"}


def layer_to_dict(layer: Layer) -> dict[str, Any]:
    """The canonical JSON form: ``type`` first, then every field (defaults included)."""
    out: dict[str, Any] = {"type": layer.type}
    for f in dataclasses.fields(layer):
        out[f.name] = getattr(layer, f.name)
    return out


def layer_from_dict(data: Any, path: str = "layer") -> Layer:
    """Parse one layer; unknown types, missing, extra or ill-typed fields raise
    :class:`SpecFormatError` naming ``path.field``."""
    if not isinstance(data, Mapping):
        raise SpecFormatError(path, f"expected an object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in LAYER_CLASSES:
        raise SpecFormatError(
            f"{path}.type", f"unknown layer type {kind!r}; expected one of {', '.join(LAYER_TYPES)}"
        )
    cls = LAYER_CLASSES[kind]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    extra = sorted(set(data) - set(fields) - {"type"})
    if extra:
        raise SpecFormatError(f"{path}.{extra[0]}", f"unknown field for a {kind} layer")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING:
                raise SpecFormatError(f"{path}.{name}", "missing")
            continue
        kwargs[name] = _check_field(kind, name, data[name], f"{path}.{name}")
    return cls(**kwargs)


def _check_field(kind: str, name: str, value: Any, path: str) -> Any:
    if name in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecFormatError(path, f"expected an integer, got {value!r}")
        if value < 1:
            raise SpecFormatError(path, f"must be at least 1, got {value}")
        return value
    if name == "rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecFormatError(path, f"expected a number, got {value!r}")
        if not 0.0 <= float(value) < 1.0:
            raise SpecFormatError(path, f"must be in [0, 1), got {value}")
        return float(value)
    if name == "padding":
        if value not in PADDINGS:
            raise SpecFormatError(path, f"expected one of {', '.join(PADDINGS)}, got {value!r}")
        return value
    if name == "function":
        if value not in ACTIVATIONS:
            raise SpecFormatError(path, f"expected one of {', '.join(ACTIVATIONS)}, got {value!r}")
        return value
    raise SpecFormatError(path, f"unhandled field of {kind}")  # pragma: no cover - vocabulary bug
