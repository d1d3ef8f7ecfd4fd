"""Export of an :class:`ArchSpec` as a readable, self-contained PyTorch source file.

The file has a provenance docstring, ``INPUT_SHAPE``/``NUM_CLASSES`` constants, one
``nn.Module`` with a named attribute per layer and a ``forward`` that shows every step
(including the flatten before a Dense that receives an image and the reshape of a vector
into a 1-channel square image before a conv or pool), and a ``__main__`` smoke test.
Its form is exactly what :mod:`remap.codegen.importer` reads back, so export → import is
the identity on specs. User text only ever appears, escaped, inside the docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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
from remap.arch.shapes import LayerInfo, TensorShape, analyse
from remap.arch.spec import ArchSpec
from remap.codegen.errors import CodegenError
from remap.codegen.naming import MAX_LINE, class_name_for, docstring_block
from remap.train.keys import layer_attributes

# The directive that marks a zero padding as REMAP's "same" (a size-1 kernel pads by 0).
SAME_DIRECTIVE = "# remap: padding=same"
ACTIVATION_MODULES = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "gelu": "nn.GELU()",
    "leaky_relu": "nn.LeakyReLU()",
}


@dataclass(frozen=True)
class Provenance:
    """Where an exported model comes from; every field is optional free text or numbers
    and only appears (escaped) in the module docstring. ``accuracy`` is a fraction."""

    model_id: str | int | None = None
    name: str | None = None
    dataset: str | None = None
    input_shape: tuple[int, int, int] | None = None
    accuracy: float | None = None
    params: int | None = None
    parent: str | None = None
    origin: str | None = None
    changes: tuple[str, ...] = field(default_factory=tuple)
    created: str | None = None


@dataclass(frozen=True)
class Inference:
    """What using the trained model needs, emitted as constants: the class names (each
    written as an escaped string literal, never as code) and whether a weights file goes
    beside the source (then the file defines ``load_trained``). REMAP trains on pixels
    scaled to [0, 1] without further normalisation, which ``INPUT_MEAN``/``INPUT_STD`` say."""

    class_names: tuple[str, ...]
    weights: bool = False
    input_mean: float = 0.0
    input_std: float = 1.0


def _py_string(text: str) -> str:
    """A double-quoted (single when that needs fewer escapes, as ``ruff format`` prefers)
    ASCII string literal of ``text``: every non-printable or non-ASCII character escaped."""
    quote = "'" if '"' in text and "'" not in text else '"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch in ("\\", quote):
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return quote + "".join(out) + quote


def _inference_constants(spec: ArchSpec, inference: Inference) -> list[str]:
    names = inference.class_names
    if len(names) != spec.num_classes or not all(isinstance(n, str) for n in names):
        raise CodegenError(f"expected {spec.num_classes} class names as strings, got {names!r}")
    for label, value in (("input_mean", inference.input_mean), ("input_std", inference.input_std)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (math.isfinite(value) and (label == "input_mean" or value > 0))
        ):
            raise CodegenError(f"{label} must be a finite number (std > 0), got {value!r}")
    return [
        "CLASS_NAMES = (",
        *(f"    {_py_string(name)}," for name in names),
        ")",
        "# Inputs as REMAP trained on them: pixels scaled to [0, 1], then",
        "# (x - INPUT_MEAN) / INPUT_STD.",
        f"INPUT_MEAN = {float(inference.input_mean)!r}",
        f"INPUT_STD = {float(inference.input_std)!r}",
    ]


def _load_trained(name: str) -> list[str]:
    return [
        "",
        "",
        "def load_trained(",
        "    weights: str | os.PathLike[str] | None = None,",
        '    device: str | torch.device = "cpu",',
        f") -> {name}:",
        '    """The model with its trained weights, in eval mode, on ``device``.',
        "",
        "    ``weights`` defaults to the .safetensors file beside this one. A missing,",
        "    truncated or mismatched file raises an error that names it (and the layer,",
        "    with the expected and found shapes).",
        '    """',
        "    from safetensors import SafetensorError",
        "    from safetensors.torch import load_file",
        "",
        '    default = Path(__file__).with_suffix(".safetensors")',
        "    path = default if weights is None else Path(weights)",
        "    if not path.is_file():",
        '        raise FileNotFoundError(f"{path}: weights file not found")',
        "    try:",
        "        state = load_file(str(path))",
        "    except (SafetensorError, OSError) as exc:",
        '        raise ValueError(f"{path}: not a complete safetensors file ({exc})") from None',
        f"    model = {name}()",
        "    for key, tensor in model.state_dict().items():",
        '        layer = key.split(".")[0]',
        "        if key not in state:",
        '            raise ValueError(f"{path}: layer {layer} has no tensor {key} in the file")',
        "        if state[key].shape != tensor.shape:",
        "            raise ValueError(",
        '                f"{path}: layer {layer} expects {key} of shape {tuple(tensor.shape)} "',
        '                f"but the file has {tuple(state[key].shape)}"',
        "            )",
        "    extra = sorted(set(state) - set(model.state_dict()))",
        "    if extra:",
        '        raise ValueError(f"{path}: tensors {extra} belong to no layer of this model")',
        "    model.load_state_dict(state)",
        "    return model.to(device).eval()",
    ]


