"""Helpers for service, CLI and LSP tests: a tiny learnable data set written as .npz, a
workspace opened on it (small inputs keep real training fast on two cores), and the CLI run
as a user runs it (``python -m remap`` in its own process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from remap.data import make_synthetic_split
from remap.service import Workspace

TINY_SHAPE = (1, 12, 12)


def write_tiny_npz(folder: Path, n_train: int = 240, n_test: int = 80, classes: int = 4) -> Path:
    split = make_synthetic_split(n_train, n_test, input_shape=TINY_SHAPE, num_classes=classes)
    path = folder / "tiny.npz"
    x = np.concatenate([split.train_x, split.test_x])[:, 0]
    y = np.concatenate([split.train_y, split.test_y])
    np.savez(path, x=x, y=y)
    return path


def tiny_workspace(root: Path, **settings: object) -> Workspace:
    data = write_tiny_npz(root)
    overrides = {"dataset": str(data), "epochs": 2, "max_params": 20_000, **settings}
    return Workspace.open(root, None, overrides)


def remap(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: int = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m remap ARGS`` in its own process; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "remap", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
    )  # fmt: skip
