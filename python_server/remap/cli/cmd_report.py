"""`remap report`: write a self-contained HTML report of a workspace (model maps, drawer,
inspector, data selector; read-only, works offline)."""

from __future__ import annotations

import argparse
from pathlib import Path

from remap.cli.common import add_workspace_options, fail, open_workspace


def cmd_report(args: argparse.Namespace) -> int:
    from remap.report import ReportError, build_report

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        return fail(f"--out {args.out}: expected an .html file name")
    try:
        with open_workspace(args) as ws:
            path = build_report(ws, out)
            count = len(ws.store.list_models())
    except ReportError as exc:
        return fail(str(exc))
    size = path.stat().st_size
    print(f"report written to {path} ({count} models, {size / 1024:.0f} KiB)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report", description=__doc__)
    add_workspace_options(p)
    p.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    p.set_defaults(handler=cmd_report)
