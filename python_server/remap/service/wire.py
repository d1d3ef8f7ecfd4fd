"""Wire format for UI adapters (LSP server, HTML report): the service speaks snake_case, the
protocol camelCase JSON. Only dictionary keys are renamed, never values; numpy values become
plain numbers and lists, and non-finite floats become null (JSON has no NaN)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


class Wire(dict[str, Any]):
    """An answer already in wire form (camelCase JSON); :func:`to_wire` passes it through."""


@lru_cache(maxsize=4096)
def camel(name: str) -> str:
    """``per_class_acc`` → ``perClassAcc`` (names without underscores are unchanged)."""
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``perClassAcc`` → ``per_class_acc`` (names already in snake_case are unchanged)."""
    return _CAMEL_BOUNDARY.sub(lambda m: "_" + m.group(1).lower(), name)


def to_camel(value: Any) -> Any:
    """A copy of JSON data with every object key in camelCase (lists and tuples become lists)."""
    if isinstance(value, Mapping):
        return {camel(str(k)): to_camel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_camel(v) for v in value]
    return value


def to_snake(value: Any) -> Any:
    """A copy of JSON data with every object key in snake_case."""
    if isinstance(value, Mapping):
        return {snake(str(k)): to_snake(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_snake(v) for v in value]
    return value


def to_wire(value: Any) -> Any:
    """JSON data for a client: camelCase keys, numpy scalars and arrays as plain numbers
    and lists, non-finite floats as null."""
    if isinstance(value, Wire):
        return value
    if isinstance(value, Mapping):
        return {camel(str(k)): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return to_wire(tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
