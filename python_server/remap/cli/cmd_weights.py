"""Commands about trained weights: ``remap evaluate`` (re-score weights on the held-out
split) and ``remap gc`` (remove weights files no longer needed)."""

from __future__ import annotations

import argparse
import json
import sys

from remap.cli.common import open_workspace, workspace_command
from remap.service.weights import collect, human_bytes


def cmd_evaluate(args: argparse.Namespace) -> int:
    from remap.service.evaluate import evaluate_file, evaluate_model

    with open_workspace(args) as ws:
        if args.target.isdigit():
            result = evaluate_model(ws, int(args.target))
        else:
            result = evaluate_file(ws, args.target, args.weights)
        split_name = ws.split().name
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=1)
        print()
        return 0
    recorded = (
        f" (recorded when trained: {result.recorded * 100:.1f}%)"
        if result.recorded is not None
        else ""
    )
    print(
        f"{result.target}: {result.accuracy * 100:.1f}% on {result.held_out} held-out "
        f"samples of {split_name}{recorded}"
    )
    print(f"weights: {result.weights} ({human_bytes(result.weights_bytes)})")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        report = collect(ws, dry_run=args.dry_run)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        print()
        return 0
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"{verb} {len(report.removed)} file(s), {human_bytes(report.freed_bytes)}; "
        f"kept {report.kept_files} weights file(s), {human_bytes(report.kept_bytes)}"
    )
    for name in report.removed:
        print(f"  {name}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = workspace_command(sub,
        "evaluate", cmd_evaluate,
        "recompute a trained model's accuracy on the workspace's held-out split. TARGET is "
        "a model id (its stored weights) or an exported .py with its .safetensors; a .py "
        "is run in a separate 'python -I' process that imports it (it is code: only "
        "evaluate files you trust)",
    )  # fmt: skip
    p.add_argument("target", help="model id, or an exported .py file")
    p.add_argument("--weights", help="weights file for a .py (default: its .safetensors)")
    p.add_argument("--json", action="store_true", help="print a JSON object with 'accuracy'")

    p = workspace_command(sub,
        "gc", cmd_gc,
        "remove weights of superseded runs and deleted models, unreferenced files and old "
        "temporary files (the latest run per model and data set is kept)",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="only say what would go")
    p.add_argument("--json", action="store_true")
