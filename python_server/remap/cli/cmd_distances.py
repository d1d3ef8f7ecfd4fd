"""``remap distances MODELS.json --metric otmann [--params remap|default] [--out D.csv]``:
the N × N distance matrix of a model file, rows and columns in file order, as CSV without
a header and with full float precision (``%.18e``).

MODELS.json is either the original REMAP model set (``input_shape``, ``num_classes``,
``models: [{id, layers}]`` in the original layer format), or ours: a list of specs (or of
``{"id", "spec"}`` objects), or an object whose ``models`` hold ``{"id", "spec"}``. Bad
input (missing file, malformed JSON, an unknown layer) prints one line on stderr and
exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from remap.arch.errors import ArchError, SpecFormatError
from remap.arch.original import parse_model_set, read_json_file
from remap.arch.spec import ArchSpec
from remap.cli.common import add_workspace_options, int_arg, open_workspace

EXIT_BAD_INPUT = 2
PRESETS = ("default", "remap")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``distances`` command to a ``remap`` CLI."""
    parser = subparsers.add_parser(
        "distances",
        help="pairwise distance matrix of a model file (CSV)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument(
        "models",
        metavar="MODELS.json",
        nargs="?",
        help="model file (original or ours); without it, the models of the workspace",
    )
    parser.add_argument(
        "--metric",
        choices=("otmann", "prediction"),
        default="otmann",
        help="prediction: held-out disagreement (workspace only, trained models)",
    )
    add_workspace_options(parser)
    parser.add_argument(
        "--params",
        choices=PRESETS,
        default="default",
        help="OTMANN parameters: 'remap' reproduces the original, 'default' is ours",
    )
    parser.add_argument("--out", metavar="D.csv", help="write here instead of stdout")
    parser.add_argument(
        "--workers", type=int_arg(1, 1024), default=None, help="threads for large jobs"
    )
    parser.set_defaults(handler=run)


def load_specs(path: str | Path) -> list[ArchSpec]:
    """The specs of a model file in file order (formats in the module docstring)."""
    path = Path(path)
    data = read_json_file(path)
    if isinstance(data, Mapping) and _is_original(data.get("models")):
        return [entry.spec for entry in parse_model_set(data, str(path)).models]
    entries = data.get("models") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise SpecFormatError(
            str(path), "expected a list of specs or an object with a 'models' list"
        )
    specs = []
    for i, entry in enumerate(entries):
        where = f"models[{i}]" if isinstance(data, Mapping) else f"[{i}]"
        body = entry.get("spec") if isinstance(entry, Mapping) and "spec" in entry else entry
        if isinstance(entry, Mapping) and "spec" in entry:
            where += ".spec"
        try:
            specs.append(ArchSpec.from_dict(body))
        except SpecFormatError as exc:
            inner = f"{where}.{exc.path}" if exc.path else where
            raise SpecFormatError(f"{path}: {inner}", exc.reason) from None
    return specs


def _is_original(models: Any) -> bool:
    return (
        isinstance(models, Sequence)
        and not isinstance(models, str)
        and any(isinstance(m, Mapping) and "layers" in m and "spec" not in m for m in models)
    )


def distance_matrix(
    specs: Sequence[ArchSpec], metric: str, preset: str, workers: int | None
) -> np.ndarray[Any, np.dtype[np.float64]]:
    if metric != "otmann":
        raise ValueError(f"unknown metric {metric!r}")
    from remap.analysis.otmann import OtmannParams
    from remap.analysis.otmann_fast import otmann_matrix

    params = OtmannParams.remap() if preset == "remap" else OtmannParams.default()
    return otmann_matrix(specs, params, workers=workers)


def _workspace_matrix(args: argparse.Namespace) -> tuple[list[int], np.ndarray]:
    from remap.service import maps

    with open_workspace(args) as ws:
        return maps.distance_matrix(ws, args.metric, args.params)


def run(args: argparse.Namespace) -> int:
    """Handler of ``remap distances``: returns the exit status. For a model file the CSV has
    no header (rows and columns in file order); for a workspace the first row and column
    hold the model ids."""
    from remap.service import ServiceError

    ids: list[int] | None = None
    try:
        if args.models is None:
            ids, matrix = _workspace_matrix(args)
        elif args.metric != "otmann":
            raise ValueError("--metric prediction needs a workspace (omit MODELS.json)")
        else:
            specs = load_specs(args.models)
            matrix = distance_matrix(specs, args.metric, args.params, args.workers)
    except (SpecFormatError, ArchError, ValueError, ServiceError) as exc:
        print(f"remap distances: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                _write(fh, ids, matrix)
        else:
            _write(sys.stdout, ids, matrix)
    except BrokenPipeError:
        raise  # the reader went away: the entry point ends quietly
    except OSError as exc:
        print(
            f"remap distances: error: cannot write {args.out or 'standard output'}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


def _write(out: TextIO, ids: list[int] | None, matrix: np.ndarray) -> None:
    if ids is None:
        np.savetxt(out, matrix, fmt="%.18e", delimiter=",")
        return
    out.write("id," + ",".join(map(str, ids)) + "\n")
    for model_id, row in zip(ids, matrix, strict=True):
        out.write(f"{model_id}," + ",".join(f"{v:.18e}" for v in row) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """A stand-alone parser with just this command (``python -m remap.cli.cmd_distances``)."""
    parser = argparse.ArgumentParser(prog="remap")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
