"""Hand-crafted edits: an ordered edit list (insert, remove, set a hyper-parameter, move)
applied to a parent, each validated, with the same change-log wording as the other
experiments. Indices refer to the model as it is after the previous edits, as in the
layer builder's edit log; the repair notes at the end name the finished child's layers.
Editing is not sampling: only a ``max_params`` ceiling the caller passes applies."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from remap.arch import changes
from remap.arch.errors import ArchError, SpecFormatError
from remap.arch.layers import Layer, layer_from_dict, layer_to_dict
from remap.arch.shapes import validate
from remap.arch.spec import ArchSpec

EDIT_OPS = ("insert", "remove", "set", "move")


@dataclass(frozen=True)
class CraftResult:
    spec: ArchSpec
    changes: tuple[str, ...]


def _index(edit: Mapping[str, Any], key: str, path: str, upper: int) -> int:
    value = edit.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecFormatError(f"{path}.{key}", f"expected an integer index, got {value!r}")
    if not 0 <= value <= upper:
        raise SpecFormatError(f"{path}.{key}", f"index {value} is out of range 0–{upper}")
    return value


def apply_edits(
    parent: ArchSpec,
    edits: Sequence[Mapping[str, Any]],
    max_params: int | None = None,
) -> CraftResult:
    """Apply ``edits`` such as ``{"op": "set", "index": 3, "field": "filters", "value": 16}``.
    Malformed edits raise :class:`SpecFormatError` naming ``edits[i].field``; the final
    model is validated (:class:`ArchError`). The output layer is never removed or moved,
    and its units stay the class count."""
    layers: list[Layer] = list(parent.layers)
    origin: list[int | None] = list(range(len(layers)))
    log: list[str] = []
    for n, edit in enumerate(edits):
        path = f"edits[{n}]"
        if not isinstance(edit, Mapping):
            raise SpecFormatError(path, "expected an object")
        op = edit.get("op")
        output = len(layers) - 1
        if op == "insert":
            index = _index(edit, "index", path, output)
            layer = layer_from_dict(edit.get("layer"), f"{path}.layer")
            layers.insert(index, layer)
            origin.insert(index, None)
            log.append(changes.inserted(layer, index))
        elif op == "remove":
            index = _index(edit, "index", path, output)
            if index == output:
                raise SpecFormatError(f"{path}.index", "the output layer is never removed")
            log.append(changes.removed(layers.pop(index), index))
            origin.pop(index)
        elif op == "set":
            index = _index(edit, "index", path, output)
            name = edit.get("field")
            layer = layers[index]
            fields = {f.name for f in dataclasses.fields(layer)}
            if not isinstance(name, str) or name not in fields:
                raise SpecFormatError(
                    f"{path}.field",
                    f"{layer.describe()} has no field {name!r}; it has {sorted(fields)}",
                )
            if index == output and name == "units":
                raise SpecFormatError(
                    f"{path}.field", "the output layer's units are the class count"
                )
            data = layer_to_dict(layer) | {name: edit.get("value")}
            new = layer_from_dict(data, f"{path}.value")
            log.append(
                changes.reparameterised(name, index, getattr(layer, name), getattr(new, name))
            )
            layers[index] = new
        elif op == "move":
            src = _index(edit, "from", path, output - 1)
            dst = _index(edit, "to", path, output - 1)
            layer = layers.pop(src)
            layers.insert(dst, layer)
            origin.insert(dst, origin.pop(src))
            log.append(changes.moved(layer, src, dst))
        else:
            raise SpecFormatError(
                f"{path}.op", f"expected one of {', '.join(EDIT_OPS)}, got {op!r}"
            )
    child = parent.with_layers(layers)
    validate(child, max_params)
    index_map = {i: o for i, o in enumerate(origin) if o is not None}
    return CraftResult(child, (*log, *changes.repair_notes(parent, child, index_map)))


__all__ = ["EDIT_OPS", "ArchError", "CraftResult", "apply_edits"]
