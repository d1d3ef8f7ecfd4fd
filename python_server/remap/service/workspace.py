"""A REMAP workspace: its folder, its store (``.remap/remap.db`` by default), its settings
and its data set. Every service operation takes a :class:`Workspace`; the LSP server and
the CLI each hold one. Not thread-safe: use it from one thread (the store connection is
per thread)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remap.service.errors import ServiceError
from remap.service.settings import WorkspaceSettings
from remap.store import Store

if TYPE_CHECKING:
    from remap.data import Split
    from remap.train.config import TrainConfig

DEFAULT_STORE = Path(".remap") / "remap.db"
SETTINGS_KEY = "workspace_settings"
# The change feed only needs recent events (watchers poll every fraction of a second).
EVENTS_KEPT = 10_000

_split_cache: dict[tuple[str, float, int], Split] = {}
_split_lock = threading.Lock()


def load_split_cached(ref: Mapping[str, Any]) -> Split:
    """The data split for a dataset reference, loaded once per process."""
    from remap.data.registry import load_split

    key = (str(ref["source"]), float(ref["holdout"]), int(ref["seed"]))
    with _split_lock:
        if key not in _split_cache:
            _split_cache[key] = load_split(key[0], holdout=key[1], seed=key[2])
        return _split_cache[key]


def _checked_split(ref: Mapping[str, Any]) -> Split:
    """The split of ``ref``; a data set that cannot be loaded or used raises ServiceError."""
    from remap.data import DataError

    try:
        return load_split_cached(ref)
    except DataError as exc:
        raise ServiceError(str(exc), "dataset") from None


def _saved_settings(saved: Any) -> tuple[WorkspaceSettings, list[str]]:
    """The settings a store holds, one by one: a value this version refuses (written by
    another version, or before a bound existed) falls back to its default alone, and a note
    names it; the other settings, the data set above all, are kept."""
    settings, notes = WorkspaceSettings(), []
    if not isinstance(saved, Mapping):
        return settings, ["the saved settings are not readable; using the defaults"]
    known = set(settings.to_dict())
    for key, value in saved.items():
        if key not in known:  # a setting of another version: not ours to judge
            continue
        try:
            settings = settings.merged({key: value})
        except ServiceError as exc:
            default = getattr(settings, str(key), None)
            notes.append(f"saved setting {exc}; using {default!r}")
    return settings, notes


class Workspace:
    """Open with :meth:`open`; settings given as overrides are saved into the store.
    ``settings_notes`` says which saved settings could not be used (each named, with the
    value in force instead)."""

    def __init__(self, root: Path, store: Store, settings: WorkspaceSettings) -> None:
        self.root = root
        self.store = store
        self.settings = settings
        self.settings_notes: list[str] = []

    @classmethod
    def open(
        cls,
        root: str | Path = ".",
        store_path: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Workspace:
        root = Path(root).resolve()
        path = Path(store_path) if store_path else DEFAULT_STORE
        if not path.is_absolute():
            path = root / path
        store = Store.open(path)  # read-only when the workspace cannot be written
        if not store.readonly:
            store.prune_events(keep_last=EVENTS_KEPT)
        saved = store.get_setting(SETTINGS_KEY, {}) or {}
        settings, notes = _saved_settings(saved)
        workspace = cls(root, store, settings)
        workspace.settings_notes = notes
        if overrides:
            workspace.update_settings(overrides)
        return workspace

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update_settings(self, changes: Mapping[str, Any]) -> WorkspaceSettings:
        """Apply and save ``changes``. A new data set (or split) is loaded and checked
        first, so no setting can leave the workspace without usable data."""
        settings = self.settings.merged(changes)
        if settings.dataset_ref() != self.settings.dataset_ref():
            _checked_split(settings.dataset_ref())
        self.settings = settings
        self.store.set_setting(SETTINGS_KEY, self.settings.to_dict())
        return self.settings

    # -- data and training defaults --------------------------------------------------
    def split(self) -> Split:
        """The workspace's data split (loaded once per process); a bad data set raises
        :class:`ServiceError` naming the source."""
        return _checked_split(self.settings.dataset_ref())

    def input_shape(self) -> tuple[int, int, int]:
        return self.split().input_shape

    def num_classes(self) -> int:
        return self.split().num_classes

    def train_config(self, epochs: int | None = None, early_stopping: bool = True) -> TrainConfig:
        from remap.train.config import TrainConfig

        return TrainConfig(
            epochs=epochs or self.settings.epochs,
            early_stopping=early_stopping,
            seed=self.settings.seed,
            device=self.settings.device,
            threads=self.settings.threads,
            bf16=self.settings.bf16,
        )

    def resolve(self, path: str | Path) -> Path:
        """A user path relative to the workspace root (the CLI: anywhere its user types)."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p

    def confined(self, path: str | Path, field: str) -> Path:
        """A path from an editor client inside this workspace, or :class:`ServiceError`
        naming ``field`` and the path (see :func:`confined_path`)."""
        return confined_path(self.root, path, field)


