"""Random specs over REMAP's full layer vocabulary for the codegen tests (conv stride and
padding, max/avg pool stride and padding, dense, every activation, dropout, batch norm,
global average pooling, flatten, vector→image reshapes), plus checks of the generator."""

from __future__ import annotations

import random

from remap.arch.errors import ArchError
from remap.arch.layers import (
    ACTIVATIONS,
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
from remap.arch.shapes import TensorShape, analyse, infer_layer
from remap.arch.spec import ArchSpec


def random_layer(rng: random.Random) -> Layer:
    kind = rng.choice(["conv", "conv", "max", "avg", "dense", "act", "drop", "bn", "gap", "flat"])
    if kind == "conv":
        k = rng.randint(1, 5)
        padding = rng.choice(["valid", "same"]) if k % 2 else "valid"
        return Conv2D(k, rng.randint(1, 12), rng.choice([1, 1, 2, 3]), padding)
    if kind in ("max", "avg"):
        cls = MaxPool if kind == "max" else AvgPool
        return cls(rng.randint(1, 4), rng.randint(1, 3), rng.choice(["valid", "same"]))
    if kind == "dense":
        return Dense(rng.choice([4, 9, 16, 25, 36, rng.randint(1, 40)]))
    if kind == "act":
        return Activation(rng.choice(ACTIVATIONS))  # type: ignore[arg-type]
    if kind == "drop":
        return Dropout(rng.choice([0.0, 0.5, round(rng.random() * 0.9, 3), rng.random() * 0.99]))
    return {"bn": BatchNorm(), "gap": GlobalAvgPool(), "flat": Flatten()}[kind]


def random_spec(rng: random.Random, max_layers: int = 9) -> ArchSpec:
    """A valid spec of up to ``max_layers`` hidden layers and the output Dense."""
    shape = (rng.choice([1, 1, 3]), rng.randint(5, 30), 0)
    shape = (shape[0], shape[1], shape[1])
    classes = rng.randint(2, 12)
    layers: list[Layer] = []
    current = TensorShape(shape)
    target = rng.randint(0, max_layers)
    for _ in range(60):
        if len(layers) >= target:
            break
        layer = random_layer(rng)
        try:
            info = infer_layer(len(layers), layer, current)
        except ArchError:
            continue
        if info.output.size > 6000 or info.params > 50_000:
            continue
        layers.append(layer)
        current = info.output
    layers.append(Dense(classes))
    spec = ArchSpec(shape, classes, tuple(layers))
    assert analyse(spec).ok, spec
    return spec


def random_specs(n: int, seed: int) -> list[ArchSpec]:
    rng = random.Random(seed)
    return [random_spec(rng) for _ in range(n)]


def test_generator_covers_the_vocabulary() -> None:
    specs = random_specs(200, seed=1)
    kinds = {layer.type for spec in specs for layer in spec.layers}
    assert kinds == {
        "conv2d", "maxpool", "avgpool", "dense", "activation", "dropout", "batchnorm",
        "globalavgpool", "flatten",
    }  # fmt: skip
    reshaped = [info for spec in specs for info in analyse(spec).layers if info.reshaped]
    assert reshaped, "some conv or pool should receive a vector"
    same = [y for s in specs for y in s.layers if getattr(y, "padding", "") == "same"]
    assert same and any(getattr(y, "stride", 1) > 1 for y in same)


def test_generator_is_reproducible() -> None:
    assert random_specs(20, seed=5) == random_specs(20, seed=5)
    assert random_specs(20, seed=5) != random_specs(20, seed=6)
