"""`remap map VIEW`: the 2-D layout of a workspace's models for one view (architecture,
prediction, accuracy), with how far old points moved and the layout's trustworthiness."""

from __future__ import annotations

import argparse
import json
import sys

from remap.cli.common import add_workspace_options, open_workspace
from remap.cli.output import table


def cmd_map(args: argparse.Namespace) -> int:
    from remap.analysis.warmup import configure_numba_cache
    from remap.service.maps import get_map

    configure_numba_cache()
    with open_workspace(args) as ws:
        result = get_map(ws, args.view, args.method)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return 0
    rows = [[str(p["id"]), f"{p['x']:.4g}", f"{p['y']:.4g}"] for p in result["points"]]
    table(["id", "x", "y"], rows)
    print(f"\n{len(rows)} models · method {result['method']}", end="")
    if result["trustworthiness"] is not None:
        print(f" · trustworthiness {result['trustworthiness']:.3f}", end="")
    print()
    if result["movement"] is not None:
        move = result["movement"]
        print(
            f"update: {move.get('kind', 'placement')}, old points moved mean {move['mean']:.4g} "
            f"({100 * move['fraction']:.2f}% of the layout), max {move['max']:.4g}"
        )
    if result["note"]:
        print(f"note: {result['note']}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("map", help="2-D layout of the workspace's models", description=__doc__)
    add_workspace_options(p)
    p.add_argument("view", choices=("architecture", "prediction", "accuracy"))
    p.add_argument("--method", choices=("umap", "mds"), default=None, help="default: settings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_map)
