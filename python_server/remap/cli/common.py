"""Helpers shared by the CLI's command modules: workspace options, checked numeric
arguments and error reporting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from remap.cli.errors import fail as fail  # re-exported for the command modules
from remap.service import ServiceError, Workspace

Handler = Callable[[argparse.Namespace], int]


def add_workspace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-w", "--workspace", default=".", help="workspace folder (default: current folder)"
    )
    parser.add_argument(
        "--store", default=None, help="store file (default: WORKSPACE/.remap/remap.db)"
    )
    parser.add_argument(
        "--dataset",
        default=None,
        help="data set: 'digits' (bundled) or a path (.npz, Quick, Draw! folder, CIFAR-10 "
        "batches, MNIST IDX, image folder); saved in the workspace",
    )


def open_workspace(args: argparse.Namespace, **overrides: Any) -> Workspace:
    changes = {"dataset": getattr(args, "dataset", None), **overrides}
    workspace = Workspace.open(args.workspace, args.store, {k: v for k, v in changes.items() if v})
    for note in workspace.settings_notes:
        print(f"remap: warning: {note}", file=sys.stderr)
    return workspace


def int_arg(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers in [minimum, maximum]: a bad value is
    argparse's usual one-line usage error, never a traceback later on."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            wanted = f"between {minimum} and {maximum}" if maximum is not None else f"≥ {minimum}"
            raise argparse.ArgumentTypeError(f"expected a number {wanted}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


ID = int_arg(1, 2**63 - 1)  # model and job ids: what the store can hold
SEED = int_arg(0, 2**32 - 1)
WORKERS = int_arg(0, 1024)  # 0: automatic
EPOCHS = int_arg(1, 100_000)
MODEL_COUNT = int_arg(1, 100_000)


def parse_int_list(text: str | None, what: str) -> list[int] | None:
    """``"1,2,3"`` → [1, 2, 3]: whole numbers from 0 to the largest id the store holds."""
    if not text:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ServiceError(f"expected comma-separated integers, got {text!r}", what) from None
    bad = [v for v in values if not 0 <= v < 2**63]
    if bad:
        raise ServiceError(f"{bad[0]} is out of range (0 to {2**63 - 1})", what)
    return values


def workspace_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Any,
    help_text: str,
) -> argparse.ArgumentParser:
    """A subcommand that works on a workspace (``-w``, ``--store``, ``--dataset``)."""
    parser = sub.add_parser(name, help=help_text, description=help_text)
    add_workspace_options(parser)
    parser.set_defaults(handler=handler)
    return parser
