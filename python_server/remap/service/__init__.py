"""The application operations the UI needs, in one place: both the language server and
the CLI call these (experiments, queue, views, export/import, settings, maps)."""

from remap.service.errors import ServiceError
from remap.service.settings import WorkspaceSettings
from remap.service.workspace import Workspace

__all__ = ["ServiceError", "Workspace", "WorkspaceSettings"]
