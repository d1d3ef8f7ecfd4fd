"""Mapping of PyTorch calls (``nn.*`` constructors, ``F.*``/``torch.*`` functions and
tensor methods) onto REMAP layers, read statically from their arguments.

Each call becomes a list of :class:`Op`; anything without an exact REMAP equivalent
(dilation, groups, ``bias=False``, other paddings, unknown modules) raises
:class:`Unmappable` naming the construct and its line. PyTorch's defaults apply: a pool's
stride defaults to its kernel size, ``torch.flatten`` and ``Tensor.flatten`` start at 0.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from remap.arch.layers import (
    Activation,
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Layer,
    MaxPool,
)
from remap.codegen.imported import Span
from remap.codegen.scope import UNKNOWN, Scope, Unmappable, source_text

REQUIRED: Any = object()


@dataclass(frozen=True)
class Op:
    """One step of a model's data flow. ``kind``: "layer" (with ``layer``), "flatten"
    (``module`` when written as ``nn.Flatten``), "gap" (adaptive pool to 1×1, still an
    image), "gap_vector" (mean over H and W), "reshape" (vector → 1×side×side), "softmax".
    ``rank`` is what the source expects to receive: 4 (image), 2 (vector) or 0 (any)."""

    kind: str
    line: int
    layer: Layer | None = None
    declared: int | None = None
    declared_kind: str = ""
    label: str = ""
    rank: int = 0
    module: bool = False
    side: int = 0
    declared_at: Span | None = None
    declared_param: str = ""


@dataclass(frozen=True)
class Signature:
    """PyTorch parameter order with defaults; ``fixed`` parameters must keep their default
    (anything else changes the architecture), ``free`` ones may take any value."""

    params: tuple[tuple[str, Any], ...]
    fixed: frozenset[str] = frozenset()


def _sig(*params: str | tuple[str, Any], fixed: tuple[str, ...] = ()) -> Signature:
    items = tuple(p if isinstance(p, tuple) else (p, REQUIRED) for p in params)
    return Signature(items, frozenset(fixed))


class Args:
    """The bound arguments of one call, evaluated on demand as constants."""

    def __init__(self, call: ast.Call, sig: Signature, label: str, scope: Scope) -> None:
        self.call, self.label, self.scope, self.line = call, label, scope, call.lineno
        names = [name for name, _ in sig.params]
        self.nodes: dict[str, ast.expr] = {}
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                raise Unmappable(f"{label} with starred arguments", self.line)
        if len(call.args) > len(names):
            raise Unmappable(f"{label} with {len(call.args)} positional arguments", self.line)
        self.nodes.update(zip(names, call.args, strict=False))
        for kw in call.keywords:
            if kw.arg is None:
                raise Unmappable(f"{label} with **keyword arguments", self.line)
            if kw.arg not in names:
                raise Unmappable(f"{label} with unknown argument {kw.arg}=", self.line)
            self.nodes[kw.arg] = kw.value
        self.defaults = dict(sig.params)
        for name, default in sig.params:
            if default is REQUIRED and name not in self.nodes:
                raise Unmappable(f"{label} without {name}", self.line)
        for name in sig.fixed:
            if name in self.nodes and self.get(name) != self.defaults[name]:
                raise Unmappable(f"{label} with {name}={self.text(name)}", self.line)

    def where(self, name: str) -> Span | None:
        """Where argument ``name`` is written in the call (None when it is left out)."""
        node = self.nodes.get(name)
        if node is None or node.end_lineno is None or node.end_col_offset is None:
            return None
        return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)

    def text(self, name: str) -> str:
        return source_text(self.nodes[name], 30) if name in self.nodes else "default"

    def get(self, name: str) -> Any:
        if name not in self.nodes:
            return self.defaults[name]
        value = self.scope.value(self.nodes[name])
        if value is UNKNOWN:
            raise Unmappable(f"{self.label} with non-constant {name}={self.text(name)}", self.line)
        return value

    def integer(self, name: str, minimum: int = 1) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Unmappable(f"{self.label} with {name}={self.text(name)}", self.line)
        return value

    def square(self, name: str, minimum: int = 1) -> int:
        """An int, or a pair of equal ints (REMAP windows are square)."""
        value = self.get(name)
        if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Unmappable(f"{self.label} with {name}={self.text(name)}", self.line)
        return value


def _padding(args: Args, kernel: int, conv: bool) -> str:
    """REMAP padding from PyTorch's: 0 → valid; ``kernel // 2`` (odd kernels for
    convolutions) → same; a size-1 window with the ``# remap: padding=same`` mark → same."""
    value = args.get("padding")
    if conv and value in ("valid", "same"):
        if value == "same" and kernel % 2 == 0:
            raise Unmappable(f"{args.label} with padding='same' and an even kernel", args.line)
        return str(value)
    pad = args.square("padding", minimum=0)
    if pad == 0:
        return "same" if kernel // 2 == 0 and args.scope.marked_same(args.call) else "valid"
    if pad == kernel // 2 and (kernel % 2 == 1 or not conv):
        return "same"
    raise Unmappable(
        f"{args.label} with padding={args.text('padding')} for a {kernel}×{kernel} window "
        "(REMAP pads 0 or kernel_size // 2)",
        args.line,
    )


