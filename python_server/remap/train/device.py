"""Device choice for training: ``auto`` picks CUDA, then Apple MPS, then the CPU; an explicitly
requested device that is not available is a clear error rather than a silent fallback."""

from __future__ import annotations

import torch


class DeviceError(RuntimeError):
    """The requested device cannot be used here."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def choose_device(preference: str = "auto") -> torch.device:
    """The torch device for ``preference`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``)."""
    pref = preference.strip().lower()
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if pref == "cpu":
        return torch.device("cpu")
    if pref == "mps":
        if not _mps_available():
            raise DeviceError("device 'mps' was requested but Apple MPS is not available here")
        return torch.device("mps")
    if pref == "cuda" or pref.startswith("cuda:"):
        if not torch.cuda.is_available():
            reason = (
                "this torch build has no CUDA support"
                if torch.version.cuda is None
                else "no CUDA GPU is visible"
            )
            raise DeviceError(
                f"device {preference!r} was requested but {reason}; use 'cpu' or 'auto'"
            )
        if pref == "cuda":
            return torch.device("cuda", torch.cuda.current_device())
        index_text = pref.split(":", 1)[1]
        if not index_text.isdigit():
            raise DeviceError(f"device {preference!r}: expected cuda:N with N a GPU number")
        index = int(index_text)
        count = torch.cuda.device_count()
        if index >= count:
            raise DeviceError(
                f"device {preference!r} was requested but only {count} CUDA GPU(s) are visible "
                f"(cuda:0…cuda:{count - 1})"
            )
        return torch.device("cuda", index)
    raise DeviceError(f"unknown device {preference!r}; expected auto, cpu, cuda, cuda:N or mps")


def describe_device(device: torch.device | str) -> str:
    """A short human-readable name: ``cpu (2 threads)``, ``cuda:0 (NVIDIA H200)``, ``mps``."""
    dev = torch.device(device)
    if dev.type == "cpu":
        n = torch.get_num_threads()
        return f"cpu ({n} thread{'s' if n != 1 else ''})"
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(dev)
