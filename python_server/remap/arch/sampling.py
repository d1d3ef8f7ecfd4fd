"""Random architectures from a layer-transition model (the original REMAP's Markov chain
over layer types), seeded and reproducible, with user-supplied tables and options.

The chain walks ``start → layer → … → end``; ``end`` appends the output Dense. After the
first Dense only dense, activation and dropout layers may follow. Models that are
impossible on the input shape or over the parameter budget are re-drawn.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from remap.arch.errors import ArchError, SpecFormatError
from remap.arch.layers import (
    ACTIVATIONS,
    Activation,
    AvgPool,
    Conv2D,
    Dense,
    Dropout,
    Layer,
    MaxPool,
)
from remap.arch.shapes import DEFAULT_MAX_PARAMS, validate
from remap.arch.spec import ArchSpec

STATES = ("start", "conv2d", "maxpool", "avgpool", "dense", "activation", "dropout", "end")
LAYER_STATES = STATES[1:-1]
AFTER_DENSE = frozenset({"dense", "activation", "dropout", "end"})

# The default chain favours conv stacks early and short classifier heads, like the
# original's sampled set (about 1.3 convs, 1 pool and 1 hidden dense per model).
DEFAULT_TRANSITIONS: dict[str, dict[str, float]] = {
    "start": {"conv2d": 0.7, "maxpool": 0.1, "avgpool": 0.1, "dense": 0.1},
    "conv2d": {
        "conv2d": 0.25, "maxpool": 0.15, "avgpool": 0.15, "activation": 0.25,
        "dropout": 0.05, "dense": 0.1, "end": 0.05,
    },
    "maxpool": {"conv2d": 0.4, "activation": 0.1, "dropout": 0.15, "dense": 0.2, "end": 0.15},
    "avgpool": {"conv2d": 0.4, "activation": 0.1, "dropout": 0.15, "dense": 0.2, "end": 0.15},
    "dense": {"dense": 0.15, "activation": 0.35, "dropout": 0.2, "end": 0.3},
    "activation": {
        "conv2d": 0.25, "maxpool": 0.15, "avgpool": 0.1, "dropout": 0.15, "dense": 0.15,
        "end": 0.2,
    },
    "dropout": {"conv2d": 0.2, "maxpool": 0.05, "avgpool": 0.05, "dense": 0.3, "end": 0.4},
}  # fmt: skip


@dataclass(frozen=True)
class HyperOptions:
    """Allowed hyper-parameter values (also used by variation's reparameterise/replace)."""

    conv_kernels: tuple[int, ...] = (1, 3, 5)
    conv_filters: tuple[int, ...] = (16, 32, 64, 128)
    pool_sizes: tuple[int, ...] = (2, 3, 5)
    dense_units: tuple[int, ...] = (16, 64, 128, 256)
    activations: tuple[str, ...] = ("relu", "tanh", "sigmoid")
    dropout_rates: tuple[float, ...] = tuple(i / 8 for i in range(1, 8))

    def values_for(self, layer_type: str, name: str) -> tuple[Any, ...]:
        """Allowed values of one hyper-parameter, or () when it is not varied."""
        table: dict[tuple[str, str], tuple[Any, ...]] = {
            ("conv2d", "kernel_size"): self.conv_kernels,
            ("conv2d", "filters"): self.conv_filters,
            ("maxpool", "size"): self.pool_sizes,
            ("avgpool", "size"): self.pool_sizes,
            ("dense", "units"): self.dense_units,
            ("activation", "function"): self.activations,
            ("dropout", "rate"): self.dropout_rates,
        }
        return table.get((layer_type, name), ())

    def tunable(self, layer_type: str) -> tuple[str, ...]:
        names = ("kernel_size", "filters", "size", "units", "function", "rate")
        return tuple(n for n in names if len(self.values_for(layer_type, n)) > 1)


@dataclass(frozen=True)
class TransitionModel:
    """A layer-type Markov chain plus hyper-parameter options and a depth limit."""

    transitions: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: DEFAULT_TRANSITIONS
    )
    options: HyperOptions = field(default_factory=HyperOptions)
    max_hidden_layers: int = 14

    @classmethod
    def from_dict(cls, data: Any) -> TransitionModel:
        """Parse a user table: ``{"transitions": {state: {state: weight}}, "options":
        {...}, "max_hidden_layers": n}``; every bad entry names its field."""
        if not isinstance(data, Mapping):
            raise SpecFormatError("", "a transition model must be an object")
        table = data.get("transitions", DEFAULT_TRANSITIONS)
        if not isinstance(table, Mapping):
            raise SpecFormatError("transitions", "expected an object of objects")
        parsed: dict[str, dict[str, float]] = {}
        for src, row in table.items():
            if src not in STATES or src == "end":
                raise SpecFormatError(f"transitions.{src}", f"unknown state; use {STATES[:-1]}")
            if not isinstance(row, Mapping) or not row:
                raise SpecFormatError(f"transitions.{src}", "expected a non-empty object")
            parsed[src] = {}
            for dst, weight in row.items():
                if dst not in STATES or dst == "start":
                    raise SpecFormatError(f"transitions.{src}.{dst}", "unknown target state")
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                    raise SpecFormatError(f"transitions.{src}.{dst}", "weight must be ≥ 0")
                parsed[src][dst] = float(weight)
        if "start" not in parsed:
            raise SpecFormatError("transitions.start", "missing")
        opts = data.get("options", {})
        if not isinstance(opts, Mapping):
            raise SpecFormatError("options", "expected an object")
        fields = HyperOptions.__dataclass_fields__
        kwargs: dict[str, tuple[Any, ...]] = {}
        for key, values in opts.items():
            if key not in fields:
                raise SpecFormatError(f"options.{key}", "unknown option")
            if not isinstance(values, list) or not values:
                raise SpecFormatError(f"options.{key}", "expected a non-empty list")
            kwargs[key] = tuple(values)
        max_hidden = data.get("max_hidden_layers", 14)
        if isinstance(max_hidden, bool) or not isinstance(max_hidden, int) or max_hidden < 0:
            raise SpecFormatError("max_hidden_layers", "expected a non-negative integer")
        return cls(parsed, HyperOptions(**kwargs), max_hidden)  # type: ignore[arg-type]

    def next_state(self, rng: random.Random, state: str, after_dense: bool, depth: int) -> str:
        """Draw the next layer type (or ``end``) respecting the after-Dense rule."""
        row = dict(self.transitions.get(state, {"end": 1.0}))
        if after_dense:
            row = {k: v for k, v in row.items() if k in AFTER_DENSE}
        if depth >= self.max_hidden_layers:
            return "end"
        total = sum(row.values())
        if total <= 0:
            return "end"
        pick = rng.random() * total
        for dst, weight in row.items():
            pick -= weight
            if pick < 0:
                return dst
        return "end"

    def random_layer(self, rng: random.Random, layer_type: str) -> Layer:
        """A layer of ``layer_type`` with hyper-parameters drawn from the options."""
        o = self.options
        if layer_type == "conv2d":
            return Conv2D(
                kernel_size=rng.choice(o.conv_kernels), filters=rng.choice(o.conv_filters)
            )
        if layer_type == "maxpool":
            return MaxPool(size=rng.choice(o.pool_sizes))
        if layer_type == "avgpool":
            return AvgPool(size=rng.choice(o.pool_sizes))
        if layer_type == "dense":
            return Dense(units=rng.choice(o.dense_units))
        if layer_type == "activation":
            fn = rng.choice(o.activations)
            if fn not in ACTIVATIONS:
                raise SpecFormatError("options.activations", f"unknown activation {fn!r}")
            return Activation(function=fn)  # type: ignore[arg-type]
        if layer_type == "dropout":
            return Dropout(rate=float(rng.choice(o.dropout_rates)))
        raise SpecFormatError("transitions", f"cannot sample a {layer_type!r} layer")


