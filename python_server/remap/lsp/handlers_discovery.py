"""Requests for suggested experiments: ``remap/suggest``, ``remap/applySuggestion`` and
``remap/dismissSuggestion`` — thin adapters over :mod:`remap.service.discovery`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import on_path, require_model
from remap.lsp.handlers_experiments import edit_from_wire

if TYPE_CHECKING:
    from remap.lsp.params import Params
    from remap.lsp.runtime import Runtime

KINDS = ("ablate", "vary", "sample", "craft")


def suggest(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import discovery

    n = p.integer("n", required=False, default=5, minimum=1, maximum=100)
    seed = p.integer("seed", required=False, minimum=0)
    assert n is not None
    found = discovery.suggestions(rt.workspace(), n, seed)
    return {"suggestions": [s.to_dict() for s in found]}


def apply_suggestion(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import ServiceError, discovery

    kind = p.choice("kind", KINDS)
    parent = p.integer("parent", required=False, minimum=1) if kind != "sample" else None
    changes = p.items("changes") or []
    ws = rt.workspace()
    if parent is not None:
        require_model(ws, parent)
    edits = [edit_from_wire(c, i, "changes") for i, c in enumerate(changes)]
    try:
        result = discovery.apply_suggestion(ws, kind or "", parent, edits, p.flag("train", True))
    except ServiceError as exc:
        field = exc.field if exc.field in ("parent", "kind") else "changes"
        raise on_path(exc, field) from None
    return result.to_dict()


def dismiss_suggestion(rt: Runtime, p: Params) -> dict[str, Any]:
    from remap.service import discovery

    key = p.text("key")
    assert key is not None
    return {"dismissed": discovery.dismiss(rt.workspace(), key)}
