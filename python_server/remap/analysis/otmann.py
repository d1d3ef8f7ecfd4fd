"""OTMANN, the optimal-transport distance between neural architectures (NASBOT, Kandasamy
et al. 2018) as the original REMAP computed it: its parameters, and the conversion of an
:class:`~remap.arch.spec.ArchSpec` into the labelled chain the distance is defined on.

The solvers live elsewhere: :mod:`remap.analysis.otmann_fast` (the all-pairs engine) and
:mod:`remap.analysis.otmann_reference` (a direct POT implementation used as the oracle).

**Definition.** A model becomes the chain ``ip → layers… → softmax → op``; every node has a
label, a unit count and a mass. The distance between chains G1 and G2 is the optimal
transport cost with cost ``label_coeff · mismatch(l_i, l_j) + structural_coeff · s_ij``,
plus a dummy row and column at ``non_assignment_penalty`` (dummy–dummy 0); the supplies are
G1's masses and G2's total mass, the demands G2's masses and G1's total mass. ``s_ij`` is
``½ (mean |δ_ip(i) − δ_ip(j)| + mean |δ_op(i) − δ_op(j)|)`` over the twelve path kinds
{all, conv, pool, fc} × {shortest, longest, random-walk}; a group's path length counts the
edges that leave layers of the group. On a chain the three path types coincide. With
``normalise`` the cost is divided by the total mass M1 + M2 (so it lies in
[0, non_assignment_penalty]); the original did not normalise. Unnormalised OTMANN is a
pseudo-metric with these costs (symmetric, zero on identical chains, triangle inequality);
normalising trades the triangle inequality for a size-independent scale.

**Nodes.** Units: conv filters, dense units; every other layer keeps its input's units.
Mass: conv and dense ``in · out``; pooling (sized or global) ``in``; activation, dropout
and batch norm ``in · in`` (the original treats channel-preserving processing layers as
layers with out = in, and batch norm is one more of them); ``ip``, ``softmax`` and ``op``
each ``max(io_mass_fraction · Σ processing mass, io_mass_min)`` = max(0.1 Σ, 100). The
output ``Dense(num_classes)`` stays a ``dense`` node before ``softmax``.

**Labels and mismatch costs** (unlisted pairs are infinite: never matched):

- ``conv{k}`` whatever the stride or padding (the original had stride 1, no padding).
  Sizes a ≠ b cost ``size_near`` (0.2) when ``|a − b| ≤ size_near_limit`` (2), otherwise
  ``size_far`` (0.3): this rule reproduces the original table exactly (conv1–3 0.2,
  conv3–5 0.2, conv1–5 0.3; pool2–3 0.2, pool3–5 0.2, pool2–5 0.3) and extends it to
  any kernel size.
- Pooling: ``pool{size}`` for both max and avg in the original (:meth:`OtmannParams.remap`);
  with ``distinguish_pool_types`` (:meth:`OtmannParams.default`) ``maxpool{size}`` and
  ``avgpool{size}``, where max vs avg adds ``pool_type_mismatch`` (0.15) to the size cost.
  The pool stride does not enter the label. ``globalavgpool`` is a pooling layer of
  unbounded size: ``size_far`` against any sized pool (plus the type cost against max).
- ``relu``/``tanh``/``sigmoid`` as the original (tanh–relu 0.25, tanh–sigmoid 0.1,
  relu–sigmoid 0.25); ``leaky_relu``–relu 0.05, ``gelu``–relu 0.1, gelu–leaky_relu 0.1,
  and 0.25 between either of them and tanh or sigmoid. These extra entries are in both
  presets (they do not change any distance between original-vocabulary models).
- ``dense``, ``dropout`` (whatever the rate), ``batchnorm``, ``ip``, ``softmax``, ``op``:
  only equal labels match.
- ``Flatten`` is a zero-cost pass-through and is dropped from the chain: in a graph of
  units (channels) it changes nothing, so a model with an explicit Flatten is at distance
  0 from the same model without it.

**Groups** for path lengths: ``all`` (every node), ``conv`` (conv layers), ``pool``
(pooling layers) and ``fc`` (dense layers). In the original only ``all`` and ``conv``
were non-empty; the empty groups have all-zero path lengths that still count in the mean
of twelve. :meth:`OtmannParams.remap` keeps that (``full_layer_groups=False``), the default
fills them.

**Channels.** The original's graph has 1 input unit and each layer takes the units of the
previous node (so a conv after a dense would take the dense's units — the test vector
cannot confirm this, the original's sampler never put one there). With ``physical_channels``
(our default) the input has the spec's channel count and a conv or pool that reshapes a
vector into an image takes 1 channel, as the tensors do; for 1-channel inputs without such
reshapes both agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

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

GROUPS: tuple[str, ...] = ("all", "conv", "pool", "fc")
PATH_TYPES: tuple[str, ...] = ("shortest", "longest", "random-walk")
IO_LABELS: tuple[str, ...] = ("ip", "softmax", "op")
GLOBAL_POOL = "globalavgpool"

_ORIGINAL_TABLE: tuple[tuple[str, str, float], ...] = (
    ("tanh", "relu", 0.25),
    ("tanh", "sigmoid", 0.1),
    ("relu", "sigmoid", 0.25),
)
_EXTRA_ACTIVATIONS: tuple[tuple[str, str, float], ...] = (
    ("leaky_relu", "relu", 0.05),
    ("gelu", "relu", 0.1),
    ("gelu", "leaky_relu", 0.1),
    ("gelu", "tanh", 0.25),
    ("gelu", "sigmoid", 0.25),
    ("leaky_relu", "tanh", 0.25),
    ("leaky_relu", "sigmoid", 0.25),
)
_CONV_RE = re.compile(r"^conv(\d+)$")
_POOL_RE = re.compile(r"^(pool|maxpool|avgpool)(\d+)$")


@dataclass(frozen=True)
class OtmannParams:
    """Every knob of the distance. ``label_mismatch`` lists explicit symmetric label pairs
    (they take precedence); the conv/pool size families follow the ``size_*`` rule and
    ``pool_type_mismatch`` (see the module docstring). The field defaults are our preset,
    :meth:`remap` the original's."""

    label_mismatch: tuple[tuple[str, str, float], ...] = _ORIGINAL_TABLE + _EXTRA_ACTIVATIONS
    non_assignment_penalty: float = 1.0
    structural_coeff: float = 1.0
    label_coeff: float = 1.0
    normalise: bool = False
    distinguish_pool_types: bool = True
    size_near: float = 0.2
    size_far: float = 0.3
    size_near_limit: int = 2
    pool_type_mismatch: float = 0.15
    full_layer_groups: bool = True
    physical_channels: bool = True
    io_mass_fraction: float = 0.1
    io_mass_min: float = 100.0

    def __post_init__(self) -> None:
        checks = {
            "non_assignment_penalty": self.non_assignment_penalty > 0,
            "structural_coeff": self.structural_coeff >= 0,
            "label_coeff": self.label_coeff >= 0,
            "size_near": self.size_near >= 0,
            "size_far": self.size_far >= 0,
            "size_near_limit": self.size_near_limit >= 0,
            "pool_type_mismatch": self.pool_type_mismatch >= 0,
            "io_mass_fraction": self.io_mass_fraction >= 0,
            "io_mass_min": self.io_mass_min > 0,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or not math.isfinite(value):
                raise ValueError(f"OtmannParams.{name}: invalid value {value!r}")
        for a, b, cost in self.label_mismatch:
            if not (cost >= 0):  # also rejects NaN
                raise ValueError(f"OtmannParams.label_mismatch: cost {cost!r} for {a}–{b}")

    @classmethod
    def remap(cls) -> OtmannParams:
        """The original REMAP's parameterisation (reproduces its distance matrix)."""
        return cls(distinguish_pool_types=False, full_layer_groups=False, physical_channels=False)

    @classmethod
    def default(cls) -> OtmannParams:
        """Ours: max and avg pooling distinguishable, all path groups, real channel counts."""
        return cls()

    def label_cost(self, a: str, b: str) -> float:
        """The unscaled mismatch cost between two labels (``inf``: never matched)."""
        if a == b:
            return 0.0
        for x, y, cost in self.label_mismatch:
            if (x == a and y == b) or (x == b and y == a):
                return float(cost)
        ca, cb = _CONV_RE.match(a), _CONV_RE.match(b)
        if ca and cb:
            return self._size_cost(int(ca.group(1)), int(cb.group(1)))
        pa, pb = _pool_parts(a), _pool_parts(b)
        if pa is not None and pb is not None:
            (kind_a, size_a), (kind_b, size_b) = pa, pb
            if size_a is None or size_b is None:
                cost = self.size_far if size_a != size_b else 0.0
            else:
                cost = self._size_cost(size_a, size_b)
            if "max" in (kind_a, kind_b) and kind_a != kind_b:
                cost += self.pool_type_mismatch
            return cost
        return math.inf

    def _size_cost(self, a: int, b: int) -> float:
        if a == b:
            return 0.0
        return self.size_near if abs(a - b) <= self.size_near_limit else self.size_far


def _pool_parts(label: str) -> tuple[str, int | None] | None:
    """(kind, size) of a pooling label: kind is pool/max/avg (global average is avg)."""
    if label == GLOBAL_POOL:
        return ("avg", None)
    match = _POOL_RE.match(label)
    if match is None:
        return None
    kind = {"pool": "pool", "maxpool": "max", "avgpool": "avg"}[match.group(1)]
    return (kind, int(match.group(2)))


def in_group(label: str, group: str, params: OtmannParams) -> bool:
    """Whether a node with this label belongs to a path-length group."""
    if group == "all":
        return True
    if group == "conv":
        return _CONV_RE.match(label) is not None
    if not params.full_layer_groups:
        return False
    if group == "pool":
        return _pool_parts(label) is not None
    if group == "fc":
        return label == "dense"
    raise ValueError(f"unknown layer group {group!r}")


@lru_cache(maxsize=4096)
def _group_flags(label: str, params: OtmannParams) -> tuple[bool, ...]:
    return tuple(in_group(label, g, params) for g in GROUPS)


@dataclass(frozen=True, eq=False)
class OtmannGraph:
    """The labelled chain of one model. ``dist_from_ip[g, i]`` / ``dist_to_op[g, i]`` are the
    path lengths of node i for group ``GROUPS[g]`` (identical for the three path types on a
    chain); ``key`` is equal for graphs that are identical (their distance is exactly 0)."""

    labels: tuple[str, ...]
    units: tuple[int, ...]
    masses: NDArray[np.float64]
    dist_from_ip: NDArray[np.float64]
    dist_to_op: NDArray[np.float64]

    @property
    def total_mass(self) -> float:
        return float(self.masses.sum())

    @property
    def key(self) -> tuple[object, ...]:
        return (self.labels, self.masses.tobytes(), self.dist_from_ip.tobytes())


def layer_node(layer: Layer, params: OtmannParams) -> tuple[str, str] | None:
    """(label, mass kind) of a layer, or None for a dropped pass-through (Flatten). Mass
    kinds: ``inout`` (in · out), ``in`` and ``inin`` (in · in)."""
    if isinstance(layer, Conv2D):
        return f"conv{layer.kernel_size}", "inout"
    if isinstance(layer, (MaxPool, AvgPool)):
        if not params.distinguish_pool_types:
            return f"pool{layer.size}", "in"
        prefix = "maxpool" if isinstance(layer, MaxPool) else "avgpool"
        return f"{prefix}{layer.size}", "in"
    if isinstance(layer, GlobalAvgPool):
        return GLOBAL_POOL, "in"
    if isinstance(layer, Dense):
        return "dense", "inout"
    if isinstance(layer, Activation):
        return layer.function, "inin"
    if isinstance(layer, Dropout):
        return "dropout", "inin"
    if isinstance(layer, BatchNorm):
        return "batchnorm", "inin"
    if isinstance(layer, Flatten):
        return None
    raise ValueError(f"OTMANN has no label for layer {layer!r}")


def spec_to_graph(spec: ArchSpec, params: OtmannParams | None = None) -> OtmannGraph:
    """The chain ``ip → layers… → softmax → op`` of a spec with labels, units and masses.
    Results are memoised per (spec, params); their arrays are read-only."""
    return _spec_to_graph(spec, params or OtmannParams.default())


@lru_cache(maxsize=16384)
def _spec_to_graph(spec: ArchSpec, params: OtmannParams) -> OtmannGraph:
    channels = spec.input_shape[0] if params.physical_channels else 1
    labels, units, masses = ["ip"], [channels], [math.nan]
    is_image = True
    for index, layer in enumerate(spec.layers):
        try:
            node = layer_node(layer, params)
        except ValueError as exc:
            raise ValueError(f"layer {index}: {exc}") from None
        if isinstance(layer, (Dense, GlobalAvgPool, Flatten)):
            reshaped, is_image = False, False
        else:
            reshaped = isinstance(layer, (Conv2D, MaxPool, AvgPool)) and not is_image
            is_image = is_image or reshaped
        if node is None:
            continue
        label, kind = node
        fan_in = 1 if (reshaped and params.physical_channels) else units[-1]
        if isinstance(layer, Conv2D):
            out = layer.filters
        elif isinstance(layer, Dense):
            out = layer.units
        else:
            out = fan_in
        mass = {"inout": fan_in * out, "in": fan_in, "inin": fan_in * fan_in}[kind]
        labels.append(label)
        units.append(out)
        masses.append(float(mass))
    processing = math.fsum(masses[1:])
    io_mass = max(params.io_mass_fraction * processing, params.io_mass_min)
    labels += ["softmax", "op"]
    units += [units[-1], units[-1]]
    mass_array = np.array([io_mass, *masses[1:], io_mass, io_mass], dtype=np.float64)
    from_ip, to_op = _chain_path_lengths(labels, params)
    for array in (mass_array, from_ip, to_op):
        array.flags.writeable = False
    return OtmannGraph(tuple(labels), tuple(units), mass_array, from_ip, to_op)


def _chain_path_lengths(
    labels: Sequence[str], params: OtmannParams
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per group: edges leaving group members on ip→i and on i→op. On a chain the path is
    unique, so its shortest, longest and random-walk lengths are this one number."""
    member = np.array([_group_flags(lab, params) for lab in labels], dtype=float).T
    from_ip = np.zeros_like(member)
    from_ip[:, 1:] = np.cumsum(member[:, :-1], axis=1)
    to_op = np.zeros_like(member)
    to_op[:, :-1] = np.cumsum(member[:, :-1][:, ::-1], axis=1)[:, ::-1]
    return from_ip, to_op


def graphs(specs: Sequence[ArchSpec], params: OtmannParams) -> list[OtmannGraph]:
    """:func:`spec_to_graph` over a list; errors name the model's position."""
    out = []
    for i, spec in enumerate(specs):
        try:
            out.append(spec_to_graph(spec, params))
        except ValueError as exc:
            raise ValueError(f"model {i}: {exc}") from None
    return out