def _conv(a: Args) -> list[Op]:
    cin, cout, k = a.integer("in_channels"), a.integer("out_channels"), a.square("kernel_size")
    stride = a.square("stride")
    padding = _padding(a, k, conv=True)
    if a.get("padding") == "same" and stride != 1:
        raise Unmappable(f"{a.label} with padding='same' and stride {stride}", a.line)
    layer = Conv2D(k, cout, stride, "same" if padding == "same" else "valid")
    label = f"Conv2d({cin}, {cout}, {k})"
    where = a.where("in_channels")
    return [Op("layer", a.line, layer, cin, "channels", label, 4, declared_at=where,
               declared_param="in_channels")]  # fmt: skip


def _pool(cls: type[MaxPool] | type[AvgPool]) -> Callable[[Args], list[Op]]:
    def build(a: Args) -> list[Op]:
        k = a.square("kernel_size")
        stride_value = a.get("stride")
        stride = k if stride_value is None or stride_value == () else a.square("stride")
        if _padding(a, k, conv=False) == "same":
            return [Op("layer", a.line, cls(k, stride, "same"), rank=4)]
        return [Op("layer", a.line, cls(k, stride, "valid"), rank=4)]

    return build


def _linear(a: Args) -> list[Op]:
    n_in, n_out = a.integer("in_features"), a.integer("out_features")
    label = f"Linear({n_in}, {n_out})"
    where = a.where("in_features")
    return [Op("layer", a.line, Dense(n_out), n_in, "features", label, 2, declared_at=where,
               declared_param="in_features")]  # fmt: skip


def _batchnorm(rank: int) -> Callable[[Args], list[Op]]:
    def build(a: Args) -> list[Op]:
        n = a.integer("num_features")
        label = f"BatchNorm{1 if rank == 2 else 2}d({n})"
        where = a.where("num_features")
        return [Op("layer", a.line, BatchNorm(), n, "channels", label, rank, declared_at=where,
                   declared_param="num_features")]  # fmt: skip

    return build


def _dropout(a: Args) -> list[Op]:
    p = a.get("p")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise Unmappable(f"{a.label} with p={a.text('p')} (REMAP needs 0 <= p < 1)", a.line)
    return [Op("layer", a.line, Dropout(float(p)))]


def _activation(function: str) -> Callable[[Args], list[Op]]:
    def build(a: Args) -> list[Op]:
        return [Op("layer", a.line, Activation(function))]  # type: ignore[arg-type]

    return build


def _adaptive(a: Args) -> list[Op]:
    if a.get("output_size") not in (1, (1, 1)):
        raise Unmappable(f"{a.label} with output size {a.text('output_size')}", a.line)
    return [Op("gap", a.line, rank=4)]


def _flatten(module: bool) -> Callable[[Args], list[Op]]:
    def build(a: Args) -> list[Op]:
        if a.get("start_dim") != 1 or a.get("end_dim") != -1:
            raise Unmappable(f"{a.label} that does not start at dimension 1", a.line)
        return [Op("flatten", a.line, module=module)]

    return build


