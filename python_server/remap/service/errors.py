"""The one error type the service raises for bad requests; adapters (LSP, CLI) turn it into
a JSON-RPC error or one line on stderr. ``field`` names the parameter at fault."""

from __future__ import annotations


class ServiceError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)
