"""A REMAP workspace: its folder, its store (``.remap/remap.db`` by default), its settings
and its data set. Every service operation takes a :class:`Workspace`; the LSP server and
the CLI each hold one. Not thread-safe: use it from one thread (the store connection is
per thread)."""

from __future__ import annotations

import threading
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


class Workspace:
    """Open with :meth:`open`; settings given as overrides are saved into the store."""

    def __init__(self, root: Path, store: Store, settings: WorkspaceSettings) -> None:
        self.root = root
        self.store = store
        self.settings = settings

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
        store = Store.open(path)
        store.prune_events(keep_last=EVENTS_KEPT)
        saved = store.get_setting(SETTINGS_KEY, {}) or {}
        try:
            settings = WorkspaceSettings().merged(saved)
        except ServiceError:
            settings = WorkspaceSettings()  # a setting from another version: start clean
        workspace = cls(root, store, settings)
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
        """A user path relative to the workspace root."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p