def _softmax(a: Args) -> list[Op]:
    if a.get("dim") not in (None, 1, -1):
        raise Unmappable(f"{a.label} over dimension {a.text('dim')}", a.line)
    return [Op("softmax", a.line)]


def _mean(a: Args) -> list[Op]:
    dims = a.get("dim")
    if not isinstance(dims, tuple) or sorted(dims) not in ([2, 3], [-2, -1]) or a.get("keepdim"):
        raise Unmappable(f"{a.label} over dimensions {a.text('dim')}", a.line)
    return [Op("gap_vector", a.line, rank=4)]


def _nothing(a: Args) -> list[Op]:
    return []


_INPLACE = ("inplace", False)
_POOL = ("kernel_size", ("stride", None), ("padding", 0), ("dilation", 1))
Builder = Callable[[Args], list[Op]]
MODULES: dict[str, tuple[Signature, Builder]] = {
    "Conv2d": (
        _sig(
            "in_channels",
            "out_channels",
            "kernel_size",
            ("stride", 1),
            ("padding", 0),
            ("dilation", 1),
            ("groups", 1),
            ("bias", True),
            ("padding_mode", "zeros"),
            ("device", None),
            ("dtype", None),
            fixed=("dilation", "groups", "bias", "padding_mode"),
        ),
        _conv,
    ),
    "MaxPool2d": (
        _sig(
            *_POOL,
            ("return_indices", False),
            ("ceil_mode", False),
            fixed=("dilation", "return_indices", "ceil_mode"),
        ),
        _pool(MaxPool),
    ),
    "AvgPool2d": (
        _sig(
            "kernel_size",
            ("stride", None),
            ("padding", 0),
            ("ceil_mode", False),
            ("count_include_pad", True),
            ("divisor_override", None),
            fixed=("ceil_mode", "divisor_override"),
        ),
        _pool(AvgPool),
    ),
    "Linear": (
        _sig(
            "in_features",
            "out_features",
            ("bias", True),
            ("device", None),
            ("dtype", None),
            fixed=("bias",),
        ),
        _linear,
    ),
    "Dropout": (_sig(("p", 0.5), _INPLACE), _dropout),
    "ReLU": (_sig(_INPLACE), _activation("relu")),
    "Tanh": (_sig(), _activation("tanh")),
    "Sigmoid": (_sig(), _activation("sigmoid")),
    "GELU": (_sig(("approximate", "none"), fixed=("approximate",)), _activation("gelu")),
    "LeakyReLU": (
        _sig(("negative_slope", 0.01), _INPLACE, fixed=("negative_slope",)),
        _activation("leaky_relu"),
    ),
    "Flatten": (_sig(("start_dim", 1), ("end_dim", -1)), _flatten(True)),
    "AdaptiveAvgPool2d": (_sig("output_size"), _adaptive),
    "Softmax": (_sig(("dim", None)), _softmax),
    "LogSoftmax": (_sig(("dim", None)), _softmax),
    "Identity": (_sig(), _nothing),
}
for _rank, _name in ((2, "BatchNorm1d"), (4, "BatchNorm2d")):
    MODULES[_name] = (
        _sig(
            "num_features",
            ("eps", 1e-5),
            ("momentum", 0.1),
            ("affine", True),
            ("track_running_stats", True),
            ("device", None),
            ("dtype", None),
            fixed=("affine",),
        ),
        _batchnorm(_rank),
    )

