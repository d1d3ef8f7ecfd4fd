"""How the CLI keeps its promise of never printing a traceback: expected failures (bad
input, a bad file, a store or worker problem, a full disk) become one line on stderr and
exit status 2; a closed output pipe (``remap list --json | head -1``) ends quietly like
other Unix tools; anything unexpected prints one line and writes its traceback to a log
file (the workspace's ``.remap/logs`` when there is one, else a temporary file)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool killed by the pipe
_MAX_MESSAGE = 2000

# (module, class name) of every error type that means "the input or the environment is at
# fault". Looked up only in modules already imported: an error type whose module was never
# imported cannot have been raised, and the CLI stays quick to start.
_EXPECTED = (
    ("remap.service.errors", "ServiceError"),
    ("remap.arch.errors", "ArchError"),
    ("remap.arch.errors", "SpecFormatError"),
    ("remap.data.dataset", "DataError"),
    ("remap.codegen.errors", "CodegenError"),
    ("remap.store.errors", "StoreError"),
    ("remap.store.errors", "_UnknownId"),
    ("remap.jobs.executor", "ExecutorError"),
    ("remap.report.build", "ReportError"),
    ("remap.analysis.proj_checks", "DistanceMatrixError"),
    ("remap.train.config", "ConfigError"),
    ("remap.train.device", "DeviceError"),
    ("remap.train.trainer", "TrainingError"),
)


def expected_errors() -> tuple[type[BaseException], ...]:
    """The error types reported as one line with exit status 2 (plus any OSError)."""
    found: list[type[BaseException]] = [OSError]
    for module_name, class_name in _EXPECTED:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def one_line(text: str) -> str:
    """``text`` on one line, cut to a readable length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


def describe(exc: BaseException) -> str:
    """A one-line message for an expected error; an OSError names its file and cause."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return one_line(f"{where}{exc.strerror}")
    return one_line(str(exc) or type(exc).__name__)


def fail(message: str) -> int:
    print(f"remap: error: {one_line(message)}", file=sys.stderr)
    return EXIT_USER_ERROR


def broken_pipe() -> int:
    """The reader of our output went away: stop quietly. Standard output is pointed at
    /dev/null so that the interpreter's final flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    return EXIT_BROKEN_PIPE


def _log_folder(args: argparse.Namespace | None) -> Path:
    workspace = getattr(args, "workspace", None)
    if isinstance(workspace, str) and (Path(workspace) / ".remap").is_dir():
        return Path(workspace) / ".remap" / "logs"
    return Path(tempfile.gettempdir())


def unexpected(exc: BaseException, args: argparse.Namespace | None) -> int:
    """One line naming the error and where its traceback was written."""
    text = "".join(traceback.format_exception(exc))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    where = "(the traceback could not be written)"
    for folder in (_log_folder(args), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"remap-cli-{stamp}-{os.getpid()}.log"
            path.write_text(f"remap {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
        except OSError:
            continue
        where = f"see {path}"
        break
    message = one_line(f"{type(exc).__name__}: {exc}")
    print(f"remap: internal error: {message} — {where}", file=sys.stderr)
    return EXIT_INTERNAL_ERROR
