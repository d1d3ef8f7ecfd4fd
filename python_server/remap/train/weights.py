"""Trained weights as files: a model's tensors under the exported module's keys
(``remap.train.keys``) in a safetensors file, and the per-epoch training checkpoint that lets
a run resume after its worker died.

Both are written atomically: a temporary file in the same folder, flushed and fsynced, then
``os.replace`` — a reader sees the old file or the complete new one, never a partial one.
Errors name the file and, for a mismatch, the layer and the expected and found shapes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from remap.arch.spec import ArchSpec
from remap.train.keys import built_key_map, layer_attributes
from remap.train.modules import build_module


class WeightsError(ValueError):
    """A weights file is missing, incomplete or does not fit the model; the message names
    the file (and the layer, with expected and found shapes, for a mismatch)."""


def atomic_write(path: Path, write: Any) -> int:
    """Call ``write(tmp_path)`` then publish the result as ``path``; returns its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path.stat().st_size


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def export_state(built: nn.Module, spec: ArchSpec) -> dict[str, torch.Tensor]:
    """The state of a module built by ``build_module(spec)`` under the exported keys, as
    contiguous CPU copies (safe to keep while training goes on)."""
    mapping = built_key_map(spec, built.state_dict().keys())
    return {
        mapping[key]: value.detach().to("cpu", copy=True).contiguous()
        for key, value in built.state_dict().items()
    }


def load_export_state(built: nn.Module, spec: ArchSpec, state: Mapping[str, torch.Tensor]) -> None:
    """Load exported-key tensors into a module built by ``build_module(spec)``."""
    own = built.state_dict()
    mapping = built_key_map(spec, own.keys())
    by_export = {mapping[key]: key for key in own}
    check_state(state, {k: tuple(own[v].shape) for k, v in by_export.items()}, spec, "weights")
    built.load_state_dict({by_export[k]: v for k, v in state.items()})


def check_state(
    state: Mapping[str, torch.Tensor],
    expected: Mapping[str, tuple[int, ...]],
    spec: ArchSpec,
    source: str,
) -> None:
    """Raise :class:`WeightsError` naming ``source`` and the layer on a missing, extra or
    mis-shaped tensor."""
    attributes = layer_attributes(spec)

    def where(key: str) -> str:
        attr = key.partition(".")[0]
        if attr in attributes:
            index = attributes.index(attr)
            return f"layer {index} ({attr}: {spec.layers[index].describe()})"
        return f"{attr!r} (no such layer)"

    for key, shape in expected.items():
        if key not in state:
            raise WeightsError(f"{source}: {where(key)} has no tensor {key!r} in the file")
        found = tuple(state[key].shape)
        if found != shape:
            raise WeightsError(
                f"{source}: {where(key)} expects {key} of shape {shape} but the file has {found}"
            )
    for key in state:
        if key not in expected:
            raise WeightsError(f"{source}: unexpected tensor {key!r} for {where(key)}")


def predict(spec: ArchSpec, state: Mapping[str, torch.Tensor], x: Any, batch: int = 512) -> Any:
    """Argmax classes (numpy int64) of ``build_module(spec)`` with ``state`` (exported keys)
    on the images ``x`` (numpy float32, N×C×H×W), in eval mode on the CPU."""
    module = build_module(spec)
    load_export_state(module, spec, state)
    module.eval()
    images = torch.from_numpy(np.ascontiguousarray(x))
    parts = [np.zeros(0, dtype=np.int64)]
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            parts.append(module(images[start : start + batch]).argmax(1).numpy())
    return np.concatenate(parts).astype(np.int64)


def save_weights(path: Path, state: Mapping[str, torch.Tensor], metadata: dict[str, str]) -> int:
    """Write ``state`` as a safetensors file at ``path`` atomically; returns its size."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; a missing or damaged file raises
    :class:`WeightsError` naming it."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a complete safetensors file ({exc})") from None


# -- checkpoints ------------------------------------------------------------------------
def save_checkpoint(path: Path, state: Mapping[str, Any]) -> int:
    """Write a training checkpoint (tensors, numbers, lists, dicts) atomically."""
    return atomic_write(path, lambda tmp: torch.save(dict(state), tmp))


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """A checkpoint's contents, or None when there is none or it cannot be read (a run
    then starts from scratch: a checkpoint only ever saves time)."""
    if not path.is_file():
        return None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # any unreadable checkpoint means "start over"
        return None
    return data if isinstance(data, dict) else None
