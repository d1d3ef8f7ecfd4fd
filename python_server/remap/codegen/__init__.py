"""PyTorch source export and static import (``ast`` only: user code is never executed).

- :func:`export_source` / :func:`write_export`: a spec as a readable, self-contained
  PyTorch file (provenance docstring, named layers, a ``forward`` that shows every step);
- :func:`import_source`: every ``nn.Module`` in a source text as a spec (or the reason it
  cannot be mapped, with its line), with :func:`shape_mismatches` for diagnostics.

``import_source(export_source(spec))[0].spec == spec`` for every valid spec.
"""

from remap.codegen.diagnostics import shape_mismatches
from remap.codegen.errors import CodegenError
from remap.codegen.export import Provenance, export_source
from remap.codegen.imported import ImportedModel, InputCheck, Mismatch
from remap.codegen.importer import import_source
from remap.codegen.naming import class_name_for, module_filename_for
from remap.codegen.writer import write_export

__all__ = [
    "CodegenError",
    "ImportedModel",
    "InputCheck",
    "Mismatch",
    "Provenance",
    "class_name_for",
    "export_source",
    "import_source",
    "module_filename_for",
    "shape_mismatches",
    "write_export",
]
