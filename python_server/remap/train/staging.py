"""Data staging: a split's arrays become device tensors once per process and are reused by
every model trained on it (a worker trains many models on the same split).

Cache entries are keyed by (split fingerprint, device). The fingerprint covers the name,
classes, sizes and labels but not the pixels, so a hit is confirmed by identity (the very
same arrays) or, failing that, by a digest of the images. Only the most recent few entries
are kept so a long-lived worker does not hoard device memory.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from remap.data.dataset import Split

MAX_CACHED = 2


@dataclass(frozen=True, eq=False)
class StagedSplit:
    """A split's arrays on one device: images float32 (N, C, H, W), labels int64 (N,)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    device: torch.device


@dataclass(eq=False)
class _Entry:
    staged: StagedSplit
    digest: str
    sources: tuple[weakref.ref[np.ndarray], ...]


_cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_lock = threading.Lock()


def _arrays(split: Split) -> tuple[np.ndarray, ...]:
    return (split.train_x, split.train_y, split.test_x, split.test_y)


def _same_objects(entry: _Entry, split: Split) -> bool:
    return all(ref() is arr for ref, arr in zip(entry.sources, _arrays(split), strict=True))


def _digest(split: Split) -> str:
    h = hashlib.blake2b(digest_size=16)
    for arr in _arrays(split):
        h.update(repr((arr.dtype.str, arr.shape)).encode())
        h.update(np.ascontiguousarray(arr).data)
    return h.hexdigest()


def _to_device(arr: np.ndarray, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    host = np.ascontiguousarray(arr)
    if not host.flags.writeable:
        host = host.copy()  # torch.from_numpy needs a writeable buffer
    # On the CPU this shares memory with the split (no copy unless the dtype differs).
    tensor = torch.from_numpy(host).to(dtype)
    return tensor if device.type == "cpu" else tensor.to(device)


def stage_split(split: Split, device: torch.device) -> StagedSplit:
    """The split's tensors on ``device``, staged on first use and cached afterwards."""
    key = (split.fingerprint, str(device))
    with _lock:
        entry = _cache.get(key)
        if entry is not None and _same_objects(entry, split):
            _cache.move_to_end(key)
            return entry.staged
    digest = _digest(split)
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry.digest == digest:
            entry.sources = _refs(split)
            _cache.move_to_end(key)
            return entry.staged
    staged = StagedSplit(
        _to_device(split.train_x, torch.float32, device),
        _to_device(split.train_y, torch.int64, device),
        _to_device(split.test_x, torch.float32, device),
        _to_device(split.test_y, torch.int64, device),
        device,
    )
    with _lock:
        _cache[key] = _Entry(staged, digest, _refs(split))
        _cache.move_to_end(key)
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return staged


def _refs(split: Split) -> tuple[weakref.ref[np.ndarray], ...]:
    return tuple(weakref.ref(arr) for arr in _arrays(split))


def clear_staging_cache() -> None:
    """Drop every staged split (frees device memory once no training run holds them)."""
    with _lock:
        _cache.clear()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def cached_entries() -> int:
    """How many staged splits the process holds (for tests and diagnostics)."""
    with _lock:
        return len(_cache)
