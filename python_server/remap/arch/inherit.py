"""Which layers of a child can start from its parent's trained weights.

A child layer inherits from a parent layer when both are the same layer (type and every
hyper-parameter) and see the same input and output shapes — then the parent's tensors fit it
exactly and mean the same thing. Child and parent layers are aligned as sequences (the
longest matching blocks, as ``difflib`` finds them), which follows removals, insertions and
replacements without having to replay the change list; only layers with weights matter.
"""

from __future__ import annotations

import difflib

from remap.arch.layers import BatchNorm, Conv2D, Dense
from remap.arch.shapes import analyse
from remap.arch.spec import ArchSpec

_WEIGHTED = (Conv2D, Dense, BatchNorm)


def _signatures(spec: ArchSpec) -> list[tuple[object, ...]] | None:
    report = analyse(spec)
    if report.error is not None:
        return None
    return [(info.layer, info.input.dims, info.output.dims) for info in report.layers]


def inheritable_layers(parent: ArchSpec, child: ArchSpec) -> dict[int, int]:
    """``{child layer index: parent layer index}`` for every child layer with weights that
    can take the parent's (same layer, same input and output shapes, aligned in order).
    Empty when either spec is impossible or the input shapes differ."""
    if parent.input_shape != child.input_shape:
        return {}
    ours, theirs = _signatures(child), _signatures(parent)
    if ours is None or theirs is None:
        return {}
    matcher = difflib.SequenceMatcher(a=theirs, b=ours, autojunk=False)
    out: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            p, c = block.a + k, block.b + k
            if isinstance(child.layers[c], _WEIGHTED):
                out[c] = p
    return out
