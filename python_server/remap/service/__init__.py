"""The application operations the UI needs, in one place: both the language server and
the CLI call these (experiments, queue, views, export/import, settings, maps).

``Workspace`` is imported lazily (PEP 562) so that light modules of this package (errors,
settings, the wire format) can be used without loading the store and numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remap.service.errors import ServiceError
from remap.service.settings import WorkspaceSettings

if TYPE_CHECKING:
    from remap.service.workspace import Workspace

__all__ = ["ServiceError", "Workspace", "WorkspaceSettings"]


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from remap.service.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'remap.service' has no attribute {name!r}")
