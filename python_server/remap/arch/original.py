"""Import of the original REMAP layer JSON (``models.json``: ``input_shape``,
``num_classes``, ``models: [{id, layers}]``) into specs with the original semantics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remap.arch.errors import SpecFormatError
from remap.arch.layers import Activation, AvgPool, Conv2D, Dense, Dropout, Layer, MaxPool
from remap.arch.spec import ArchSpec
from remap.files import FileReadError, read_regular_file


@dataclass(frozen=True)
class ModelSetEntry:
    """One model of a model-set file: its id, spec and whatever else the file recorded."""

    id: str
    spec: ArchSpec
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class ModelSet:
    input_shape: tuple[int, int, int]
    num_classes: int
    classes: tuple[str, ...]
    models: tuple[ModelSetEntry, ...]

    def by_id(self, model_id: str) -> ModelSetEntry:
        for entry in self.models:
            if entry.id == model_id:
                return entry
        raise KeyError(model_id)


def _int(value: Any, path: str) -> int:
    # The original stores some integers as strings ("strides": "1").
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SpecFormatError(path, f"expected an integer, got {value!r}") from None
    if number < 1 or (isinstance(value, float) and value != number):
        raise SpecFormatError(path, f"expected a positive integer, got {value!r}")
    return number


def original_layer(data: Any, path: str) -> Layer:
    """One layer of the original vocabulary (Conv2D, MaxPool/MaxPooling2D,
    AveragePooling2D, Dense, Activation, Dropout)."""
    if not isinstance(data, Mapping):
        raise SpecFormatError(path, "expected an object")
    kind = data.get("type")
    if kind == "Conv2D":
        return Conv2D(
            kernel_size=_int(data.get("kernel_size"), f"{path}.kernel_size"),
            filters=_int(data.get("filters"), f"{path}.filters"),
            stride=_int(data.get("strides", 1), f"{path}.strides"),
        )
    if kind in ("MaxPool", "MaxPooling2D", "AveragePooling2D", "AvgPool"):
        size = _int(data.get("pool_size"), f"{path}.pool_size")
        cls = MaxPool if kind.startswith("Max") else AvgPool
        return cls(size=size, stride=2)
    if kind == "Dense":
        return Dense(units=_int(data.get("units"), f"{path}.units"))
    if kind == "Activation":
        fn = data.get("activation")
        if fn not in ("relu", "tanh", "sigmoid"):
            raise SpecFormatError(
                f"{path}.activation", f"expected relu, tanh or sigmoid, got {fn!r}"
            )
        return Activation(function=fn)
    if kind == "Dropout":
        rate = data.get("rate")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise SpecFormatError(f"{path}.rate", f"expected a number in [0, 1), got {rate!r}")
        return Dropout(rate=float(rate))
    raise SpecFormatError(f"{path}.type", f"unknown original layer type {kind!r}")


def parse_model_set(data: Any, source: str = "model set") -> ModelSet:
    """Parse a decoded model-set document; errors name ``source`` and the field."""
    try:
        if not isinstance(data, Mapping):
            raise SpecFormatError("", "expected an object with input_shape, num_classes, models")
        shape = data.get("input_shape")
        if not isinstance(shape, list) or len(shape) != 3:
            raise SpecFormatError(
                "input_shape", f"expected [channels, height, width], got {shape!r}"
            )
        dims = tuple(_int(v, f"input_shape[{i}]") for i, v in enumerate(shape))
        num_classes = _int(data.get("num_classes"), "num_classes")
        classes = data.get("classes") or [str(i) for i in range(num_classes)]
        if not isinstance(classes, list) or len(classes) != num_classes:
            raise SpecFormatError("classes", f"expected {num_classes} class names")
        models = data.get("models")
        if not isinstance(models, list):
            raise SpecFormatError("models", "expected a list of models")
        entries = []
        for i, model in enumerate(models):
            if not isinstance(model, Mapping):
                raise SpecFormatError(f"models[{i}]", "expected an object")
            layers = model.get("layers")
            if not isinstance(layers, list):
                raise SpecFormatError(f"models[{i}].layers", "expected a list of layers")
            spec = ArchSpec(
                (dims[0], dims[1], dims[2]),
                num_classes,
                tuple(
                    original_layer(layer, f"models[{i}].layers[{j}]")
                    for j, layer in enumerate(layers)
                ),
            )
            extra = {k: v for k, v in model.items() if k not in ("id", "layers")}
            entries.append(ModelSetEntry(str(model.get("id", i)), spec, extra))
    except SpecFormatError as exc:
        raise SpecFormatError(f"{source}: {exc.path}" if exc.path else source, exc.reason) from None
    return ModelSet(
        (dims[0], dims[1], dims[2]), num_classes, tuple(str(c) for c in classes), tuple(entries)
    )


# A model set of 100 models is 97 KB; this allows some 60,000 and bounds time and memory.
MAX_JSON_BYTES = 64 * 1024 * 1024


def read_json_file(path: str | Path) -> Any:
    """The decoded JSON of a file; a missing or malformed file raises
    :class:`SpecFormatError` naming the file (and the line)."""
    path = Path(path)
    try:
        raw = read_regular_file(path, MAX_JSON_BYTES)
    except FileReadError as exc:
        raise SpecFormatError(str(path), exc.reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecFormatError(str(path), f"line {line}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecFormatError(
            str(path), f"not valid JSON at line {exc.lineno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise SpecFormatError(str(path), "JSON nested too deeply to read") from None


def load_model_set(path: str | Path) -> ModelSet:
    """Read a model-set JSON file; a missing or malformed file names the file."""
    return parse_model_set(read_json_file(path), str(path))
