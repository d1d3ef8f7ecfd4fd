"""Command-line options of the language server, shared by ``remap serve`` and
``python -m remap.lsp``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default and only way)"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="server log level (the log goes to stderr)",
    )
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="do not warm up UMAP and OTMANN in the background (same as REMAP_LSP_WARMUP=0)",
    )


def run(args: argparse.Namespace) -> int:
    if args.no_warmup:
        os.environ["REMAP_LSP_WARMUP"] = "0"
    from remap.lsp.server import serve

    return serve(args.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m remap.lsp", description="Run the REMAP language server over stdio."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
