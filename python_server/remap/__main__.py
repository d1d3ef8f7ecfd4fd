"""`python -m remap` runs the CLI. `python -m remap serve` (how the editor starts the
language server) goes straight to the server, without importing the CLI's commands: the
server answers ``initialize`` as soon as pygls is loaded (issue 12)."""

import sys

if sys.argv[1:2] == ["serve"]:
    import argparse

    from remap.lsp.cli import add_arguments, run

    parser = argparse.ArgumentParser(
        prog="remap serve", description="Run the REMAP language server over stdin/stdout."
    )
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args(sys.argv[2:])))

from remap.cli.main import main

raise SystemExit(main())
