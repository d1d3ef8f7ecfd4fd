"""Printing for the CLI: aligned tables, a progress bar for training, one-line errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from remap.service.naming import model_label
from remap.service.views import ModelRow
from remap.store import Store


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Columns padded to their widest cell; numbers (cells starting with a digit) right-aligned."""
    out = out or sys.stdout
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, header in zip(cells, widths, headers, strict=True):
            numeric = header in ("id", "parent", "params", "accuracy", "epochs", "job")
            parts.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(parts).rstrip()

    print(fmt(headers), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print(fmt(row), file=out)


def model_table(rows: Sequence[ModelRow], out: TextIO | None = None, wide: bool = False) -> None:
    headers = ["model", "origin", "parent", "params", "accuracy", "epochs", "state", "changes"]
    if wide:
        headers.append("layers")
    cells = []
    for r in rows:
        changes = "; ".join(c for c in r.changes if not c.startswith("Repaired")) or "-"
        if not wide and len(changes) > 60:
            changes = changes[:57] + "..."
        line = [
            model_label(r.id, r.name),
            r.origin,
            model_label(r.parent_id) if r.parent_id is not None else "-",
            f"{r.params:,}",
            _accuracy(r),
            str(r.epochs) if r.epochs is not None else "-",
            "recorded, not trained here" if _recorded_only(r) else r.state,
            changes,
        ]
        if wide:
            line.append(r.layers)
        cells.append(line)
    table(headers, cells, out)


def _recorded_only(r: ModelRow) -> bool:
    return r.recorded_acc is not None and r.state == "untrained"


def _accuracy(r: ModelRow) -> str:
    if r.val_acc is not None:
        return f"{r.val_acc * 100:.1f}%"
    return f"{r.recorded_acc * 100:.1f}%*" if r.recorded_acc is not None else "-"


class ProgressBar:
    """Training progress from the store: finished jobs out of all jobs of this run, with
    the running job's latest epoch. Redraws in place on a terminal, prints lines otherwise."""

    FINISHED = ("done", "failed", "cancelled")

    def __init__(self, store: Store, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.start = time.monotonic()
        # Jobs finished before this run are not part of its progress.
        self.before = {j.id for j in store.list_jobs() if j.state in self.FINISHED}
        self.last_line = ""
        self.tty = self.out.isatty()
        self.last_print = 0.0

    def __call__(self, store: Store) -> None:
        jobs = store.list_jobs()
        mine = [j for j in jobs if j.id not in self.before]
        total = len(mine)
        done = sum(j.state in self.FINISHED for j in mine)
        running = [j for j in jobs if j.state == "running"]
        width = 30
        filled = int(width * done / total) if total > 0 else width
        bar = "█" * filled + "░" * (width - filled)
        elapsed = time.monotonic() - self.start
        detail = ""
        if running:
            job = running[0]
            run = store.latest_run(job.model_id, finished_only=False)
            epoch = len(run.epochs) if run is not None and run.state == "running" else 0
            detail = f"  model {model_label(job.model_id)} epoch {epoch}/{job.config.epochs}"
        line = f"training {bar} {done}/{total} models  {elapsed:5.0f}s{detail}"
        if line == self.last_line:
            return
        now = time.monotonic()
        if self.tty:
            print("\r" + line.ljust(len(self.last_line)), end="", file=self.out, flush=True)
        elif done != self._done_of(self.last_line) or now - self.last_print > 10:
            print(line, file=self.out, flush=True)
            self.last_print = now
        self.last_line = line

    @staticmethod
    def _done_of(line: str) -> int:
        try:
            return int(line.split("/")[0].split()[-1])
        except (IndexError, ValueError):
            return -1

    def close(self) -> None:
        if self.tty and self.last_line:
            print(file=self.out)
