"""The names of a model's layers and weights, shared by the module builder, the weights
files and the exported source (torch-free, so ``codegen`` can use it).

An exported model (``remap.codegen.export``) has one attribute per spec layer — ``conv1``,
``pool1``, ``fc1``, ``out`` … — and a weights file stores its tensors under those
attributes' ``state_dict`` keys (``conv1.weight``, ``bn1.running_mean`` …). The module built
for training (``remap.train.modules``) is an ``nn.Sequential`` with one entry per spec
layer, where an entry may be a small ``nn.Sequential`` whose parameters sit in its second
part (``Flatten → Linear``, ``ToImage → Conv2d``). :func:`export_key` and
:func:`built_key` translate between the two.
"""

from __future__ import annotations

from collections.abc import Iterable

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

_KINDS: tuple[tuple[type[Layer], str], ...] = (
    (Conv2D, "conv"),
    (MaxPool, "pool"),
    (AvgPool, "avgpool"),
    (Dense, "fc"),
    (Activation, "act"),
    (Dropout, "drop"),
    (BatchNorm, "bn"),
    (GlobalAvgPool, "gap"),
    (Flatten, "flatten"),
)


def _kind(layer: Layer) -> str:
    for cls, kind in _KINDS:
        if isinstance(layer, cls):
            return kind
    raise ValueError(f"no attribute name for {layer!r}")  # pragma: no cover - closed vocabulary


def layer_attributes(spec: ArchSpec) -> tuple[str, ...]:
    """The exported module's attribute name of every spec layer, in order: per kind a
    counter from 1 (``conv1``, ``conv2``, ``pool1``), and ``out`` for the output Dense."""
    counters: dict[str, int] = {}
    names: list[str] = []
    for index, layer in enumerate(spec.layers):
        if isinstance(layer, Dense) and index == spec.output_index:
            names.append("out")
            continue
        kind = _kind(layer)
        counters[kind] = counters.get(kind, 0) + 1
        names.append(f"{kind}{counters[kind]}")
    return tuple(names)


def export_key(built: str, attributes: tuple[str, ...]) -> str:
    """``0.weight`` → ``conv1.weight``; ``3.1.weight`` (inside a two-part entry) →
    ``fc1.weight``. Raises ``KeyError`` for a key that names no spec layer."""
    head, _, rest = built.partition(".")
    if not head.isdigit() or int(head) >= len(attributes) or not rest:
        raise KeyError(built)
    first, _, inner = rest.partition(".")
    if first.isdigit() and inner:
        rest = inner
    return f"{attributes[int(head)]}.{rest}"


def layer_of_key(key: str, attributes: tuple[str, ...]) -> int | None:
    """The spec layer index an exported key belongs to (None when no layer has it)."""
    attr = key.partition(".")[0]
    return attributes.index(attr) if attr in attributes else None


def built_key_map(spec: ArchSpec, built_keys: Iterable[str]) -> dict[str, str]:
    """``{built key: exported key}`` for the state-dict keys of ``build_module(spec)``."""
    attributes = layer_attributes(spec)
    return {key: export_key(key, attributes) for key in built_keys}
