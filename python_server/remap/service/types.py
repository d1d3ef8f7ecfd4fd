"""The engine's light types that the adapters (language server, CLI) handle, re-exported so
that an adapter imports only ``remap.service``: a spec and its format error, the static
importer of Python files, the class it reads and its error, shape mismatches of such a class.

Importing this module loads ``remap.arch`` and ``remap.codegen`` only (no numpy, no torch),
so the language server may import it at start. Store records and errors are in
``remap.service.records`` (which loads numpy).
"""

from __future__ import annotations

from remap.arch import ArchError, ArchSpec, SpecFormatError
from remap.codegen import CodegenError, ImportedModel, import_source, shape_mismatches

__all__ = [
    "ArchError",
    "ArchSpec",
    "CodegenError",
    "ImportedModel",
    "SpecFormatError",
    "import_source",
    "shape_mismatches",
]
