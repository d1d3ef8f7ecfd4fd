"""The service's view of background work (warm-ups) as the watcher thread reads it."""

from __future__ import annotations

import sys
import types

import pytest

from remap.service.background import umap_warmup_state


def test_warmup_state_of_a_module_still_being_imported_is_cold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The watcher thread may ask while another thread imports the warm-up module: a module
    in sys.modules without its names yet (partly initialised) is "cold", not an error."""
    monkeypatch.setitem(sys.modules, "remap.analysis.warmup", types.ModuleType("partial"))
    assert umap_warmup_state() == "cold"
