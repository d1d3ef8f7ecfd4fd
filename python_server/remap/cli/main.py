"""Entry point of the `remap` command: builds the parser from the command modules and
turns user errors into one line on stderr (exit code 2), never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from remap import __version__
from remap.cli import (
    cmd_demo,
    cmd_distances,
    cmd_map,
    cmd_models,
    cmd_report,
    cmd_serve,
    cmd_weights,
    cmd_workspace,
)
from remap.cli.common import fail, user_errors

COMMAND_MODULES = (
    cmd_demo,
    cmd_workspace,
    cmd_models,
    cmd_distances,
    cmd_map,
    cmd_report,
    cmd_serve,
    cmd_weights,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remap",
        description="REMAP: explore a space of CNN architectures — sample, train, ablate, "
        "vary, map and export them as PyTorch files.",
    )
    parser.add_argument("--version", action="version", version=f"remap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except user_errors() as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print("\nremap: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
