"""`remap serve`: run the language server over stdio (used by the VS Code extension)."""

from __future__ import annotations

import argparse

from remap.lsp.cli import add_arguments, run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the REMAP language server over stdio (for the editor extension)",
        description="Run the REMAP language server over stdin/stdout. The workspace folder comes "
        "from the client; the log goes to stderr.",
    )
    add_arguments(p)
    p.set_defaults(handler=run)
