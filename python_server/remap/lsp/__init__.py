"""The REMAP language server (pygls over stdio): custom ``remap/*`` requests, server commands,
code lenses, code actions and diagnostics on Python files, notifications and ``$/progress``
from the store's change feed. Start it with ``remap serve`` (or ``python -m remap.lsp``).
The protocol is documented in docs/protocol.md; names live in :mod:`remap.lsp.protocol`."""