def confined_path(root: Path, path: str | Path, field: str) -> Path:
    """``path`` resolved inside the folder ``root``, or refused.

    ``path`` is a ``file:`` URI or a path (relative to ``root``; ``~`` is the home folder).
    Symbolic links are followed as the OS would follow them when the path is used
    (``os.path.realpath`` resolves every existing component, ``..`` included), so a link
    inside the folder that points out is refused like ``../x`` or ``/etc``. Raises
    :class:`ServiceError` naming ``field`` and the path. The language server calls this for
    every path it writes to; the CLI writes where its user says."""
    text = str(path)
    local = _local_path(text, field)
    if "\x00" in local:
        raise ServiceError(f"{_show(text)} contains a NUL byte", field)
    candidate = Path(local).expanduser()
    if not candidate.is_absolute():
        candidate = root / candidate
    real = Path(os.path.realpath(candidate))
    top = Path(os.path.realpath(root))
    if real != top and not real.is_relative_to(top):
        via = f" (it resolves to {real})" if str(real) != os.path.normpath(candidate) else ""
        raise ServiceError(f"{_show(text)} is outside the workspace folder {root}{via}", field)
    return real


def _show(text: str) -> str:
    return repr(text) if len(text) <= 200 else repr(text[:197] + "...")


def _local_path(text: str, field: str) -> str:
    """The local path of a ``file:`` URI, or ``text`` itself when it is no URI."""
    from urllib.parse import unquote, urlparse

    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "file":
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise ServiceError(f"{_show(text)} is on another host ({parsed.netloc})", field)
        local = unquote(parsed.path)
        if len(local) >= 3 and local[0] == "/" and local[2] == ":":  # file:///C:/...
            local = local[1:]
        if not local:
            raise ServiceError(f"the URI {_show(text)} has no path", field)
        return local
    if len(scheme) > 1 and scheme.isascii() and scheme.replace("+", "").isalnum() and "//" in text:
        raise ServiceError(f"{_show(text)} is not a file path or file: URI", field)
    return text


MIN_FREE_BYTES = 8 * 1024 * 1024  # below this the store's disk counts as full
# Fault injection for tests: while the file this names exists, the disk counts as full.
DISK_FULL_FLAG = "REMAP_FAULT_DISK_FULL"


class DiskSpace:
    """Watches the free space of the disk holding a store, so that a full disk is said in the
    terminal and the editor instead of only in a worker's log (SQLite answers SQLITE_FULL;
    the workers retry, and resume with nothing lost once there is space). :meth:`check`
    returns a message when the state changes (full, or space is back), else None; it looks at
    most every ``interval`` seconds."""

    def __init__(self, path: Path, interval: float = 2.0) -> None:
        self.folder = path.parent
        self.interval = interval
        self.full = False
        self._last = 0.0

    def free_bytes(self) -> int | None:
        flag = os.environ.get(DISK_FULL_FLAG)
        if flag and os.path.exists(flag):
            return 0
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return None

    def check(self) -> str | None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return None
        self._last = now
        free = self.free_bytes()
        full = free is not None and free < MIN_FREE_BYTES
        if full == self.full:
            return None
        self.full = full
        if full:
            return (
                f"REMAP: the disk holding {self.folder} is full ({(free or 0) // 1024} KB free): "
                "nothing can be saved; training waits and resumes when space is freed"
            )
        return f"REMAP: there is disk space again for {self.folder}; training resumes"
