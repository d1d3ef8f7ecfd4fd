"""Turning the ops read from source into REMAP layers, with the flatten rule that makes
export → import the identity:

- ``nn.Flatten()`` (a module) is always a Flatten layer;
- a functional flatten (``torch.flatten(x, 1)``, ``x.flatten(1)``, ``x.view(x.size(0), -1)``)
  right before an ``nn.Linear`` is dropped, since a REMAP Dense flattens by itself; anywhere
  else it is a Flatten layer;
- the first flatten after ``nn.AdaptiveAvgPool2d(1)`` belongs to the GlobalAvgPool;
- ``x.view(-1, 1, s, s)`` before a conv or pool is dropped (REMAP reshapes a vector into a
  1-channel square image itself) and a trailing softmax/log-softmax is dropped (implied).

The tensor's rank in the source is tracked so that a Linear receiving an image (PyTorch
would apply it to the last axis only) or a conv receiving a vector becomes a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from remap.arch.layers import (
    AvgPool,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
)
from remap.codegen.imported import InputCheck, Mismatch
from remap.codegen.scope import Unmappable
from remap.codegen.torchmap import Op


@dataclass
class Lowered:
    layers: list[Layer] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    declared: list[int | None] = field(default_factory=list)
    checks: list[InputCheck] = field(default_factory=list)
    notes: list[Mismatch] = field(default_factory=list)

    def add(self, layer: Layer, line: int, declared: int | None = None) -> None:
        self.layers.append(layer)
        self.lines.append(line)
        self.declared.append(declared)


def _is_dense(op: Op | None) -> bool:
    return op is not None and op.kind == "layer" and isinstance(op.layer, Dense)


def lower(ops: list[Op]) -> Lowered:
    """REMAP layers (with lines, declared sizes, checks and notes) for a list of ops."""
    out = Lowered()
    # The source's tensor: 4 = (N, C, H, W), 2 = (N, features). A model that starts with
    # a Linear is fed flat vectors by its caller (REMAP's Dense flattens the image).
    rank = 2 if ops and _is_dense(ops[0]) else 4
    pending_gap = False  # after AdaptiveAvgPool2d(1) and before its flatten
    for i, op in enumerate(ops):
        following = ops[i + 1] if i + 1 < len(ops) else None
        position = len(out.layers)
        if op.declared is not None:
            kind = op.declared_kind or "features"
            out.checks.append(
                InputCheck(
                    position,
                    op.line,
                    kind,
                    op.declared,
                    op.label,
                    op.declared_at,
                    op.declared_param,
                )
            )
        if op.kind == "softmax":
            if following is not None:
                raise Unmappable("softmax before the last layer", op.line)
        elif op.kind == "flatten":
            if not pending_gap and (op.module or not _is_dense(following)):
                out.add(Flatten(), op.line)
            pending_gap, rank = False, 2
        elif op.kind == "reshape":
            if rank == 4:
                raise Unmappable(f"{op.label} of an image (REMAP reshapes vectors only)", op.line)
            side = op.side
            out.checks.append(InputCheck(position, op.line, "features", side * side, op.label))
            rank = 4
        elif op.kind in ("gap", "gap_vector"):
            out.add(GlobalAvgPool(), op.line)
            pending_gap, rank = op.kind == "gap", 4 if op.kind == "gap" else 2
        elif op.layer is not None:
            rank, pending_gap = _layer(out, op, rank, pending_gap, position)
    return out


def _layer(out: Lowered, op: Op, rank: int, pending_gap: bool, position: int) -> tuple[int, bool]:
    layer = op.layer
    assert layer is not None
    name = op.label or layer.describe()
    if isinstance(layer, (Conv2D, MaxPool, AvgPool)):
        if pending_gap:
            raise Unmappable(
                f"{name} after an adaptive average pool (flatten it first: REMAP's "
                "GlobalAvgPool gives a vector)",
                op.line,
            )
        if rank == 2:
            out.notes.append(
                Mismatch(
                    position,
                    op.line,
                    f"{name} receives a vector here: reshape it first, "
                    "e.g. x.view(-1, 1, side, side)",
                )
            )
        rank = 4
    elif isinstance(layer, Dense):
        if rank == 4:
            out.notes.append(
                Mismatch(
                    position,
                    op.line,
                    f"{name} receives an image here: PyTorch applies nn.Linear to the last "
                    "axis only; flatten first with torch.flatten(x, 1)",
                )
            )
        rank, pending_gap = 2, False
    elif isinstance(layer, BatchNorm) and op.rank and op.rank != rank and not pending_gap:
        wanted = "nn.BatchNorm2d" if rank == 4 else "nn.BatchNorm1d"
        got = "an image" if rank == 4 else "a vector"
        out.notes.append(Mismatch(position, op.line, f"{name} receives {got} here: use {wanted}"))
    out.add(layer, op.line, op.declared)
    return rank, pending_gap