_F = "torch.nn.functional."
_ACT = {"relu": "relu", "relu_": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
# Functions: the tensor is the parameter named "input".
FUNCTIONS: dict[str, tuple[Signature, Builder]] = {
    _F + "gelu": (
        _sig("input", ("approximate", "none"), fixed=("approximate",)),
        _activation("gelu"),
    ),
    _F + "leaky_relu": (
        _sig("input", ("negative_slope", 0.01), _INPLACE, fixed=("negative_slope",)),
        _activation("leaky_relu"),
    ),
    _F + "dropout": (_sig("input", ("p", 0.5), ("training", True), _INPLACE), _dropout),
    "torch.dropout": (_sig("input", "p", "train"), _dropout),
    _F + "adaptive_avg_pool2d": (_sig("input", "output_size"), _adaptive),
    "torch.flatten": (_sig("input", ("start_dim", 0), ("end_dim", -1)), _flatten(False)),
    "torch.mean": (_sig("input", "dim", ("keepdim", False), ("dtype", None)), _mean),
}
for _name, _fn in _ACT.items():
    FUNCTIONS["torch." + _name] = (_sig("input"), _activation(_fn))
    FUNCTIONS[_F + _name] = (_sig("input", _INPLACE), _activation(_fn))
for _prefix in (_F, "torch."):
    FUNCTIONS[_prefix + "max_pool2d"] = (
        _sig(
            "input",
            *_POOL,
            ("ceil_mode", False),
            ("return_indices", False),
            fixed=("dilation", "ceil_mode", "return_indices"),
        ),
        _pool(MaxPool),
    )
    FUNCTIONS[_prefix + "avg_pool2d"] = (
        _sig(
            "input",
            "kernel_size",
            ("stride", None),
            ("padding", 0),
            ("ceil_mode", False),
            ("count_include_pad", True),
            ("divisor_override", None),
            fixed=("ceil_mode", "divisor_override"),
        ),
        _pool(AvgPool),
    )
    for _soft in ("softmax", "log_softmax"):
        FUNCTIONS[_prefix + _soft] = (
            _sig("input", ("dim", None), ("_stacklevel", 3), ("dtype", None)),
            _softmax,
        )
# Tensor methods: the tensor is the object the method is called on.
METHODS: dict[str, tuple[Signature, Builder]] = {
    "relu": (_sig(), _activation("relu")),
    "relu_": (_sig(), _activation("relu")),
    "tanh": (_sig(), _activation("tanh")),
    "sigmoid": (_sig(), _activation("sigmoid")),
    "flatten": (_sig(("start_dim", 0), ("end_dim", -1)), _flatten(False)),
    "softmax": (_sig(("dim", None), ("dtype", None)), _softmax),
    "log_softmax": (_sig(("dim", None), ("dtype", None)), _softmax),
    "mean": (_sig("dim", ("keepdim", False), ("dtype", None)), _mean),
    "contiguous": (_sig(), _nothing),
}


_JOINS = frozenset({"torch.cat", "torch.concat", "torch.stack", "torch.add", "torch.hstack"})


def nn_name(qualname: str | None) -> str | None:
    """``torch.nn.Conv2d`` or a bare ``Conv2d`` → ``Conv2d``; None for anything else."""
    if qualname is None:
        return None
    rest = qualname.removeprefix("torch.nn.")
    return None if "." in rest else rest


def constructor_ops(call: ast.Call, name: str, scope: Scope) -> list[Op]:
    """The ops of ``nn.<name>(...)`` (not Sequential, which the caller expands)."""
    sig, build = MODULES[name]
    return build(Args(call, sig, source_text(call.func), scope))


def function_ops(call: ast.Call, qualname: str, scope: Scope) -> tuple[ast.expr, list[Op]]:
    """The tensor argument and the ops of a ``torch.*``/``F.*`` call."""
    label = source_text(call.func)
    if qualname not in FUNCTIONS:
        if qualname in _JOINS:
            raise Unmappable(
                f"branches joined with {label} (REMAP models are one chain of layers)", call.lineno
            )
        raise Unmappable(f"{label} (no REMAP layer corresponds to it)", call.lineno)
    sig, build = FUNCTIONS[qualname]
    args = Args(call, sig, label, scope)
    return args.nodes["input"], build(args)


def method_ops(call: ast.Call, method: str, scope: Scope) -> list[Op]:
    """The ops of ``<tensor>.<method>(...)``; ``view``/``reshape`` are read by the caller."""
    if method not in METHODS:
        raise Unmappable(f"tensor method .{method}()", call.lineno)
    sig, build = METHODS[method]
    return build(Args(call, sig, f".{method}()", scope))
