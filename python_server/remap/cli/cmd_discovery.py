"""`remap suggest` (the next experiments worth running, from what the workspace knows) and
`remap explore` (the autopilot: N trainings chosen by a strategy, stoppable with Ctrl-C and
resumed by running the same command again)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from remap.cli.common import SEED, WORKERS, add_workspace_options, int_arg, open_workspace

BUDGET = int_arg(1, 100_000)


def cmd_suggest(args: argparse.Namespace) -> int:
    """Suggest the next experiments (ablate, vary, sample, craft) with a reason each."""
    from remap.service import discovery

    with open_workspace(args) as ws:
        found = discovery.suggestions(ws, args.n, args.seed)
    if args.json:
        print(json.dumps([s.to_dict() for s in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("no suggestions (all dismissed?)")
    for i, s in enumerate(found, 1):
        parent = f" model #{s.parent}" if s.parent is not None else ""
        secs = f", ≈{s.cost.seconds:.0f}s" if s.cost.seconds is not None else ""
        size = f"{s.cost.params:,} params, " if s.cost.params is not None else ""
        print(f"{i}. {s.kind}{parent}: {s.reason}")
        for line in s.preview:
            print(f"     {line}")
        print(f"     cost: {size}{s.cost.epochs} epochs{secs}   [{s.key}]")
    return 0


class _ExploreBar:
    def __init__(self, budget: int, spent: int) -> None:
        self.budget, self.start_spent, self.start = budget, spent, time.monotonic()
        self.tty = sys.stderr.isatty()

    def __call__(self, state: object) -> None:
        from remap.service.discovery import ExploreState

        assert isinstance(state, ExploreState)
        width = 30
        filled = int(width * state.spent / max(state.budget, 1))
        best = state.best
        shown = f"  best model #{best[0]} {best[1]:.1%}" if best else ""
        line = (
            f"exploring ({state.strategy}) {'█' * filled}{'░' * (width - filled)} "
            f"{state.spent}/{state.budget} trainings  {time.monotonic() - self.start:5.0f}s{shown}"
        )
        print(
            ("\r" if self.tty else "") + line,
            end="" if self.tty else "\n",
            file=sys.stderr,
            flush=True,
        )


def cmd_explore(args: argparse.Namespace) -> int:
    """Run a budget of trainings chosen by a strategy (guided, random or evolution)."""
    from remap.service import discovery

    session = args.session or f"{args.strategy}-{args.seed}"
    with open_workspace(args) as ws:
        before = discovery.load_session(ws, session)
        spent = before.spent if before else 0
        if spent:
            print(f"resuming explore session {session!r}: {spent} of {args.budget} trainings spent")
        bar = _ExploreBar(args.budget, spent)
        try:
            state = discovery.explore(
                ws, args.budget, args.strategy, args.seed, session,
                progress=bar, workers=args.workers or None,
            )  # fmt: skip
        except KeyboardInterrupt:
            after = discovery.load_session(ws, session)
            done = after.spent if after else spent
            print(
                f"\nstopped after {done} of {args.budget} trainings; run the same command "
                "again to resume",
                file=sys.stderr,
            )
            return 130
        if bar.tty:
            print(file=sys.stderr)
        best = state.best
        print(f"explore session {session!r}: {state.spent} of {state.budget} trainings spent")
        if best is not None:
            print(f"best model: {best[0]} ({best[1]:.1%} held-out accuracy)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("suggest", help=cmd_suggest.__doc__, description=cmd_suggest.__doc__)
    add_workspace_options(p)
    p.add_argument("--n", type=int_arg(1, 100), default=5, help="how many suggestions (default 5)")
    p.add_argument("--seed", type=SEED, default=None, help="default: the workspace's seed")
    p.add_argument("--json", action="store_true", help="a JSON list of suggestions")
    p.set_defaults(handler=cmd_suggest)

    p = sub.add_parser("explore", help=cmd_explore.__doc__, description=cmd_explore.__doc__)
    add_workspace_options(p)
    p.add_argument(
        "--budget", type=BUDGET, required=True, help="trainings in all (failed ones count)"
    )
    p.add_argument("--strategy", choices=("guided", "random", "evolution"), default="guided")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--session", default=None, help="session name (default STRATEGY-SEED)")
    p.add_argument("--workers", type=WORKERS, default=0, help="training processes (0: automatic)")
    p.set_defaults(handler=cmd_explore)
