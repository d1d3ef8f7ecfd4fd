"""The architecture spec: an immutable sequential CNN (input shape, class count, layers)
with canonical JSON and msgpack forms and a stable content hash for de-duplication.

The last layer is the output ``Dense(num_classes)`` (softmax is implied by the loss),
as in the original REMAP model set. A spec can be well-formed yet impossible (a kernel
larger than its input): :func:`remap.arch.shapes.validate` decides that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import msgpack

from remap.arch.errors import SpecFormatError
from remap.arch.layers import Layer, layer_from_dict, layer_to_dict

SPEC_VERSION = 1


@dataclass(frozen=True)
class ArchSpec:
    """A sequential CNN: ``input_shape`` is (channels, height, width)."""

    input_shape: tuple[int, int, int]
    num_classes: int
    layers: tuple[Layer, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples so the spec stays hashable.
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))

    # -- editing helpers (each returns a new spec) ---------------------------------
    def with_layers(self, layers: Sequence[Layer]) -> ArchSpec:
        return replace(self, layers=tuple(layers))

    @property
    def output_index(self) -> int:
        """Index of the output layer (never removed by experiments)."""
        return len(self.layers) - 1

    # -- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "layers": [layer_to_dict(layer) for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data: Any, *, min_classes: int = 2) -> ArchSpec:
        """Parse and check a spec document. ``min_classes`` is 2 for new input; the store
        passes 1 for what it already holds, because earlier versions accepted a one-class
        output and a workspace must stay readable (see ``remap.store.records``)."""
        if not isinstance(data, Mapping):
            raise SpecFormatError("", f"a spec must be an object, got {type(data).__name__}")
        extra = sorted(set(data) - {"version", "input_shape", "num_classes", "layers"})
        if extra:
            raise SpecFormatError(extra[0], "unknown field in a spec")
        version = data.get("version", SPEC_VERSION)
        if version != SPEC_VERSION:
            raise SpecFormatError("version", f"unsupported spec version {version!r}")
        shape = data.get("input_shape")
        if (
            not isinstance(shape, Sequence)
            or isinstance(shape, str)
            or len(shape) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape)
        ):
            raise SpecFormatError(
                "input_shape",
                f"expected [channels, height, width] of positive integers, got {shape!r}",
            )
        classes = data.get("num_classes")
        if isinstance(classes, bool) or not isinstance(classes, int) or classes < min_classes:
            raise SpecFormatError(
                "num_classes", f"expected an integer of at least {min_classes}, got {classes!r}"
            )
        layers = data.get("layers")
        if not isinstance(layers, Sequence) or isinstance(layers, str):
            raise SpecFormatError("layers", f"expected a list of layers, got {layers!r}")
        parsed = tuple(layer_from_dict(item, f"layers[{i}]") for i, item in enumerate(layers))
        return cls((shape[0], shape[1], shape[2]), classes, parsed)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace; equal specs give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, *, min_classes: int = 2) -> ArchSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecFormatError("", f"not valid JSON: {exc}") from None
        except RecursionError:
            raise SpecFormatError("", "JSON nested too deeply to read") from None
        return cls.from_dict(data, min_classes=min_classes)

    def to_msgpack(self) -> bytes:
        return msgpack.packb(self.to_dict(), use_bin_type=True)  # type: ignore[no-any-return]

    @classmethod
    def from_msgpack(cls, blob: bytes) -> ArchSpec:
        try:
            data = msgpack.unpackb(blob, raw=False)
        except Exception as exc:  # msgpack raises several unrelated types
            raise SpecFormatError("", f"not a valid msgpack spec: {exc}") from None
        return cls.from_dict(data)

    @property
    def content_hash(self) -> str:
        """Stable 16-hex-digit SHA-256 prefix of the canonical JSON."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def describe(self) -> str:
        """One line, e.g. ``Conv2D 3×3/16 → MaxPool 2 → Dense 10``."""
        return " → ".join(layer.describe() for layer in self.layers)
