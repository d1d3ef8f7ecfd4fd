"""Model sets bundled with the package, importable by name (``remap import --example NAME``).

``remap-quickdraw``: the original REMAP model set (100 models for 28×28×1 inputs, 10 classes,
released by the REMAP authors in ``dylancashman/remap_nas`` under Apache-2.0) in the
original layer format; it fits the bundled ``digits`` data set unchanged.
"""

from __future__ import annotations

from pathlib import Path

EXAMPLES = {"remap-quickdraw": "remap_quickdraw.json"}


def example_names() -> list[str]:
    return sorted(EXAMPLES)


def example_path(name: str) -> Path:
    """The bundled file of example ``name``; KeyError with a readable message if unknown."""
    filename = EXAMPLES.get(name)
    if filename is None:
        raise KeyError(f"no bundled example {name!r} (available: {', '.join(example_names())})")
    return Path(__file__).with_name(filename)
