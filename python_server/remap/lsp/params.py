"""Validation of custom-request params (raw JSON, camelCase): each check raises
:class:`ParamError` naming the field (``modelId: expected an integer, got 'x'``), which the
server answers with JSON-RPC error -32602 (InvalidParams)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from remap.lsp.protocol import camel_path


class ParamError(ValueError):
    """Bad params from the client; ``field`` is the wire name of the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Params:
    """A request's params object with typed accessors; unknown keys are ignored."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ParamError("params", f"expected an object, got {type(raw).__name__}")
        self.raw: Mapping[str, Any] = raw

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def _get(self, name: str, required: bool) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            raise ParamError(name, "missing (required)")
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = True,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        return check_int(value, name, minimum, maximum)

    def req_int(self, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.integer(name, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ParamError(name, f"expected true or false, got {_show(value)}")
        return value

    def text(self, name: str, *, required: bool = True, nonempty: bool = True) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ParamError(name, f"expected a string, got {_show(value)}")
        if nonempty and not value.strip():
            raise ParamError(name, "expected a non-empty string")
        return value

    def choice(self, name: str, choices: Sequence[str], *, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or value not in choices:
            raise ParamError(name, f"expected one of {', '.join(choices)}, got {_show(value)}")
        return value

    def ints(
        self, name: str, *, required: bool = True, nonempty: bool = False, minimum: int = 0
    ) -> list[int] | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ParamError(name, f"expected a list of integers, got {_show(value)}")
        if nonempty and not value:
            raise ParamError(name, "expected at least one id")
        return [check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(value)]

    def mapping(self, name: str, *, required: bool = True) -> Mapping[str, Any] | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ParamError(name, f"expected an object, got {_show(value)}")
        return value

    def items(self, name: str, *, required: bool = True) -> list[Any] | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ParamError(name, f"expected a list, got {_show(value)}")
        return value


# Every integer from the client is stored or compared in SQLite, whose integers are 64-bit:
# larger ones are refused here, naming the field (SQLite would raise OverflowError).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON numbers such as 3.0 from JavaScript
        else:
            raise ParamError(name, f"expected an integer, got {_show(value)}")
    minimum = INT64_MIN if minimum is None else max(minimum, INT64_MIN)
    maximum = INT64_MAX if maximum is None else min(maximum, INT64_MAX)
    if value < minimum:
        raise ParamError(name, f"expected an integer ≥ {minimum}, got {_show(value)}")
    if value > maximum:
        raise ParamError(name, f"expected an integer ≤ {maximum}, got {_show(value)}")
    return int(value)


def file_path(uri: str, name: str = "uri") -> str:
    """The local path of a ``file:`` URI."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ParamError(name, f"expected a file: URI, got {_show(uri)}")
    path = unquote(parsed.path)
    if len(path) >= 3 and path[0] == "/" and path[2] == ":":  # file:///C:/... on Windows
        path = path[1:]
    if not path:
        raise ParamError(name, f"the URI has no path: {_show(uri)}")
    return path


def spec_from_wire(value: Any, name: str = "spec") -> Any:
    """An :class:`~remap.arch.ArchSpec` from a camelCase (or snake_case) spec object;
    malformed specs raise :class:`ParamError` naming the field, e.g.
    ``spec.layers[2].kernelSize: expected a positive integer``."""
    from remap.lsp.protocol import to_snake
    from remap.service.types import ArchSpec, SpecFormatError

    if value is None:
        raise ParamError(name, "missing (required)")
    if not isinstance(value, Mapping):
        raise ParamError(name, f"expected a spec object, got {_show(value)}")
    try:
        return ArchSpec.from_dict(to_snake(value))
    except SpecFormatError as exc:
        where = f"{name}.{camel_path(exc.path)}" if exc.path else name
        raise ParamError(where, exc.reason) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise ParamError(name, f"malformed spec ({exc})") from None
