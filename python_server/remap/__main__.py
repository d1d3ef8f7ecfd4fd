"""`python -m remap` runs the CLI. `python -m remap serve` (how the editor starts the
language server) goes straight to the server, without importing the other commands (the
store, numpy, codegen): it answers ``initialize`` as soon as pygls is loaded (issue 12).
Failures end as in :func:`remap.cli.main.main`: one line, never a traceback."""

import sys


def _serve(argv: list[str]) -> int:
    import argparse

    from remap.cli import cmd_serve

    parser = argparse.ArgumentParser(prog="remap")
    cmd_serve.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        status = int(args.handler(args))
        if not sys.stdout.closed:  # the server closes it when the client leaves
            sys.stdout.flush()
        return status
    except BrokenPipeError:
        from remap.cli.errors import broken_pipe

        return broken_pipe()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from remap.cli.errors import unexpected

        return unexpected(exc, args)


def _main() -> int:
    if sys.argv[1:2] == ["serve"]:
        return _serve(sys.argv[1:])
    from remap.cli.main import main

    return main()


raise SystemExit(_main())
