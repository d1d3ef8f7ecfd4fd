"""The JIT contract of the projection, without the warm-up itself: numba's on-disk cache
directory and the small interface a warm-up offers to ``projection.project``.

Owns:

- ``cache_dir()`` / ``configure_numba_cache()``: numba's on-disk cache lives under the REMAP
  cache dir (``$REMAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/remap``, else ``~/.cache/remap``),
  in ``numba/``. It must be set before numba is imported; an explicit ``NUMBA_CACHE_DIR`` in
  the environment is respected.
- ``WarmupLike`` / ``WarmupState``: what ``project`` reads of a warm-up (``warmup.UmapWarmup``
  implements it). Kept here so that the projection never imports the warm-up, which runs
  the projection: the dependency goes one way, ``warmup`` → ``projection`` → ``jit``.

Standard library only: importing it loads neither numpy nor numba.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Literal, Protocol

__all__ = ["WarmupLike", "WarmupState", "cache_dir", "configure_numba_cache"]

WarmupState = Literal["cold", "warming", "ready", "failed"]

_log = logging.getLogger(__name__)


class WarmupLike(Protocol):
    """What ``project`` needs to know about a warm-up: its state and an error, if any."""

    @property
    def state(self) -> WarmupState: ...

    @property
    def ready(self) -> bool: ...

    @property
    def error(self) -> str | None: ...


def cache_dir() -> Path:
    """The REMAP cache directory (not created): ``$REMAP_CACHE_DIR`` or the user cache dir."""
    override = os.environ.get("REMAP_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "remap"


def _writable_dir(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


def configure_numba_cache(path: Path | None = None) -> Path:
    """Point numba's on-disk cache at ``path`` (default ``cache_dir()/numba``) and return it.

    An existing ``NUMBA_CACHE_DIR`` wins. If the directory cannot be written, a per-user temp
    directory is used instead (numba would otherwise fail to cache). Call this before numba is
    imported; if numba is already loaded its config is updated too, which affects functions
    compiled from then on.
    """
    existing = os.environ.get("NUMBA_CACHE_DIR")
    if existing and path is None:
        return Path(existing)
    target = path if path is not None else cache_dir() / "numba"
    if not _writable_dir(target):
        user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
        fallback = Path(tempfile.gettempdir()) / f"remap-numba-{user}"
        _log.warning("numba cache dir %s is not writable; using %s", target, fallback)
        fallback.mkdir(parents=True, exist_ok=True)
        target = fallback
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.CACHE_DIR = str(target)  # type: ignore[attr-defined]
    return target
