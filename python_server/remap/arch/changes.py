"""Change-log wording shared by every experiment, and the repair notes that say how a
removal or insertion changed what later layers receive (their weights are re-initialised)."""

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
    Indices are the parent's, like every other entry of a change list."""
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
                f"Repaired {layer.describe()} at index {parent_index}: "
                f"{unit} {old_size} → {size} (weights re-initialised)"
            )
    return notes