def sample_chain(
    rng: random.Random, model: TransitionModel, input_shape: tuple[int, int, int], num_classes: int
) -> ArchSpec:
    """One walk of the chain (not yet validated)."""
    layers: list[Layer] = []
    state, after_dense = "start", False
    while True:
        state = model.next_state(rng, state, after_dense, len(layers))
        if state == "end":
            break
        layers.append(model.random_layer(rng, state))
        after_dense = after_dense or state == "dense"
    layers.append(Dense(units=num_classes))
    return ArchSpec(input_shape, num_classes, tuple(layers))


def sample_architectures(
    n: int,
    input_shape: tuple[int, int, int],
    num_classes: int,
    seed: int = 0,
    max_params: int = DEFAULT_MAX_PARAMS,
    model: TransitionModel | None = None,
    *,
    exclude: frozenset[str] = frozenset(),
    max_attempts: int = 10_000,
) -> list[ArchSpec]:
    """``n`` distinct valid architectures; the same arguments always give the same list.
    ``exclude`` holds content hashes that must not be produced (e.g. models already stored)."""
    rng = random.Random(seed)
    model = model or TransitionModel()
    seen = set(exclude)
    out: list[ArchSpec] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > max_attempts:
            raise ArchError(
                None,
                "sampler",
                f"found only {len(out)} of {n} distinct valid models in {max_attempts} draws; "
                "loosen the parameter budget or the transition table",
            )
        spec = sample_chain(rng, model, input_shape, num_classes)
        try:
            validate(spec, max_params)
        except ArchError:
            continue
        if spec.content_hash in seen:
            continue
        seen.add(spec.content_hash)
        out.append(spec)
    return out
