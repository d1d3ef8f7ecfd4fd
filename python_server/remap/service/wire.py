"""Wire format for UI adapters: the service speaks snake_case, the protocol (LSP, webview,
HTML report) camelCase. Only dictionary keys are converted, never values."""

from __future__ import annotations

import re
from typing import Any

_SNAKE = re.compile(r"_([a-z0-9])")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), name)


def to_camel(value: Any) -> Any:
    """Recursively camelCase the keys of dicts (lists and tuples become lists)."""
    if isinstance(value, dict):
        return {camel(str(k)): to_camel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_camel(v) for v in value]
    return value


def to_snake(value: Any) -> Any:
    """Recursively snake_case the keys of dicts."""
    if isinstance(value, dict):
        return {snake(str(k)): to_snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_snake(v) for v in value]
    return value
