"""Helpers shared by the CLI's command modules: workspace options and error reporting."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

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
    return Workspace.open(args.workspace, args.store, {k: v for k, v in changes.items() if v})


def fail(message: str) -> int:
    print(f"remap: error: {message}", file=sys.stderr)
    return 2


def user_errors() -> tuple[type[Exception], ...]:
    """Exceptions that are the user's input at fault: reported in one line, exit code 2."""
    from remap.arch import ArchError, SpecFormatError
    from remap.data import DataError
    from remap.store.errors import StoreError, UnknownJobError, UnknownModelError

    return (
        ServiceError, ArchError, SpecFormatError, DataError, StoreError,
        UnknownModelError, UnknownJobError, FileNotFoundError, PermissionError,
    )  # fmt: skip


def parse_int_list(text: str | None, what: str) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ServiceError(f"expected comma-separated integers, got {text!r}", what) from None
