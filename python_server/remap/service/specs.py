"""Pure checks of a spec for the layer builder (``remap/validate``) and for every model added
to a workspace: per-layer shapes and counts up to the first error, and the largest model REMAP
will train. No workspace, no store: light enough for the language server's event loop."""

from __future__ import annotations

from typing import Any

from remap.arch import ArchSpec
from remap.arch.shapes import analyse

MODEL_PARAM_LIMIT = 100_000_000
"""Parameters of the largest model REMAP adds: its weights, gradients and Adam state take
about 1.6 GB; anything larger would not train in a worker's memory."""


def over_limit(spec: ArchSpec) -> str | None:
    """Why ``spec`` is too large to add (over :data:`MODEL_PARAM_LIMIT`), or None."""
    params = sum(info.params for info in analyse(spec).layers)
    if params <= MODEL_PARAM_LIMIT:
        return None
    return (
        f"has {params:,} parameters, over REMAP's limit of {MODEL_PARAM_LIMIT:,} for any "
        "model (remap.maxParams is only the sampling budget)"
    )


def validation(spec: ArchSpec) -> dict[str, Any]:
    """``{ok, params, flops, layers, error}``; ``error.index`` is None for a spec over
    :data:`MODEL_PARAM_LIMIT` (``remap.maxParams`` is a sampling budget: a model the user
    builds may exceed it)."""
    report = analyse(spec)
    layers = [
        {
            "index": info.index,
            "layer": info.layer.describe(),
            "input": list(info.input.dims),
            "output": list(info.output.dims),
            "params": info.params,
            "reshaped": info.reshaped,
        }
        for info in report.layers
    ]
    params = sum(info.params for info in report.layers)
    flops = sum(info.flops for info in report.layers)
    error: dict[str, Any] | None = None
    if report.error is not None:
        error = {"index": report.error.index, "message": str(report.error)}
    else:
        too_big = over_limit(spec)
        if too_big is not None:
            error = {"index": None, "message": f"the model {too_big}"}
    return {"ok": error is None, "params": params, "flops": flops, "layers": layers, "error": error}