def _shape_text(dims: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _statement(indent: int, head: str, args: list[str], tail: str = "") -> list[str]:
    """``head(arg, ...)tail`` on one line when it fits in 88 columns, else one argument
    per line with a trailing comma, which ``ruff format`` keeps at any line length."""
    pad = " " * indent
    one = f"{pad}{head}({', '.join(args)}){tail}"
    if len(one) <= MAX_LINE or not args:
        return [one]
    return [f"{pad}{head}(", *(f"{pad}    {arg}," for arg in args), f"{pad}){tail}"]


@dataclass
class _Plan:
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)

    def module(self, attr: str, ctor: str, args: list[str], same_note: bool = False) -> None:
        if same_note:
            self.init.append(f"        {SAME_DIRECTIVE} (a size-1 window pads by 0)")
        self.init.extend(_statement(8, f"self.{attr} = {ctor}", args))

    def step(self, code: str, shape: TensorShape, note: str = "") -> None:
        self.forward.append(f"        x = {code}  # -> {_shape_text(shape.dims)}{note}")


def _pool_args(layer: MaxPool | AvgPool) -> tuple[list[str], bool]:
    args = [str(layer.size), f"stride={layer.stride}"]
    if layer.padding == "same" and layer.size // 2 > 0:
        args.append(f"padding={layer.size // 2}")
        if isinstance(layer, AvgPool):  # REMAP averages over the real pixels only
            args.append("count_include_pad=False")
    return args, layer.padding == "same" and layer.size // 2 == 0


def _conv_args(layer: Conv2D, channels: int) -> tuple[list[str], bool]:
    args = [str(channels), str(layer.filters), f"kernel_size={layer.kernel_size}"]
    if layer.stride != 1:
        args.append(f"stride={layer.stride}")
    same_note = False
    if layer.padding == "same":
        if layer.stride == 1:
            args.append('padding="same"')
        elif layer.kernel_size // 2 > 0:
            args.append(f"padding={layer.kernel_size // 2}")
        else:
            same_note = True
    return args, same_note


def _add_layer(plan: _Plan, info: LayerInfo, is_output: bool, attr: str) -> None:
    """One layer; ``attr`` is its attribute name (``remap.train.keys.layer_attributes``,
    the names trained weights files use too)."""
    layer: Layer = info.layer
    if info.reshaped:
        _, side, _ = info.input.dims
        plan.step(f"x.view(-1, 1, {side}, {side})", info.input)
    if isinstance(layer, Conv2D):
        args, note = _conv_args(layer, info.input.dims[0])
        plan.module(attr, "nn.Conv2d", args, note)
    elif isinstance(layer, (MaxPool, AvgPool)):
        args, note = _pool_args(layer)
        ctor = "nn.MaxPool2d" if isinstance(layer, MaxPool) else "nn.AvgPool2d"
        plan.module(attr, ctor, args, note)
    elif isinstance(layer, Dense):
        if info.input.is_image:
            plan.step("torch.flatten(x, 1)", TensorShape((info.input.size,)))
        plan.module(attr, "nn.Linear", [str(info.input.size), str(layer.units)])
    elif isinstance(layer, Activation):
        plan.init.append(f"        self.{attr} = {ACTIVATION_MODULES[layer.function]}")
    elif isinstance(layer, Dropout):
        plan.module(attr, "nn.Dropout", [f"p={float(layer.rate)!r}"])
    elif isinstance(layer, BatchNorm):
        ctor = "nn.BatchNorm2d" if info.input.is_image else "nn.BatchNorm1d"
        plan.module(attr, ctor, [str(info.input.dims[0])])
    elif isinstance(layer, GlobalAvgPool):
        plan.module(attr, "nn.AdaptiveAvgPool2d", ["1"])
        plan.step(f"self.{attr}(x)", TensorShape((info.input.dims[0], 1, 1)))
        plan.step("torch.flatten(x, 1)", info.output)
        return
    elif isinstance(layer, Flatten):
        plan.init.append(f"        self.{attr} = nn.Flatten()")
    else:  # pragma: no cover - the vocabulary is closed
        raise CodegenError(f"cannot export layer {layer!r}")
    plan.step(f"self.{attr}(x)", info.output, " logits" if is_output else "")


