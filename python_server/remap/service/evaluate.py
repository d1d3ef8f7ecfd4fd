"""Re-evaluation of trained weights on the workspace's held-out split: a stored model (its
latest run's weights file, loaded in-process — our own file) or an exported ``.py`` with its
weights. A ``.py`` may be any user file, so it is never imported here: it runs in a
subprocess (``python -I``: isolated from the environment and the user's site folder) that
imports it, calls its ``load_trained()`` and prints the predictions as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from remap.service.errors import ServiceError
from remap.service.naming import model_label
from remap.service.workspace import Workspace

EVAL_TIMEOUT_S = 600.0
_BATCH = 512

# Runs in the subprocess: argv = [file, data.npz, weights or ""]; prints one JSON object.
_SCRIPT = r"""
import importlib.util, json, sys
import numpy as np, torch
path, data, weights = sys.argv[1], sys.argv[2], sys.argv[3] or None
def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(0)
spec = importlib.util.spec_from_file_location("remap_evaluated", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
load = getattr(module, "load_trained", None)
if load is None:
    fail(f"{path} defines no load_trained(); export a trained model with 'remap export'")
try:
    model = load(weights)
except (OSError, ValueError, RuntimeError) as exc:
    fail(str(exc))
arrays = np.load(data)
x, y = torch.from_numpy(arrays["x"]), arrays["y"]
shape = tuple(getattr(module, "INPUT_SHAPE", x.shape[1:]))
if shape != tuple(x.shape[1:]):
    fail(f"{path} expects inputs of shape {shape}, the data set has {tuple(x.shape[1:])}")
mean, std = getattr(module, "INPUT_MEAN", 0.0), getattr(module, "INPUT_STD", 1.0)
out = []
with torch.no_grad():
    for i in range(0, len(x), BATCH):
        out.append(model((x[i : i + BATCH] - mean) / std).argmax(1).numpy())
preds = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
print(json.dumps({"predictions": preds.tolist()}))
""".replace("BATCH", str(_BATCH))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Held-out accuracy of one set of weights; ``recorded`` is the accuracy the run
    recorded when it was trained (None for a file from elsewhere)."""

    target: str
    accuracy: float
    held_out: int
    predictions: npt.NDArray[np.int64]
    weights: str
    weights_bytes: int
    recorded: float | None = None
    model_id: int | None = None
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "accuracy": self.accuracy,
            "held_out": self.held_out,
            "recorded_accuracy": self.recorded,
            "weights": self.weights,
            "weights_bytes": self.weights_bytes,
            "model_id": self.model_id,
            "run_id": self.run_id,
        }


def evaluate_model(ws: Workspace, model_id: int) -> Evaluation:
    """Rebuild the model from its latest run's weights file and score the held-out split."""
    from remap.train.weights import WeightsError, load_weights, predict

    model = ws.store.get_model(model_id)
    split = ws.split()
    run = ws.store.latest_run(model_id, split.fingerprint)
    file = ws.store.weights_file(run) if run is not None else None
    if run is None or file is None:
        what = f"model {model_label(model_id)} has no trained weights on {split.name}"
        raise ServiceError(f"{what} (train it first)", "model")
    try:
        preds = predict(model.spec, load_weights(file), split.test_x, _BATCH)
    except WeightsError as exc:
        raise ServiceError(str(exc), "weights") from None
    return Evaluation(
        target=f"model {model_label(model_id)}",
        accuracy=float((preds == split.test_y).mean()),
        held_out=len(preds),
        predictions=preds,
        weights=str(file),
        weights_bytes=file.stat().st_size,
        recorded=run.val_acc,
        model_id=model_id,
        run_id=run.id,
    )


def evaluate_file(ws: Workspace, path: str | Path, weights: str | Path | None = None) -> Evaluation:
    """Score an exported ``.py`` (default weights: its sibling ``.safetensors``) in a
    ``python -I`` subprocess; errors (no ``load_trained``, missing or mismatched weights,
    another input shape) come back naming the file."""
    file = ws.resolve(path)
    if file.suffix != ".py" or not file.is_file():
        raise ServiceError(f"{file} is not a Python file", "target")
    weights_path = ws.resolve(weights) if weights is not None else file.with_suffix(".safetensors")
    split = ws.split()
    with tempfile.TemporaryDirectory(prefix="remap-eval-") as tmp:
        data = Path(tmp) / "heldout.npz"
        np.savez(data, x=split.test_x, y=split.test_y)
        cmd = [sys.executable, "-I", "-c", _SCRIPT, str(file), str(data), str(weights_path)]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=EVAL_TIMEOUT_S, cwd=tmp, check=False
            )
        except subprocess.TimeoutExpired:
            message = f"evaluating {file} took over {EVAL_TIMEOUT_S:.0f} s"
            raise ServiceError(message, "target") from None
    answer = _last_json(proc.stdout)
    if answer is None or "error" in answer:
        reason = answer["error"] if answer else _last_line(proc.stderr) or "no result"
        raise ServiceError(f"evaluating {file}: {reason}", "target")
    preds = np.asarray(answer["predictions"], dtype=np.int64)
    if preds.shape != split.test_y.shape:
        raise ServiceError(f"evaluating {file}: it returned {len(preds)} predictions", "target")
    return Evaluation(
        target=str(file),
        accuracy=float((preds == split.test_y).mean()),
        held_out=len(preds),
        predictions=preds,
        weights=str(weights_path),
        weights_bytes=weights_path.stat().st_size,
    )


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        return value if isinstance(value, dict) else None
    return None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
