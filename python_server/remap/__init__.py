"""REMAP engine and language server: architectures, data, training, analysis, export.

Layers (each imports only those below it): arch, data, train, analysis, codegen,
store, service, lsp/cli. Heavy modules (torch, umap) are imported lazily.
"""

__version__ = "0.1.0"
