"""Requests for suggested experiments and the explore autopilot: ``remap/suggest``,
``remap/applySuggestion``, ``remap/dismissSuggestion``, ``remap/explore`` and
``remap/stopExplore`` — thin adapters over :mod:`remap.service.discovery` and
:mod:`remap.service.autopilot` (progress: the ``remap/exploreProgress`` notification)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remap.lsp.handlers_common import on_path, require_model
from remap.lsp.handlers_experiments import edit_from_wire

if TYPE_CHECKING:
    from remap.lsp.params import Params
    from remap.lsp.runtime import Runtime

KINDS = ("ablate", "vary", "sample", "craft")
STRATEGIES = ("guided", "random", "evolution")


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


def explore(rt: Runtime, p: Params) -> dict[str, Any]:
    budget = p.integer("budget", minimum=1, maximum=100_000)
    strategy = p.choice("strategy", STRATEGIES)
    seed = p.integer("seed", required=False, default=0, minimum=0)
    assert budget is not None and strategy is not None and seed is not None
    # with autoTrain the server's own workers train what explore queues
    report = rt.autopilot().start(
        rt.workspace(), budget, strategy, seed, own_workers=not rt.auto_train
    )
    return report.to_dict()


def stop_explore(rt: Runtime, p: Params) -> dict[str, Any]:
    pilot = rt.autopilot()
    running = pilot.running
    report = pilot.stop()
    return {"stopping": running, "explore": None if report is None else report.to_dict()}
