"""Warm-ups for a long-running process (the language server): UMAP's numba kernels (a
thread, see ``remap.analysis.warmup``) and OTMANN's, and the UMAP warm-up's state, read
without importing anything while it was never started (so a status answer stays light)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from remap.analysis.warmup import UmapWarmup


def start_warmups() -> None:
    """Start the UMAP warm-up thread (which also points numba at the REMAP cache), then
    compile OTMANN's kernels in the calling thread."""
    umap_warmup().start()
    from remap.analysis.otmann_fast import warm_up

    warm_up()


def umap_warmup() -> UmapWarmup:
    """The process-wide UMAP warm-up (created cold)."""
    from remap.analysis.warmup import shared_warmup

    return shared_warmup()


def umap_warmup_state() -> str:
    """ "cold" while the warm-up module was never loaded, else the warm-up's state."""
    module = sys.modules.get("remap.analysis.warmup")
    # Another thread may still be importing the module: sys.modules holds it before its
    # names exist, so a partly initialised module also counts as "cold".
    shared = getattr(module, "shared_warmup", None)
    if shared is None:
        return "cold"
    return str(shared().state)
