"""Ablation: one child per selected layer with that layer removed (all layers when none
are selected); the output layer is never removed. Layers whose input changes are
repaired and the repair is written into the change list; a removal that makes the model
impossible is reported with the reason, never dropped silently. Ablating an existing model
is not sampling: the sampling budget does not apply, only a ``max_params`` ceiling the
caller passes (the service's limit on what REMAP trains)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from remap.arch import changes
from remap.arch.errors import ArchError
from remap.arch.shapes import validate
from remap.arch.spec import ArchSpec


@dataclass(frozen=True)
class AblationChild:
    """The child that removes ``removed_index``; ``spec`` is None when it is impossible."""

    removed_index: int
    spec: ArchSpec | None
    changes: tuple[str, ...]
    error: str | None = None


def ablate(
    parent: ArchSpec,
    indices: Sequence[int] | None = None,
    max_params: int | None = None,
) -> list[AblationChild]:
    """Children in index order. Raises :class:`ArchError` for an index that is out of
    range or names the output layer. A child over ``max_params`` (None: no ceiling) is
    reported as impossible."""
    hidden = range(parent.output_index)
    selected = list(hidden) if not indices else sorted(set(indices))
    for index in selected:
        if index == parent.output_index:
            raise ArchError(
                index, parent.layers[index].describe(), "the output layer is never removed"
            )
        if index not in hidden:
            raise ArchError(
                index, "ablation", f"no such layer; the model has layers 0–{parent.output_index}"
            )
    children = []
    for index in selected:
        layer = parent.layers[index]
        child = parent.with_layers(parent.layers[:index] + parent.layers[index + 1 :])
        index_map = {i if i < index else i - 1: i for i in range(len(parent.layers)) if i != index}
        log = [changes.removed(layer, index), *changes.repair_notes(parent, child, index_map)]
        try:
            validate(child, max_params)
        except ArchError as exc:
            children.append(
                AblationChild(index, None, tuple(log), f"{log[0]} is impossible: {exc}")
            )
            continue
        children.append(AblationChild(index, child, tuple(log)))
    return children
