"""Entry point of the `remap` command: builds the parser from the command modules and
turns every failure into one line on stderr, never a traceback (see :mod:`remap.cli.errors`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from remap import __version__
from remap.cli import (
    cmd_demo,
    cmd_discovery,
    cmd_distances,
    cmd_map,
    cmd_models,
    cmd_report,
    cmd_serve,
    cmd_weights,
    cmd_workspace,
)
from remap.cli.errors import broken_pipe, describe, expected_errors, fail, unexpected

COMMAND_MODULES = (
    cmd_demo,
    cmd_workspace,
    cmd_models,
    cmd_distances,
    cmd_map,
    cmd_report,
    cmd_serve,
    cmd_weights,
    cmd_discovery,
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
        status = int(handler(args))
        if not sys.stdout.closed:  # `remap serve` closes it when the client leaves
            sys.stdout.flush()  # a closed pipe shows here, inside the handling below
        return status
    except BrokenPipeError:
        return broken_pipe()
    except KeyboardInterrupt:
        print("\nremap: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if isinstance(exc, expected_errors()):
            return fail(_with_hint(exc))
        return unexpected(exc, args)


def _with_hint(exc: Exception) -> str:
    """The error's line, with the repair for a workspace whose data set cannot be loaded."""
    text = describe(exc)
    if getattr(exc, "field", None) == "dataset":
        text += " (choose another with `remap settings dataset=digits` or a path)"
    return text


if __name__ == "__main__":
    raise SystemExit(main())
