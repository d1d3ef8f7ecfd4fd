"""Errors of the codegen layer (PyTorch source export and static import)."""

from __future__ import annotations


class CodegenError(ValueError):
    """Export or import failed; the message names the file, layer or field at fault."""