def _docstring(spec: ArchSpec, provenance: Provenance | None, params: int) -> list[str]:
    p = provenance or Provenance()
    shape = spec.input_shape
    if p.input_shape is not None and tuple(p.input_shape) != shape:
        raise CodegenError(
            f"provenance input shape {tuple(p.input_shape)} differs from the spec's {shape}"
        )
    entries: list[tuple[str, str]] = []
    if p.model_id is not None:
        entries.append(("Model id: ", str(p.model_id)))
    if p.name is not None:
        entries.append(("Name: ", p.name))
    if p.dataset is not None:
        entries.append(("Data set: ", p.dataset))
    entries.append(("Input shape: ", "x".join(str(d) for d in shape) + " (channels x H x W)"))
    entries.append(("Classes: ", str(spec.num_classes)))
    if p.accuracy is not None:
        acc = p.accuracy
        if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 <= acc <= 1:
            raise CodegenError(f"provenance accuracy must be a fraction in [0, 1], got {acc!r}")
        entries.append(("Held-out accuracy: ", f"{100 * acc:.2f}%"))
    entries.append(("Parameters: ", f"{params:,}"))
    for label, value in (("Parent: ", p.parent), ("Origin: ", p.origin)):
        if value is not None:
            entries.append((label, str(value)))
    if p.created is not None:
        entries.append(("Created: ", p.created))
    lines = ['"""A REMAP model exported as PyTorch source.', ""]
    lines += docstring_block(entries)
    if p.changes:
        lines.append("Changes:")
        lines += docstring_block(("- ", str(change)) for change in p.changes)
    lines += [
        "",
        "forward() returns logits: the softmax is implied by the cross-entropy loss",
        "(train with nn.CrossEntropyLoss; use torch.softmax(logits, 1) for probabilities).",
        "",
        "Generated by REMAP.",
        '"""',
    ]
    return lines


def export_source(
    spec: ArchSpec,
    *,
    class_name: str = "RemapModel",
    provenance: Provenance | None = None,
    inference: Inference | None = None,
) -> str:
    """The PyTorch source of ``spec``; raises :class:`CodegenError` for an impossible spec
    (naming the layer) or inconsistent provenance. With ``inference`` the file also carries
    ``CLASS_NAMES``, ``INPUT_MEAN``/``INPUT_STD`` and, for a trained model,
    ``load_trained()``."""
    report = analyse(spec)
    if report.error is not None:
        raise CodegenError(f"cannot export an impossible model: {report.error}")
    params = report.params
    if provenance is not None and provenance.params is not None and provenance.params != params:
        raise CodegenError(
            f"provenance says {provenance.params:,} parameters but the spec has {params:,}"
        )
    name = class_name_for(class_name)
    plan = _Plan()
    attributes = layer_attributes(spec)
    for info in report.layers:
        _add_layer(plan, info, info.index == spec.output_index, attributes[info.index])
    dims = spec.input_shape
    lines = _docstring(spec, provenance, params)
    trained = inference is not None and inference.weights
    imports = ["import os", "from pathlib import Path", ""] if trained else []
    lines += [
        "",
        *imports,
        "import torch",
        "from torch import nn",
        "",
        f"INPUT_SHAPE = {_shape_text(dims)}  # channels, height, width",
        f"NUM_CLASSES = {spec.num_classes}",
        *(_inference_constants(spec, inference) if inference is not None else []),
        "",
        "",
        f"class {name}(nn.Module):",
        '    """A sequential CNN; see the module docstring for its provenance."""',
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        *plan.init,
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        f"        # x: (batch, {', '.join(str(d) for d in dims)})",
        *plan.forward,
        "        return x",
        *(_load_trained(name) if trained else []),
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {name}()",
        "    model.eval()",
        "    with torch.no_grad():",
        "        logits = model(torch.randn(1, *INPUT_SHAPE))",
        '    print(f"output shape: {tuple(logits.shape)}")',
        '    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")',
    ]
    return "\n".join(lines) + "\n"
