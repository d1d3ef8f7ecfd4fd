"""Pure checks of a spec for the layer builder (``remap/validate``): per-layer shapes and
counts up to the first error, and the parameter budget. No workspace, no store: light
enough for the language server to run it on its event loop."""

from __future__ import annotations

from typing import Any

from remap.arch import ArchSpec


def validation(spec: ArchSpec, max_params: int) -> dict[str, Any]:
    """``{ok, params, flops, layers, error}``; ``error.index`` is None for a spec over the
    ``max_params`` budget (setting ``remap.maxParams``)."""
    from remap.arch.shapes import analyse

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
    elif params > max_params:
        error = {
            "index": None,
            "message": f"{params:,} parameters exceed the budget of {max_params:,} "
            "(setting remap.maxParams)",
        }
    return {"ok": error is None, "params": params, "flops": flops, "layers": layers, "error": error}
