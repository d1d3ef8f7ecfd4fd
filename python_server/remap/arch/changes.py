"""Change-log wording shared by every experiment, and the repair notes that say how a
removal or insertion changed what later layers receive (their weights are re-initialised).

One index rule for every change list: each entry's indices name the model as it is after
the entries before it (so a reader can replay the list on the parent), and the repair notes,
which come last, name the finished child's layers."""

from __future__ import annotations

from typing import Any

from remap.arch.layers import Conv2D, Dense, Layer
from remap.arch.shapes import ShapeReport, analyse
from remap.arch.spec import ArchSpec


def removed(layer: Layer, index: int) -> str:
    return f"Removed {layer.describe()} at index {index}"


def inserted(layer: Layer, index: int) -> str:
    return f"Inserted {layer.describe()} before index {index}"


def replaced(old: Layer, new: Layer, index: int) -> str:
    return f"Replaced {old.describe()} at index {index} with {new.describe()}"


def reparameterised(name: str, index: int, old: Any, new: Any) -> str:
    return f"Changed {name} at index {index} from {_fmt(old)} to {_fmt(new)}"


def moved(layer: Layer, old_index: int, new_index: int) -> str:
    return f"Moved {layer.describe()} from index {old_index} to {new_index}"


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _learned_inputs(report: ShapeReport) -> dict[int, tuple[Layer, int]]:
    """For each layer with weights that depend on its input size: (layer, input size)."""
    out: dict[int, tuple[Layer, int]] = {}
    for info in report.layers:
        if isinstance(info.layer, Dense):
            out[info.index] = (info.layer, info.input.size)
        elif isinstance(info.layer, Conv2D):
            out[info.index] = (info.layer, info.input.dims[0])
    return out


def repair_notes(parent: ArchSpec, child: ArchSpec, index_map: dict[int, int]) -> list[str]:
    """Notes for layers kept from the parent (``index_map``: child index → parent index)
    whose input size changed, e.g. ``Repaired Dense 10 at index 3: features 676 → 2704``.
    The index is the child's: the note comes after the changes that moved the layer."""
    before = _learned_inputs(analyse(parent))
    after = _learned_inputs(analyse(child))
    notes = []
    for child_index, (layer, size) in sorted(after.items()):
        parent_index = index_map.get(child_index)
        if parent_index is None or parent_index not in before:
            continue
        old_size = before[parent_index][1]
        if old_size != size:
            unit = "features" if isinstance(layer, Dense) else "input channels"
            notes.append(
                f"Repaired {layer.describe()} at index {child_index}: "
                f"{unit} {old_size} → {size} (weights re-initialised)"
            )
    return notes
