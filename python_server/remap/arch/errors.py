"""Errors raised by the architecture layer; each names the layer or field at fault."""

from __future__ import annotations


class SpecFormatError(ValueError):
    """A spec document (JSON, msgpack, dict) is malformed; `path` names the field, e.g.
    ``layers[3].kernel_size``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class ArchError(ValueError):
    """A well-formed spec describes an impossible model; names the layer index, the layer
    and the reason, e.g. ``layer 3 (Conv2D 5×5/16): kernel 5 is larger than the 3×3 input``."""

    def __init__(self, index: int | None, layer: str, reason: str) -> None:
        self.index = index
        self.layer = layer
        self.reason = reason
        where = f"layer {index} ({layer})" if index is not None else layer
        super().__init__(f"{where}: {reason}" if where else reason)
